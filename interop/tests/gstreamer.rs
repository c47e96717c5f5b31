//! GStreamer's own RTMP implementation (`rtmp2sink`, `rtmp2src`), a third client besides
//! ffmpeg's and librtmp's, publishes to and plays from the relay.
//!
//! - GStreamer publishes a 100-frame H.264 + AAC pattern and an ffmpeg player decodes at
//!   least 95% of it without errors; the publisher's end (GStreamer unpublishes at end of
//!   stream) ends the player.
//! - ffmpeg publishes the same pattern and GStreamer plays it into an FLV file that holds at
//!   least 95% of the frames and decodes without errors; GStreamer stops by itself at the
//!   stream's end.

use std::time::Duration;

use rtmp_interop::ffmpeg::{self, Play};
use rtmp_interop::{
    Adapter, Proc, ServerOpts, for_each_adapter, gstreamer, peers, start, temp_dir, wait_until,
};

/// Published video frames (4 s at 25 fps).
const FRAMES: u32 = 100;

fn at_least_95_percent(who: &str, frames: u64) {
    assert!(
        frames * 100 >= u64::from(FRAMES) * 95,
        "{who} got {frames} of {FRAMES} frames"
    );
}

mod gstreamer_publishes {
    use super::*;

    fn ffmpeg_plays_what_gstreamer_publishes(adapter: Adapter) {
        let Some((gst, p)) = peers::gstreamer_launch("gstreamer_publishes") else {
            return;
        };
        let mut opts = ServerOpts::default();
        // The player starts first and waits for the publisher, so slow process start-up
        // cannot cost it the first frames.
        opts.relay.wait_for_publisher = true;
        let srv = start(adapter, &opts);
        let url = srv.url("gst");

        let mut player = Proc::spawn(
            "ffmpeg player",
            &mut ffmpeg::player(&p.ffmpeg, &url, Play::Decode),
        );
        wait_until("player waiting", Duration::from_secs(10), || {
            srv.stats().players == 1
        });
        let mut publisher = Proc::spawn(
            "gstreamer publisher",
            &mut gstreamer::publish_h264_aac(&gst, &url, FRAMES, 25),
        );
        let status = publisher.wait(Duration::from_secs(20));
        assert!(
            status.success(),
            "gstreamer publisher: {status} {}",
            publisher.stderr()
        );
        let frames = ffmpeg::finish_clean(&mut player, Duration::from_secs(5));
        eprintln!(
            "gstreamer_publishes/{}: GStreamer published {FRAMES} video frames; ffmpeg decoded {frames}",
            adapter.name()
        );
        at_least_95_percent("the ffmpeg player", frames);
        srv.stop();
    }

    for_each_adapter!(ffmpeg_plays_what_gstreamer_publishes);
}

mod gstreamer_plays {
    use super::*;

    fn gstreamer_plays_what_ffmpeg_publishes(adapter: Adapter) {
        let Some((gst, p)) = peers::gstreamer_launch("gstreamer_plays") else {
            return;
        };
        let mut opts = ServerOpts::default();
        opts.relay.wait_for_publisher = true;
        let srv = start(adapter, &opts);
        let url = srv.url("pattern");
        let out = temp_dir("gstreamer").join("played.flv");

        let mut player = Proc::spawn(
            "gstreamer player",
            &mut gstreamer::play_to_file(&gst, &url, &out),
        );
        wait_until("player waiting", Duration::from_secs(10), || {
            srv.stats().players == 1
        });
        let mut publisher = Proc::spawn(
            "ffmpeg publisher",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, 25),
        );
        let status = publisher.wait(Duration::from_secs(20));
        assert!(
            status.success(),
            "ffmpeg publisher: {status} {}",
            publisher.stderr()
        );
        let status = player.wait(Duration::from_secs(10));
        assert!(
            status.success(),
            "gstreamer player: {status} {}",
            player.stderr()
        );
        let (_, frames) = ffmpeg::probe(&p.ffprobe, &out);
        eprintln!(
            "gstreamer_plays/{}: ffmpeg published {FRAMES} video frames; GStreamer saved {frames}",
            adapter.name()
        );
        if let Err(e) = ffmpeg::decode_file(&p.ffmpeg, &out) {
            panic!("GStreamer's file does not decode cleanly: {e}");
        }
        at_least_95_percent("the GStreamer player", frames);
        srv.stop();
    }

    for_each_adapter!(gstreamer_plays_what_ffmpeg_publishes);
}
