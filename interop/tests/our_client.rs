//! Our resilient `Client` (tokio and smol) against real servers, where every other test
//! has real clients against our server:
//!
//! - it publishes a 100-frame H.264 + AAC file to ffmpeg acting as a server
//!   (`-listen 1`), which saves every frame, decoding cleanly;
//! - it publishes the file to nginx-rtmp while an ffmpeg player decodes it from there;
//! - it plays from nginx-rtmp what ffmpeg publishes there and saves a file that ffprobe
//!   reads and that decodes cleanly;
//! - it publishes an HEVC + Opus file (Enhanced RTMP) to a recent ffmpeg acting as a
//!   server, which saves every HEVC frame, decoding cleanly.

use std::time::Duration;

use rtmp_interop::ffmpeg::{self, Play, assert_most_frames};
use rtmp_interop::nginx::Nginx;
use rtmp_interop::{Adapter, Proc, for_each_adapter, our_client, peers, temp_dir};

/// Video frames of the pattern (4 s at 25 fps).
const FRAMES: u32 = 100;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Our client pushes `file` to `ffmpeg` acting as a server (`-listen 1`), which saves what
/// it receives next to `file`; returns the FLV items sent and the saved file.
fn push_to_ffmpeg_server(
    adapter: Adapter,
    ffmpeg_exe: &std::path::Path,
    file: &std::path::Path,
) -> (u64, std::path::PathBuf) {
    let out = file.with_file_name("received.flv");
    let url = format!("rtmp://127.0.0.1:{}/live/ours", free_port());
    let mut server = Proc::spawn(
        "ffmpeg server",
        &mut ffmpeg::serve_one_publisher(ffmpeg_exe, &url, &out),
    );
    let sent = our_client::publish_file(adapter, &url, file, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("our publisher: {e}; ffmpeg: {}", server.stderr()));
    server.wait_success(Duration::from_secs(10));
    (sent, out)
}

mod to_ffmpeg_server {
    use super::*;

    fn our_client_publishes_to_ffmpeg(adapter: Adapter) {
        let Some(p) = peers::legacy("our_client/to_ffmpeg_server") else {
            return;
        };
        let dir = temp_dir("client-ffmpeg");
        let file = ffmpeg::pattern_file(&p.ffmpeg, &dir, FRAMES, 25);
        let (sent, out) = push_to_ffmpeg_server(adapter, &p.ffmpeg, &file);
        let frames = ffmpeg::clean_frames(&p.ffmpeg, &p.ffprobe, &out, "the ffmpeg server");
        eprintln!(
            "our_client/to_ffmpeg_server/{}: sent {sent} FLV items; ffmpeg saved {frames} of {FRAMES} video frames",
            adapter.name()
        );
        assert_eq!(frames, u64::from(FRAMES), "a file push loses no frame");
    }

    for_each_adapter!(our_client_publishes_to_ffmpeg);
}

mod to_nginx {
    use super::*;

    fn our_client_publishes_to_nginx(adapter: Adapter) {
        let Some((nginx, p)) = peers::nginx("our_client/to_nginx") else {
            return;
        };
        let dir = temp_dir("client-nginx-pub");
        let file = ffmpeg::pattern_file(&p.ffmpeg, &dir, FRAMES, 25);
        let server = Nginx::start(&nginx);
        let url = server.url("ours");
        // nginx-rtmp lets a player wait for a stream nobody publishes yet.
        let mut player = Proc::spawn(
            "ffmpeg player",
            &mut ffmpeg::player(&p.ffmpeg, &url, Play::Decode),
        );
        std::thread::sleep(Duration::from_millis(500));
        let sent = our_client::publish_file(adapter, &url, &file, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("our publisher: {e}"));
        // ffmpeg 5.1 does not end on nginx-rtmp's UnpublishNotify: up to 3 s past the
        // publisher's end (sent at the file's pace) for the last frames, then it is stopped.
        let frames = ffmpeg::stop_after_frames(&mut player, FRAMES, Duration::from_secs(3));
        eprintln!(
            "our_client/to_nginx/{}: sent {sent} FLV items; an ffmpeg player decoded {frames} of {FRAMES} video frames through nginx-rtmp",
            adapter.name()
        );
        assert_most_frames("the ffmpeg player", frames, FRAMES);
    }

    for_each_adapter!(our_client_publishes_to_nginx);
}

mod from_nginx {
    use super::*;

    fn our_client_plays_from_nginx(adapter: Adapter) {
        let Some((nginx, p)) = peers::nginx("our_client/from_nginx") else {
            return;
        };
        let dir = temp_dir("client-nginx-play");
        let out = dir.join("played.flv");
        let server = Nginx::start(&nginx);
        let url = server.url("theirs");
        let player = {
            let (url, out) = (url.clone(), out.clone());
            std::thread::spawn(move || {
                our_client::play_to_file(adapter, &url, &out, Duration::from_secs(30))
            })
        };
        std::thread::sleep(Duration::from_millis(500));
        Proc::spawn(
            "ffmpeg publisher",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, 25),
        )
        .wait_success(Duration::from_secs(20));
        let tags = player
            .join()
            .expect("player thread")
            .unwrap_or_else(|e| panic!("our player: {e}"));
        let frames = ffmpeg::clean_frames(&p.ffmpeg, &p.ffprobe, &out, "our player");
        eprintln!(
            "our_client/from_nginx/{}: our player wrote {tags} tags, {frames} of {FRAMES} video frames",
            adapter.name()
        );
        assert_most_frames("our player", frames, FRAMES);
    }

    for_each_adapter!(our_client_plays_from_nginx);
}

mod enhanced_to_ffmpeg_server {
    use super::*;
    use rtmp_interop::flv_file::read_flv;
    use rtmp_proto::media::{AudioCodec, VideoCodec};

    fn our_client_publishes_hevc_opus_to_a_recent_ffmpeg(adapter: Adapter) {
        let Some((recent, _)) = peers::recent("our_client/enhanced_to_ffmpeg_server") else {
            return;
        };
        if !peers::has_encoder(&recent, "libx265") || !peers::has_encoder(&recent, "libopus") {
            eprintln!(
                "our_client/enhanced_to_ffmpeg_server/{}: no libx265/libopus in this ffmpeg, not tested",
                adapter.name()
            );
            return;
        }
        let dir = temp_dir("client-ertmp");
        let file = dir.join("hevc_opus.flv");
        Proc::spawn(
            "recent ffmpeg encoder",
            &mut ffmpeg::write_hevc_opus(&recent, &file, FRAMES),
        )
        .wait_success(Duration::from_secs(60));
        let (sent, out) = push_to_ffmpeg_server(adapter, &recent, &file);
        let summary = read_flv(&out);
        assert_eq!(summary.video_codec, Some(VideoCodec::Hevc), "{summary:?}");
        assert_eq!(summary.audio_codec, Some(AudioCodec::Opus), "{summary:?}");
        let frames = ffmpeg::decoded_video_frames(&recent, &out)
            .unwrap_or_else(|e| panic!("what ffmpeg received does not decode cleanly: {e}"));
        eprintln!(
            "our_client/enhanced_to_ffmpeg_server/{}: sent {sent} FLV items; ffmpeg saved HEVC + Opus, {frames} of {FRAMES} video frames decoded",
            adapter.name()
        );
        assert_eq!(frames, u64::from(FRAMES), "a file push loses no frame");
    }

    for_each_adapter!(our_client_publishes_hevc_opus_to_a_recent_ffmpeg);
}
