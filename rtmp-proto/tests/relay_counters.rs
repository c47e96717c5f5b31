//! Counters: connections, publishers, players, bytes in/out, frames relayed, frames dropped,
//! lag disconnects.

mod relay_support;

use std::time::Instant;

use relay_support::*;
use rtmp_proto::relay::{Join, PlayerRef, Registry, RelayConfig, StreamKey, Verdict};
use rtmp_proto::session::StreamId;

#[test]
fn registry_counts_connections_publishers_players_and_input() {
    let mut config = RelayConfig::default();
    config.wait_for_publisher = true;
    // Players end with their publisher here (no grace), so the counters can be checked.
    config.publisher_grace = std::time::Duration::ZERO;
    config.player_soft_bytes = 100;
    config.player_hard_bytes = 1_000;
    let mut reg = Registry::new(config);
    let key = StreamKey::new("live", "cam");
    let (a, v1, v2) = (
        reg.open_connection(),
        reg.open_connection(),
        reg.open_connection(),
    );
    let c = reg.counters();
    assert_eq!((c.connections, c.connections_total), (3, 3));
    // A waiting player counts as a player.
    let Join::Waiting { policy: mut p1, .. } = reg.join(
        std::time::Instant::now(),
        &key,
        PlayerRef {
            conn: v1,
            stream: StreamId(1),
        },
    ) else {
        panic!()
    };
    assert_eq!(reg.counters().players, 1);
    reg.publish(&key, a).unwrap();
    assert_eq!(reg.counters().publishers, 1);
    let Join::Live { policy: mut p2, .. } = reg.join(
        std::time::Instant::now(),
        &key,
        PlayerRef {
            conn: v2,
            stream: StreamId(1),
        },
    ) else {
        panic!()
    };
    assert_eq!(reg.counters().players, 2);

    let now = Instant::now();
    let frames = [avc_key(0, 95), avc_inter(40, 45), aac(50, 8)];
    // p2 is far behind: a lag event (keyframe and inter frame dropped), then cut off.
    let p2_backlog = [900, 900, 995];
    let mut p2_verdicts = Vec::new();
    for (f, backlog) in frames.iter().zip(p2_backlog) {
        reg.ingest(&key, a, f).unwrap();
        assert!(matches!(p1.offer(now, f, 0), Verdict::Send(_)));
        p2_verdicts.push(p2.offer(now, f, backlog));
    }
    assert!(matches!(
        p2_verdicts[..],
        [Verdict::Skip, Verdict::Skip, Verdict::Disconnect(_)]
    ));
    let c = reg.counters();
    assert_eq!((c.frames_in, c.bytes_in), (3, 100 + 50 + 10));
    reg.add_player_stats(&p1.take_stats());
    reg.add_player_stats(&p2.take_stats());
    let c = *reg.counters();
    assert_eq!(c.frames_relayed, 3);
    assert_eq!(c.bytes_out, 160);
    assert_eq!(c.lag_events, 1);
    assert_eq!(c.lag_disconnects, 1);
    assert_eq!(c.frames_dropped, 3);
    assert_eq!(p2.stats().frames_dropped, 3);
    assert_eq!(p1.stats().frames_dropped, 0);

    reg.close_connection(std::time::Instant::now(), v2);
    assert_eq!(reg.counters().players, 1);
    reg.close_connection(std::time::Instant::now(), a);
    let c = reg.counters();
    assert_eq!((c.publishers, c.players, c.connections), (0, 0, 1));
    assert_eq!(c.connections_total, 3);
}

/// The registry counts its own refusals by cause: a second publisher under
/// `DuplicatePublish::Reject` (relay), a play of a stream that is not live when players do
/// not wait (relay), a play over the waiting limit (limit). Hooks' refusals and accept
/// limits are the adapter's: they stay zero here.
#[test]
fn registry_counts_its_refusals_by_cause() {
    let now = Instant::now();
    let mut config = RelayConfig::default();
    config.duplicate_publish = rtmp_proto::relay::DuplicatePublish::Reject;
    config.max_waiting_per_stream = 1;
    let mut reg = Registry::new(config);
    let (a, b, v) = (
        reg.open_connection(),
        reg.open_connection(),
        reg.open_connection(),
    );
    let live = StreamKey::new("live", "cam");
    reg.publish(&live, a).unwrap();
    assert!(reg.publish(&live, b).is_err());
    assert!(reg.publish(&live, b).is_err());
    let player = |n| PlayerRef {
        conn: v,
        stream: StreamId(n),
    };
    let off = StreamKey::new("live", "off");
    assert!(matches!(
        reg.join(now, &off, player(1)),
        Join::Waiting { .. }
    ));
    assert!(matches!(
        reg.join(now, &off, player(2)),
        Join::TooManyWaiting
    ));
    let r = reg.counters().rejected;
    assert_eq!(
        (r.publishes.relay, r.publishes.hook, r.publishes.limit),
        (2, 0, 0)
    );
    assert_eq!((r.plays.relay, r.plays.hook, r.plays.limit), (0, 0, 1));

    let mut config = RelayConfig::default();
    config.wait_for_publisher = false;
    let mut reg = Registry::new(config);
    let v = reg.open_connection();
    let p = PlayerRef {
        conn: v,
        stream: StreamId(1),
    };
    assert!(matches!(reg.join(now, &off, p), Join::NotFound));
    let c = *reg.counters();
    assert_eq!((c.rejected.plays.relay, c.rejected.plays.limit), (1, 0));
    assert_eq!(c.rejected.connects, Default::default());
    assert_eq!(c.states, Default::default());
    assert_eq!((c.accepted_plain, c.accepted_tls), (0, 0));
}
