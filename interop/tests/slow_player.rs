//! A player that stops reading: the other players keep the full frame rate, the server's
//! memory stays bounded, and the relay drops the slow player by policy.
//!
//! The stream is a pre-encoded 12 Mbit/s H.264 + AAC file (so the publisher costs no CPU
//! while it runs) published in real time for 12 s. Our own client plays it, then never
//! reads again.
//!
//! Memory bound, per the relay policy: what the slow player's queue can hold in memory is
//! bounded by `player_max_age` (2 s here), not by `player_hard_bytes`: queued frames are
//! zero-copy slices of the publisher's 64 KiB read buffers, so a queue of small audio
//! frames pins whole buffers; the frames of the last 2 s pin at most the bytes read in those
//! 2 s. So the bound is stream rate x max age + one GOP in the cache (rate x 1 s, a
//! keyframe per second) + 3 MiB for everything else that may grow during the run
//! (allocator arenas, frames in flight to the two fast players). An unbounded queue would
//! grow by nearly everything published after the slow player stopped (minus a few MB the
//! kernel's socket buffers absorb): the test checks the stream was more than twice the
//! bound.

use std::time::{Duration, Instant};

use rtmp_interop::ffmpeg::{self, Play};
use rtmp_interop::rss::{PeakRss, rss_bytes};
use rtmp_interop::{
    Adapter, Client, Proc, ServerOpts, for_each_adapter, peers, start, temp_dir, wait_until,
};

const FRAMES: u32 = 300;
const MAX_AGE: Duration = Duration::from_secs(2);
const MIB: u64 = 1024 * 1024;
const HARD: u64 = MIB;

fn slow_player_is_dropped_alone(adapter: Adapter) {
    let Some(p) = peers::legacy("slow_player") else {
        return;
    };
    let dir = temp_dir("slow");
    let media = dir.join("fat.flv");
    let mut enc = Proc::spawn(
        "encoder",
        std::process::Command::new(&p.ffmpeg)
            .args(["-hide_banner", "-nostdin", "-loglevel", "error"])
            .args(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"])
            .args(["-f", "lavfi", "-i", "sine=sample_rate=44100:duration=12"])
            .args(["-frames:v", &FRAMES.to_string(), "-c:v", "libx264"])
            .args([
                "-preset",
                "ultrafast",
                "-g",
                "25",
                "-b:v",
                "12M",
                "-minrate",
                "12M",
            ])
            .args([
                "-maxrate",
                "12M",
                "-bufsize",
                "3M",
                "-x264-params",
                "nal-hrd=cbr",
            ])
            .args(["-c:a", "aac", "-f", "flv"])
            .arg(&media),
    );
    assert!(
        enc.wait(Duration::from_secs(30)).success(),
        "encode: {}",
        enc.stderr()
    );

    let mut opts = ServerOpts::default();
    opts.relay.player_soft_bytes = 256 * 1024;
    opts.relay.player_hard_bytes = HARD as usize;
    opts.relay.player_soft_age = Duration::from_secs(1);
    opts.relay.player_max_age = MAX_AGE;
    let srv = start(adapter, &opts);
    let url = srv.url("fat");

    let mut slow = Client::connect(srv.addr, "live");
    slow.play("fat");
    // From here on the slow player never reads.
    let mut players: Vec<Proc> = (0..2)
        .map(|i| {
            Proc::spawn(
                &format!("player {i}"),
                &mut ffmpeg::player(&p.ffmpeg, &url, Play::Copy),
            )
        })
        .collect();
    wait_until("players waiting", Duration::from_secs(10), || {
        srv.stats().players == 3
    });

    let base = rss_bytes();
    let peak = PeakRss::start();
    let started = Instant::now();
    let mut publisher = Proc::spawn(
        "publisher",
        &mut ffmpeg::publish_file(&p.ffmpeg, &media, &url),
    );
    wait_until("slow player dropped", Duration::from_secs(15), || {
        srv.stats().lag_disconnects >= 1
    });
    let dropped_after = started.elapsed();
    assert!(
        publisher.try_wait().is_none(),
        "the stream ended before the drop"
    );
    // The lag counter is bumped when the relay decides to drop the player; the player
    // count falls when that connection's task has finished closing, a moment later.
    wait_until(
        "slow player's connection closed",
        Duration::from_secs(2),
        || srv.stats().players <= 2,
    );
    assert_eq!(srv.stats().players, 2, "only the slow player is dropped");
    wait_until(
        "slow player's socket sees EOF",
        Duration::from_secs(2),
        || slow.server_closed(),
    );

    let status = publisher.wait(Duration::from_secs(20));
    assert!(
        status.success(),
        "publisher: {status} {}",
        publisher.stderr()
    );
    let mut got = Vec::new();
    for pl in &mut players {
        got.push(ffmpeg::finish_clean(pl, rtmp_interop::player_end_limit()));
    }
    let peak = peak.stop();
    let stats = srv.stats();
    let grew = peak.saturating_sub(base);
    let rate = stats.bytes_in / u64::from(FRAMES / 25);
    let bound = rate * MAX_AGE.as_secs() + rate + 3 * MIB;
    eprintln!(
        "slow_player/{}: slow player dropped {dropped_after:?} after the publish started \
         (lag events {}, lag disconnects {}, frames dropped {}); other players got {got:?} of \
         {FRAMES}; RSS {} KiB -> peak {} KiB (+{} KiB, bound {} KiB); published {} KiB",
        adapter.name(),
        stats.lag_events,
        stats.lag_disconnects,
        stats.frames_dropped,
        base / 1024,
        peak / 1024,
        grew / 1024,
        bound / 1024,
        stats.bytes_in / 1024,
    );
    for n in &got {
        assert!(
            *n * 100 >= u64::from(FRAMES) * 95,
            "fast player got {n} of {FRAMES}"
        );
    }
    assert!(
        stats.bytes_in > 2 * bound,
        "stream too small to show a bound"
    );
    assert!(grew <= bound, "RSS grew {grew} bytes, bound {bound}");
    srv.stop();
    std::fs::remove_dir_all(&dir).ok();
}

for_each_adapter!(slow_player_is_dropped_alone);
