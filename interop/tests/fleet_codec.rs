//! HEVC-or-H.264 (issue 22): a fleet session told `hevc_or_h264`, with an H.264 and an
//! HEVC version of the same file, against real servers; the codec is chosen from each
//! server's Enhanced RTMP answer to `connect`.
//!
//! - our relay answers `hvc1`: the stream goes out as HEVC (its recording is HEVC and
//!   decodes cleanly with a recent ffmpeg);
//! - nginx-rtmp gives a legacy answer: the stream goes out as H.264 and an ffmpeg player
//!   on nginx saves it, decoding cleanly;
//! - ffmpeg 9 as a `-listen` server also gives a legacy answer (no E-RTMP properties in
//!   its `_result`), so the negotiated choice is H.264 there too; this test holds that
//!   fact (a server that takes HEVC without saying so needs `"codec": "hevc"`).

use std::time::Duration;

use rtmp_interop::ffmpeg;
use rtmp_interop::flv_file::read_flv;
use rtmp_interop::nginx::Nginx;
use rtmp_interop::{
    Adapter, Proc, ServerOpts, for_each_adapter, our_client, peers, start, temp_dir, wait_until,
};
use rtmp_proto::client::{CodecPreference, StreamCodec};
use rtmp_proto::media::VideoCodec;

const FRAMES: u32 = 100;
const RUN: Duration = Duration::from_secs(3);

/// The H.264 and HEVC versions of the pattern, and the recent ffmpeg.
fn files(
    test: &str,
    dir: &std::path::Path,
) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let (recent, p) = peers::recent(test).expect("peers");
    let h264 = ffmpeg::pattern_file(&p.ffmpeg, dir, FRAMES, 25);
    let hevc = dir.join("hevc.flv");
    Proc::spawn(
        "hevc encoder",
        &mut ffmpeg::write_hevc_opus(&recent, &hevc, FRAMES),
    )
    .wait_success(Duration::from_secs(60));
    (h264, hevc, recent)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Reports a codec run and checks it: the codec chosen, the one that arrived, frames decoded.
fn check_codec(
    what: &str,
    push: &our_client::CodecPush,
    arrived: Option<VideoCodec>,
    decoded: u64,
    (chosen, on_the_wire): (StreamCodec, VideoCodec),
) {
    eprintln!(
        "fleet_codec/{what} {arrived:?} ({decoded} frames decoded); chose {:?}, sent {} frames",
        push.codec, push.frames
    );
    assert_eq!(push.codec, chosen, "{:?}", push.server_caps);
    assert_eq!(arrived, Some(on_the_wire));
    assert!(decoded > 0);
}

mod our_relay {
    use super::*;

    fn hevc_goes_out_to_a_server_that_answers_hvc1(adapter: Adapter) {
        let dir = temp_dir("fleet-codec-ours");
        let (h264, hevc, recent) = files("fleet_codec/our_relay", &dir);
        let rec = dir.join("rec");
        let srv = start(
            adapter,
            &ServerOpts {
                record_dir: Some(rec.clone()),
                ..ServerOpts::default()
            },
        );
        let push = our_client::publish_by_codec(
            adapter,
            &srv.url("cam1_main"),
            CodecPreference::HevcOrH264,
            &h264,
            &hevc,
            RUN,
        )
        .unwrap_or_else(|e| panic!("our fleet: {e}"));
        wait_until("publisher gone", Duration::from_secs(5), || {
            srv.stats().publishers == 0
        });
        srv.stop();
        let flv = read_flv(&rec.join("live/cam1_main-1.flv"));
        let decoded = ffmpeg::decoded_video_frames(&recent, &rec.join("live/cam1_main-1.flv"))
            .unwrap_or_else(|e| panic!("the recording does not decode: {e}"));
        check_codec(
            &format!("our_relay/{}: recorded", adapter.name()),
            &push,
            flv.video_codec,
            decoded,
            (StreamCodec::Hevc, VideoCodec::Hevc),
        );
    }

    for_each_adapter!(hevc_goes_out_to_a_server_that_answers_hvc1);
}

mod nginx {
    use super::*;

    fn h264_goes_out_to_nginx_and_an_ffmpeg_player_decodes_it(adapter: Adapter) {
        let Some((nginx, _)) = peers::nginx("fleet_codec/nginx") else {
            return;
        };
        let dir = temp_dir("fleet-codec-nginx");
        let (h264, hevc, recent) = files("fleet_codec/nginx", &dir);
        let server = Nginx::start(&nginx);
        let url = server.url("cam1_main");
        let out = dir.join("played.flv");
        // nginx-rtmp lets players wait for a stream nobody publishes yet: one decodes, one
        // saves what it gets (for the codec).
        let mut decoder = Proc::spawn(
            "ffmpeg decoding player",
            &mut ffmpeg::player(&recent, &url, ffmpeg::Play::Decode),
        );
        // Two seconds of the stream, then it ends by itself and closes the file.
        let mut saver = Proc::spawn(
            "ffmpeg saving player",
            std::process::Command::new(&recent)
                .args(["-hide_banner", "-loglevel", "error", "-i", &url])
                .args(["-t", "2", "-c", "copy", "-f", "flv", "-y"])
                .arg(&out),
        );
        std::thread::sleep(Duration::from_millis(500));
        let push = our_client::publish_by_codec(
            adapter,
            &url,
            CodecPreference::HevcOrH264,
            &h264,
            &hevc,
            RUN,
        )
        .unwrap_or_else(|e| panic!("our fleet: {e}"));
        // ffmpeg does not end on nginx-rtmp's UnpublishNotify: give it a second for the
        // last frames, then stop both.
        std::thread::sleep(Duration::from_secs(1));
        let decoded = ffmpeg::frames(&decoder);
        decoder.kill();
        saver.wait_success(Duration::from_secs(10));
        let errors = decoder.stderr();
        assert!(
            errors.trim().is_empty(),
            "the ffmpeg player reported errors: {errors}"
        );
        let flv = read_flv(&out);
        check_codec(
            &format!("nginx/{}: a player saved", adapter.name()),
            &push,
            flv.video_codec,
            decoded,
            (StreamCodec::H264, VideoCodec::Avc),
        );
    }

    for_each_adapter!(h264_goes_out_to_nginx_and_an_ffmpeg_player_decodes_it);
}

mod ffmpeg_server {
    use super::*;

    fn ffmpeg_9_listen_gives_a_legacy_answer_so_h264_goes_out(adapter: Adapter) {
        let dir = temp_dir("fleet-codec-ffmpeg");
        let (h264, hevc, recent) = files("fleet_codec/ffmpeg_server", &dir);
        let out = dir.join("received.flv");
        let url = format!("rtmp://127.0.0.1:{}/live/cam1_main", free_port());
        let mut server = Proc::spawn(
            "ffmpeg 9 server",
            &mut ffmpeg::serve_one_publisher(&recent, &url, &out),
        );
        let push = our_client::publish_by_codec(
            adapter,
            &url,
            CodecPreference::HevcOrH264,
            &h264,
            &hevc,
            RUN,
        )
        .unwrap_or_else(|e| panic!("our fleet: {e}; ffmpeg: {}", server.stderr()));
        server.wait_success(Duration::from_secs(10));
        let flv = read_flv(&out);
        eprintln!(
            "fleet_codec/ffmpeg_server/{}: server caps {:?}, chose {:?}; ffmpeg saved {:?}",
            adapter.name(),
            push.server_caps,
            push.codec,
            flv.video_codec
        );
        assert_eq!(
            push.server_caps, None,
            "ffmpeg 9 started answering E-RTMP: revisit"
        );
        assert_eq!(push.codec, StreamCodec::H264);
        assert_eq!(flv.video_codec, Some(VideoCodec::Avc), "{flv:?}");
    }

    for_each_adapter!(ffmpeg_9_listen_gives_a_legacy_answer_so_h264_goes_out);
}
