//! ffmpeg publishes a generated H.264 + AAC test pattern; three ffmpeg players each
//! receive at least 95% of the published video frames and decode them without errors.
//! Also under merged writes (`--merge-ms 100`), where each player gets several frames per
//! write.

use std::time::Duration;

use rtmp_interop::ffmpeg::{self, Play};
use rtmp_interop::{Adapter, Proc, ServerOpts, for_each_adapter, peers, start};

/// Published video frames (4 s at 25 fps).
const FRAMES: u32 = 100;

fn three_players_get_every_frame(adapter: Adapter) {
    three_players(adapter, ServerOpts::default(), "three_players");
}

mod merged_writes {
    use super::*;

    fn three_players_get_every_frame_merged(adapter: Adapter) {
        let opts = ServerOpts {
            write_merge: Duration::from_millis(100),
            ..ServerOpts::default()
        };
        three_players(adapter, opts, "three_players/merged");
    }

    for_each_adapter!(three_players_get_every_frame_merged);
}

fn three_players(adapter: Adapter, opts: ServerOpts, label: &str) {
    let Some(p) = peers::legacy("three_players") else {
        return;
    };
    // Players start first and wait for the publisher (the relay's default), so slow
    // process start-up cannot cost them the first frames.
    let srv = start(adapter, &opts);
    let url = srv.url("pattern");

    let mut players: Vec<Proc> = (0..3)
        .map(|i| {
            Proc::spawn(
                &format!("player {i}"),
                &mut ffmpeg::player(&p.ffmpeg, &url, Play::Decode),
            )
        })
        .collect();
    srv.wait_players(3);
    Proc::spawn(
        "publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, 25),
    )
    .wait_success(Duration::from_secs(20));

    let mut got = Vec::new();
    for pl in &mut players {
        got.push(ffmpeg::finish_clean(pl, rtmp_interop::player_end_limit()));
    }
    let stats = srv.stats();
    eprintln!(
        "{label}/{}: published {FRAMES} video frames; decoded {got:?}; \
         relay frames_in {} relayed {} dropped {}",
        adapter.name(),
        stats.frames_in,
        stats.frames_relayed,
        stats.frames_dropped
    );
    for (i, n) in got.iter().enumerate() {
        ffmpeg::assert_most_frames(&format!("player {i}"), *n, FRAMES);
    }
    srv.stop();
}

for_each_adapter!(three_players_get_every_frame);
