//! Publisher stops, with the relay's defaults: players are held for the publisher grace
//! period (5 s) and end within 2 s after it (a publisher that ends normally, and one that
//! is killed); a second publisher on a live stream is refused while the first keeps going.

use std::time::{Duration, Instant};

use rtmp_interop::ffmpeg::{self, Play};
use rtmp_interop::{Adapter, Client, Proc, ServerOpts, for_each_adapter, peers, start, wait_until};
use rtmp_proto::session::StatusCode;

const FRAMES: u32 = 100;
/// The relay's default publisher grace: players are held this long for a new publisher.
const GRACE: Duration = Duration::from_secs(5);
const END_LIMIT: Duration = Duration::from_secs(7);

fn publisher_end_ends_players_and_duplicates_are_refused(adapter: Adapter) {
    let Some(p) = peers::legacy("publisher_stop") else {
        return;
    };
    let opts = ServerOpts::default();
    let srv = start(adapter, &opts);
    let url = srv.url("stop");
    let mut players: Vec<Proc> = (0..2)
        .map(|i| {
            Proc::spawn(
                &format!("player {i}"),
                &mut ffmpeg::player(&p.ffmpeg, &url, Play::Copy),
            )
        })
        .collect();
    wait_until("players waiting", Duration::from_secs(10), || {
        srv.stats().players == 2
    });
    let mut publisher = Proc::spawn(
        "publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, 25),
    );
    wait_until("publisher live", Duration::from_secs(10), || {
        srv.stats().frames_in > 0
    });

    // A second ffmpeg publisher and our own client are both refused.
    let mut dup = Proc::spawn(
        "duplicate publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, 25),
    );
    let dup_started = Instant::now();
    let dup_status = dup.wait(Duration::from_secs(10));
    let dup_after = dup_started.elapsed();
    assert!(
        !dup_status.success(),
        "duplicate ffmpeg publisher succeeded"
    );
    let code = Client::connect(srv.addr, "live").try_publish("stop");
    assert_eq!(code, StatusCode::PublishBadName);
    assert!(
        publisher.try_wait().is_none(),
        "first publisher stopped early"
    );

    let status = publisher.wait(Duration::from_secs(20));
    assert!(
        status.success(),
        "publisher: {status} {}",
        publisher.stderr()
    );
    let stopped = Instant::now();
    let mut ends = Vec::new();
    let mut got = Vec::new();
    for pl in &mut players {
        got.push(ffmpeg::finish_clean(pl, Duration::from_secs(10)));
        ends.push(stopped.elapsed());
    }
    eprintln!(
        "publisher_stop/{}: duplicate refused ({code}; ffmpeg duplicate exited {dup_status} \
         after {dup_after:?}); first publisher kept going: players got {got:?} of {FRAMES}; \
         players ended {ends:?} after the publisher",
        adapter.name()
    );
    for (n, end) in got.iter().zip(&ends) {
        assert!(
            *n * 100 >= u64::from(FRAMES) * 95,
            "player got {n} of {FRAMES}"
        );
        assert!(
            *end >= GRACE - Duration::from_millis(500) && *end <= END_LIMIT,
            "player ended {end:?} after the publisher (grace {GRACE:?})"
        );
    }

    // A publisher that dies (SIGKILL: no unpublish, just a closed socket).
    let mut publisher = Proc::spawn(
        "publisher to kill",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, 500, 25),
    );
    let mut player = Proc::spawn("player", &mut ffmpeg::player(&p.ffmpeg, &url, Play::Copy));
    wait_until("player receiving", Duration::from_secs(10), || {
        player.last_progress("frame").unwrap_or(0) > 10
    });
    publisher.kill();
    let killed = Instant::now();
    let status = player.wait(Duration::from_secs(10));
    let end = killed.elapsed();
    eprintln!(
        "publisher_stop/{}: after kill -9 of the publisher the player ended ({status}) in {end:?}",
        adapter.name()
    );
    assert!(
        end >= GRACE - Duration::from_millis(500) && end <= END_LIMIT,
        "player ended {end:?} after the publisher died (grace {GRACE:?})"
    );
    srv.stop();
}

for_each_adapter!(publisher_end_ends_players_and_duplicates_are_refused);
