//! Our server handshake against a live ffmpeg over loopback (RTMP-NOTES item 13).
//!
//! This is the proof that the full 62- and 68-byte keys are right, which no recorded C1 can
//! give (C1 digests use only the first 30/36 bytes): ffmpeg playing checks our S2 signature,
//! made with the full server key, and closes with "Signature mismatch" when it is wrong; it
//! only goes on to `connect` when it matched. It then signs its C2 with the full player key,
//! which we must recognise as a digest answer. Publishing, ffmpeg skips those checks and
//! echoes S1 as C2. As a server (`-listen 1`), ffmpeg does the simple handshake: our client
//! must fall back to it.
//!
//! Needs `ffmpeg` on the PATH (ffmpeg 5.1 or later, with lavfi and libx264 for the publish
//! case), which `scripts/install-test-deps.sh` installs. The tests install nothing and never
//! skip: without ffmpeg they fail, naming that script.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtmp_proto::handshake::{
    ClientConfig, Handshake, HandshakeMode, Negotiated, PeerAnswer, Schema, ServerConfig,
};
use rtmp_proto::rng::Rng;

fn spawn_ffmpeg(args: &[&str], url: &str) -> Ffmpeg {
    Ffmpeg(
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
            .args(args.iter().map(|a| if *a == "URL" { url } else { a }))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            // ffmpeg's complaints (e.g. "Signature mismatch") are the useful part of a failure.
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn ffmpeg"),
    )
}

/// Drives `hs` over `stream` until it is complete and at least one byte followed it.
fn drive(hs: &mut Handshake, stream: &mut TcpStream) -> BytesMut {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut input = BytesMut::new();
    let mut buf = [0u8; 4096];
    loop {
        while let Some(seg) = hs.poll_transmit() {
            stream.write_all(&seg).unwrap();
        }
        if hs.is_complete() && !input.is_empty() {
            return input;
        }
        let n = stream.read(&mut buf).expect("read from ffmpeg");
        assert!(
            n > 0,
            "ffmpeg closed the connection (rejected our handshake?)"
        );
        input.extend_from_slice(&buf[..n]);
        hs.handle_input(&mut input).unwrap();
    }
}

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

/// Kills the ffmpeg we started when the test ends, however it ends.
struct Ffmpeg(Child);

impl Drop for Ffmpeg {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn accept(listener: &TcpListener, ffmpeg: &mut Ffmpeg) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                return stream;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if let Some(status) = ffmpeg.0.try_wait().unwrap() {
                    panic!("ffmpeg exited ({status}) without connecting");
                }
                assert!(Instant::now() < deadline, "ffmpeg did not connect");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
}

/// Runs our server handshake with ffmpeg; returns the outcome and the first bytes after it.
fn handshake_with(args: &[&str]) -> (Negotiated, BytesMut) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "rtmp://127.0.0.1:{}/live/test",
        listener.local_addr().unwrap().port()
    );
    let mut ffmpeg = spawn_ffmpeg(args, &url);
    let mut stream = accept(&listener, &mut ffmpeg);
    let mut server = Handshake::server(&ServerConfig::default(), &mut Rng::new(42), 1000);
    let rest = drive(&mut server, &mut stream);
    (server.negotiated().unwrap().clone(), rest)
}

#[test]
fn ffmpeg_playing_accepts_our_digest_and_signs_its_c2() {
    require_ffmpeg();
    let (n, rest) = handshake_with(&["-i", "URL", "-t", "1", "-f", "null", "-"]);
    assert_eq!(n.mode, HandshakeMode::Digest(Schema::One));
    assert_eq!(n.peer_version, [9, 0, 124, 2]);
    assert_eq!(
        n.peer_answer,
        PeerAnswer::Digest,
        "C2 signed with the full player key"
    );
    assert_eq!(rest[0], 0x03, "connect chunk: fmt 0, csid 3");
}

#[test]
fn ffmpeg_publishing_echoes_our_s1() {
    require_ffmpeg();
    let (n, rest) = handshake_with(&[
        "-re",
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=64x64:rate=5",
        "-t",
        "2",
        "-c:v",
        "libx264",
        "-f",
        "flv",
        "URL",
    ]);
    assert_eq!(n.mode, HandshakeMode::Digest(Schema::One));
    assert_eq!(n.peer_answer, PeerAnswer::Echo);
    assert_eq!(rest[0], 0x03, "connect chunk: fmt 0, csid 3");
}

#[test]
fn our_client_falls_back_to_ffmpegs_simple_server() {
    require_ffmpeg();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("rtmp://127.0.0.1:{port}/live/test");
    let mut ffmpeg = spawn_ffmpeg(
        &[
            "-listen", "1", "-timeout", "20", "-i", "URL", "-f", "null", "-",
        ],
        &url,
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut stream = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(_) if Instant::now() < deadline => {
                assert!(
                    ffmpeg.0.try_wait().unwrap().is_none(),
                    "ffmpeg exited before listening"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("ffmpeg never listened: {e}"),
        }
    };
    let mut client = Handshake::client(&ClientConfig::default(), &mut Rng::new(7), 0);
    // ffmpeg's server sends nothing after S2 until our connect: stop once complete.
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut input = BytesMut::new();
    let mut buf = [0u8; 4096];
    while !client.is_complete() {
        while let Some(seg) = client.poll_transmit() {
            stream.write_all(&seg).unwrap();
        }
        let n = stream.read(&mut buf).expect("read from ffmpeg");
        assert!(n > 0, "ffmpeg closed the connection");
        input.extend_from_slice(&buf[..n]);
        client.handle_input(&mut input).unwrap();
    }
    while let Some(seg) = client.poll_transmit() {
        stream.write_all(&seg).unwrap();
    }
    let n = client.negotiated().unwrap();
    assert_eq!(n.mode, HandshakeMode::Simple);
    assert_eq!(n.peer_answer, PeerAnswer::Echo, "ffmpeg's S2 echoes our C1");
    assert!(input.is_empty());
}
