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

use rtmp_interop::ffmpeg::{self, Play, assert_most_frames};
use rtmp_interop::{
    Adapter, Proc, ServerOpts, file_player, for_each_adapter, gstreamer, peers, start,
};

/// Published video frames (4 s at 25 fps).
const FRAMES: u32 = 100;

mod gstreamer_publishes {
    use super::*;

    fn ffmpeg_plays_what_gstreamer_publishes(adapter: Adapter) {
        let Some((gst, p)) = peers::gstreamer_launch("gstreamer_publishes") else {
            return;
        };
        let srv = start(adapter, &ServerOpts::default());
        let url = srv.url("gst");
        let mut player = Proc::spawn(
            "ffmpeg player",
            &mut ffmpeg::player(&p.ffmpeg, &url, Play::Decode),
        );
        srv.wait_players(1);
        Proc::spawn(
            "gstreamer publisher",
            &mut gstreamer::publish_h264_aac(&gst, &url, FRAMES, 25),
        )
        .wait_success(Duration::from_secs(20));
        let frames = ffmpeg::finish_clean(&mut player, rtmp_interop::player_end_limit());
        eprintln!(
            "gstreamer_publishes/{}: GStreamer published {FRAMES} video frames; ffmpeg decoded {frames}",
            adapter.name()
        );
        assert_most_frames("the ffmpeg player", frames, FRAMES);
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
        // GStreamer exits 0 at the end of stream: the stream's end reached it.
        let frames =
            file_player::plays_the_pattern(adapter, &p, "GStreamer", FRAMES, |url, out| {
                Proc::spawn(
                    "gstreamer player",
                    &mut gstreamer::play_to_file(&gst, url, out),
                )
            });
        assert_most_frames("the GStreamer player", frames, FRAMES);
    }

    for_each_adapter!(gstreamer_plays_what_ffmpeg_publishes);
}
