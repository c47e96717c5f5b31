//! ffmpeg publishes a generated H.264 + AAC test pattern; three ffmpeg players each
//! receive at least 95% of the published video frames and decode them without errors.

use std::time::Duration;

use rtmp_interop::ffmpeg::{self, Play};
use rtmp_interop::{Adapter, Proc, ServerOpts, for_each_adapter, peers, start, wait_until};

/// Published video frames (4 s at 25 fps).
const FRAMES: u32 = 100;

fn three_players_get_every_frame(adapter: Adapter) {
    let Some(p) = peers::legacy("three_players") else {
        return;
    };
    // Players start first and wait for the publisher, so slow process start-up cannot
    // cost them the first frames.
    let mut opts = ServerOpts::default();
    opts.relay.wait_for_publisher = true;
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
    wait_until("3 players waiting", Duration::from_secs(10), || {
        srv.stats().players == 3
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

    let mut got = Vec::new();
    for pl in &mut players {
        got.push(ffmpeg::finish_clean(pl, Duration::from_secs(5)));
    }
    let stats = srv.stats();
    eprintln!(
        "three_players/{}: published {FRAMES} video frames; decoded {got:?}; \
         relay frames_in {} relayed {} dropped {}",
        adapter.name(),
        stats.frames_in,
        stats.frames_relayed,
        stats.frames_dropped
    );
    for (i, n) in got.iter().enumerate() {
        assert!(
            *n * 100 >= u64::from(FRAMES) * 95,
            "player {i} decoded {n} of {FRAMES} frames"
        );
    }
    srv.stop();
}

for_each_adapter!(three_players_get_every_frame);
