//! ffmpeg 5.1 publishes two seconds of generated H.264 + AAC to a [`ServerSession`] run by
//! the blocking `std::net` loop of the crate docs (as in `examples/std_server.rs`), in this
//! process on a loopback port. ffmpeg must finish cleanly (exit 0), and the server must have
//! seen the metadata and at least 90% of the video frames ffmpeg encoded.
//!
//! Needs `ffmpeg` with lavfi, libx264 and aac, which `scripts/install-test-deps.sh` installs.
//! The test installs nothing and never skips: without ffmpeg it fails, naming that script.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtmp_proto::amf::Value;
use rtmp_proto::session::{
    CloseReason, ConnectReply, MediaKind, ServerConfig, ServerEvent, ServerSession,
};

const SECONDS: u32 = 2;
const FPS: u32 = 25;

/// Fails the test, in one line naming the installer, when ffmpeg does not run.
fn require_ffmpeg() {
    let found = Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "ffmpeg not found on PATH; install the test peers with `bash scripts/install-test-deps.sh`"
    );
}

/// What the server saw of the published stream.
#[derive(Debug, Default)]
struct Seen {
    app: String,
    stream_name: String,
    width: Option<f64>,
    /// AVC NAL unit messages (AVCPacketType 1), i.e. coded frames, not the sequence header.
    video_frames: u32,
    avc_sequence_headers: u32,
    audio_messages: u32,
    last_video_timestamp: u32,
    closed: Option<CloseReason>,
}

/// One connection served by the loop every embedder writes; returns when the session ends.
fn serve(mut sock: TcpStream) -> std::io::Result<Seen> {
    sock.set_nodelay(true)?;
    let mut s = ServerSession::new(Arc::new(ServerConfig::default()), Instant::now());
    let mut seen = Seen::default();
    let (mut input, mut buf) = (BytesMut::with_capacity(64 * 1024), vec![0u8; 64 * 1024]);
    let give_up = Instant::now() + Duration::from_secs(60);
    let mut peer_gone = false;
    loop {
        while let Some(ev) = s.poll_event() {
            let now = Instant::now();
            match ev {
                ServerEvent::ConnectRequested { id, request } => {
                    seen.app = request.app;
                    s.accept_connect(now, id, ConnectReply::default()).ok();
                }
                ServerEvent::PublishRequested { id, request } => {
                    seen.stream_name = request.name;
                    s.accept_publish(now, id).ok();
                }
                ServerEvent::Metadata { metadata, .. } => {
                    seen.width = metadata.values.get("width").and_then(Value::as_f64);
                }
                ServerEvent::Media { media, .. } => match media.kind {
                    MediaKind::Video => match media.payload.get(..2) {
                        Some([0x17, 0]) => seen.avc_sequence_headers += 1,
                        Some([_, 1]) => {
                            seen.video_frames += 1;
                            seen.last_video_timestamp = media.timestamp;
                        }
                        _ => {}
                    },
                    MediaKind::Audio => seen.audio_messages += 1,
                },
                ServerEvent::Closed(reason) => seen.closed = Some(reason),
                _ => {}
            }
        }
        let was_gone = peer_gone;
        while let Some(segment) = s.poll_transmit() {
            if peer_gone {
                continue;
            }
            // ffmpeg closes right after its FCUnpublish/deleteStream, without waiting for
            // the answers: a write that finds the socket closed is the end of input.
            match sock.write_all(&segment) {
                Ok(()) => {}
                Err(e)
                    if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) =>
                {
                    peer_gone = true;
                    s.handle_eof(Instant::now());
                }
                Err(e) => return Err(e),
            }
        }
        if peer_gone && !was_gone {
            continue; // drain the `Closed` that handle_eof queued
        }
        if s.is_closed() {
            return Ok(seen);
        }
        assert!(
            Instant::now() < give_up,
            "the session never ended: {seen:?}"
        );
        let now = Instant::now();
        let wait = s
            .poll_timeout()
            .map_or(Duration::from_secs(1), |t| t.saturating_duration_since(now));
        sock.set_read_timeout(Some(
            wait.clamp(Duration::from_millis(1), Duration::from_secs(1)),
        ))?;
        match sock.read(&mut buf) {
            Ok(0) => s.handle_eof(Instant::now()),
            Ok(n) => {
                input.extend_from_slice(&buf[..n]);
                // A protocol error also arrives as the `Closed` event drained above.
                let _ = s.handle_input(Instant::now(), &mut input);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                s.handle_timeout(Instant::now());
            }
            // ffmpeg may reset the connection right after its last write.
            Err(e) if e.kind() == ErrorKind::ConnectionReset => s.handle_eof(Instant::now()),
            Err(e) => return Err(e),
        }
    }
}

#[test]
fn ffmpeg_publishes_h264_aac_to_our_server() {
    require_ffmpeg();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("rtmp://{}/live/test", listener.local_addr().unwrap());
    let server = thread::spawn(move || {
        let (sock, _) = listener.accept().expect("ffmpeg connects");
        serve(sock).expect("socket error while serving ffmpeg")
    });
    let testsrc = format!("testsrc=size=64x64:rate={FPS}");
    let seconds = SECONDS.to_string();
    let gop = FPS.to_string();
    let mut ffmpeg = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-re"])
        .args(["-f", "lavfi", "-i", &testsrc, "-f", "lavfi", "-i", "sine"])
        .args([
            "-t", &seconds, "-c:v", "libx264", "-g", &gop, "-c:a", "aac", "-b:a", "32k",
        ])
        .args(["-f", "flv", &url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn ffmpeg");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = ffmpeg.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            ffmpeg.kill().ok();
            ffmpeg.wait().ok();
            panic!("ffmpeg did not finish within 30 s");
        }
        thread::sleep(Duration::from_millis(50));
    };
    let seen = server.join().expect("server thread");
    assert!(
        status.success(),
        "ffmpeg failed: {status}; server saw {seen:?}"
    );

    assert_eq!(seen.app, "live");
    assert_eq!(seen.stream_name, "test");
    assert_eq!(seen.width, Some(64.0), "metadata: {seen:?}");
    assert_eq!(seen.avc_sequence_headers, 1, "{seen:?}");
    let expected = SECONDS * FPS;
    assert!(
        seen.video_frames * 10 >= expected * 9,
        "{} of {expected} video frames: {seen:?}",
        seen.video_frames
    );
    assert!(seen.audio_messages > 0, "{seen:?}");
    assert!(
        seen.last_video_timestamp >= (SECONDS - 1) * 1000,
        "video timestamps stop early: {seen:?}"
    );
    assert_eq!(seen.closed, Some(CloseReason::PeerClosed), "{seen:?}");
}
