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

use rtmp_interop::ffmpeg::{self, Play, assert_most_frames};
use rtmp_interop::{
    Adapter, Proc, ServerOpts, file_player, for_each_adapter, peers, start, temp_dir,
};

/// Published video frames (4 s at 25 fps).
const FRAMES: u32 = 100;

mod player {
    use super::*;

    fn rtmpdump_plays_the_whole_stream(adapter: Adapter) {
        let Some(l) = peers::librtmp("librtmp/player") else {
            return;
        };
        let p = &l.peers;
        // rtmpdump exits 0 only for a complete download: the stream's end reached it.
        let frames = file_player::plays_the_pattern(adapter, p, "rtmpdump", FRAMES, |url, out| {
            Proc::spawn(
                "rtmpdump",
                Command::new(&l.rtmpdump)
                    .args(["--live", "--timeout", "15", "-r", url, "-o"])
                    .arg(out),
            )
        });
        assert_most_frames("rtmpdump", frames, FRAMES);
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
        let file = ffmpeg::pattern_file(&p.ffmpeg, &temp_dir("librtmp-pub"), FRAMES, 25);
        let srv = start(adapter, &ServerOpts::default());
        let url = srv.url("librtmp");
        let mut player = Proc::spawn(
            "ffmpeg player",
            &mut ffmpeg::player(&p.ffmpeg, &url, Play::Decode),
        );
        srv.wait_players(1);
        let mut publisher = Proc::spawn(
            "librtmp publisher",
            Command::new(&l.publish).arg(&url).arg(&file),
        );
        publisher.wait_success(Duration::from_secs(20));
        let frames = ffmpeg::finish_clean(&mut player, rtmp_interop::player_end_limit());
        eprintln!(
            "librtmp/publisher/{}: librtmp published {FRAMES} video frames ({}); ffmpeg decoded {frames}",
            adapter.name(),
            publisher.stdout_lines().join(" ")
        );
        assert_most_frames("the ffmpeg player", frames, FRAMES);
        srv.stop();
    }

    for_each_adapter!(a_librtmp_publisher_reaches_an_ffmpeg_player);
}
