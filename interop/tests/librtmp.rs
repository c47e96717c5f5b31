//! librtmp, the other RTMP client implementation in wide use (rtmpdump, GStreamer's
//! rtmpsrc/rtmpsink; OBS's RTMP output is a fork of it), against the relay. Its FP9 digest
//! handshake checks our S1 and S2.
//!
//! - rtmpdump plays a 100-frame H.264 + AAC pattern that ffmpeg publishes, ends cleanly at
//!   the end of the stream, and its FLV holds at least 95% of the video frames and decodes
//!   without errors.
//! - A librtmp publisher (`interop/peers/librtmp_publish.c`: releaseStream, FCPublish,
//!   createStream, publish, `RTMP_Write` of FLV tags, FCUnpublish, deleteStream, as
//!   librtmp-based encoders do) pushes the pattern while an ffmpeg player decodes at least
//!   95% of it without errors and ends when the publisher does.

use std::process::Command;
use std::time::Duration;

use rtmp_interop::ffmpeg::{self, Play};
use rtmp_interop::{
    Adapter, Proc, ServerOpts, for_each_adapter, peers, start, temp_dir, wait_until,
};

/// Published video frames (4 s at 25 fps).
const FRAMES: u32 = 100;

fn at_least_95_percent(who: &str, frames: u64) {
    assert!(
        frames * 100 >= u64::from(FRAMES) * 95,
        "{who} got {frames} of {FRAMES} frames"
    );
}

mod player {
    use super::*;

    fn rtmpdump_plays_the_whole_stream(adapter: Adapter) {
        let Some(l) = peers::librtmp("librtmp/player") else {
            return;
        };
        let p = &l.peers;
        let mut opts = ServerOpts::default();
        // The player starts first and waits for the publisher, so slow process start-up
        // cannot cost it the first frames.
        opts.relay.wait_for_publisher = true;
        let srv = start(adapter, &opts);
        let url = srv.url("pattern");
        let out = temp_dir("librtmp").join("played.flv");

        let mut player = Proc::spawn(
            "rtmpdump",
            Command::new(&l.rtmpdump)
                .args(["--live", "--timeout", "15", "-r"])
                .arg(&url)
                .arg("-o")
                .arg(&out),
        );
        wait_until("rtmpdump waiting", Duration::from_secs(10), || {
            srv.stats().players == 1
        });

        let mut publisher = Proc::spawn(
            "publisher",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, 25),
        );
        let status = publisher.wait(Duration::from_secs(20));
        assert!(
            status.success(),
            "publisher: {status} {}",
            publisher.stderr()
        );

        // rtmpdump exits 0 only for a complete download: the stream's end reached it.
        let status = player.wait(Duration::from_secs(10));
        assert!(status.success(), "rtmpdump: {status} {}", player.stderr());
        let (_, frames) = ffmpeg::probe(&p.ffprobe, &out);
        eprintln!(
            "librtmp/player/{}: published {FRAMES} video frames; rtmpdump saved {frames}",
            adapter.name()
        );
        if let Err(e) = ffmpeg::decode_file(&p.ffmpeg, &out) {
            panic!("rtmpdump's file does not decode cleanly: {e}");
        }
        at_least_95_percent("rtmpdump", frames);
        srv.stop();
    }

    for_each_adapter!(rtmpdump_plays_the_whole_stream);
}

mod publisher {
    use super::*;

    fn a_librtmp_publisher_reaches_an_ffmpeg_player(adapter: Adapter) {
        let Some(l) = peers::librtmp("librtmp/publisher") else {
            return;
        };
        let p = &l.peers;
        let dir = temp_dir("librtmp-pub");
        let file = dir.join("pattern.flv");
        let mut enc = Proc::spawn(
            "ffmpeg encoder",
            &mut ffmpeg::write_h264_aac(&p.ffmpeg, &file, FRAMES, 25),
        );
        let status = enc.wait(Duration::from_secs(30));
        assert!(status.success(), "encoder: {status} {}", enc.stderr());

        let mut opts = ServerOpts::default();
        opts.relay.wait_for_publisher = true;
        let srv = start(adapter, &opts);
        let url = srv.url("librtmp");
        let mut player = Proc::spawn(
            "ffmpeg player",
            &mut ffmpeg::player(&p.ffmpeg, &url, Play::Decode),
        );
        wait_until("player waiting", Duration::from_secs(10), || {
            srv.stats().players == 1
        });

        let mut publisher = Proc::spawn(
            "librtmp publisher",
            Command::new(&l.publish).arg(&url).arg(&file),
        );
        let status = publisher.wait(Duration::from_secs(20));
        assert!(
            status.success(),
            "librtmp publisher: {status} {}",
            publisher.stderr()
        );
        let frames = ffmpeg::finish_clean(&mut player, Duration::from_secs(5));
        eprintln!(
            "librtmp/publisher/{}: librtmp published {FRAMES} video frames ({}); ffmpeg decoded {frames}",
            adapter.name(),
            publisher.stdout_lines().join(" ")
        );
        at_least_95_percent("the ffmpeg player", frames);
        srv.stop();
    }

    for_each_adapter!(a_librtmp_publisher_reaches_an_ffmpeg_player);
}
