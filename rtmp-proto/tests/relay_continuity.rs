//! Live streams that survive their edges, with the shipped defaults: players that arrive
//! before their publisher wait for it (bounded in time and number when configured), and a
//! publisher that goes away and comes back within the grace period keeps its players:
//! nothing they would take for the end, headers only if they changed, a restart at a
//! keyframe, and a timeline that stays monotonic and continuous. On a virtual clock.

mod relay_support;

use std::time::{Duration, Instant};

use relay_support::*;
use rtmp_proto::relay::{
    ConnId, Frame, FrameClass, Join, PlayerPolicy, PlayerRef, Registry, RelayConfig, StreamKey,
    Verdict,
};
use rtmp_proto::session::{Droppable, StreamId};

fn key() -> StreamKey {
    StreamKey::new("live", "cam")
}

fn player(conn: ConnId) -> PlayerRef {
    PlayerRef {
        conn,
        stream: StreamId(1),
    }
}

/// What a player receives: (out timestamp, class) of every frame sent.
#[derive(Debug, Default)]
struct Received(Vec<(u32, FrameClass)>);

impl Received {
    fn offer(&mut self, p: &mut PlayerPolicy, now: Instant, f: &Frame) -> Verdict {
        let v = p.offer(now, f, 0);
        if let Verdict::Send(_) = v {
            self.0.push((p.timestamp(f), f.class()));
        }
        v
    }

    fn timestamps(&self) -> Vec<u32> {
        self.0.iter().map(|(t, _)| *t).collect()
    }
}

#[test]
fn by_default_a_play_before_its_publisher_waits_and_starts_with_it() {
    let t0 = Instant::now();
    let mut reg = Registry::new(RelayConfig::default());
    let (a, v) = (reg.open_connection(), reg.open_connection());
    let Join::Waiting { mut policy, until } = reg.join(t0, &key(), player(v)) else {
        panic!("the default waits for the publisher");
    };
    assert_eq!(until, None, "no limit but the connection's own liveness");
    assert_eq!(reg.counters().players, 1);
    let grant = reg.publish(&key(), a).unwrap();
    assert_eq!(grant.started, [player(v)]);
    // As a late joiner at the very start: metadata and headers, then video from a keyframe.
    let mut got = Received::default();
    for f in [
        metadata(0, 1),
        avc_seq(0, 1),
        aac_seq(0, 1),
        avc_inter(0, 10),
        avc_key(40, 10),
    ] {
        reg.ingest(&key(), a, &f).unwrap();
        got.offer(&mut policy, t0, &f);
    }
    assert_eq!(
        got.0.iter().map(|(_, c)| *c).collect::<Vec<_>>(),
        [
            FrameClass::Metadata,
            FrameClass::VideoConfig,
            FrameClass::AudioConfig,
            FrameClass::VideoKeyframe
        ]
    );
}

#[test]
fn a_bounded_wait_ends_at_its_deadline_and_waiting_players_are_bounded() {
    let t0 = Instant::now();
    let mut config = RelayConfig::default();
    config.max_play_wait = Some(Duration::from_secs(2));
    config.max_waiting_per_stream = 2;
    config.max_waiting = 3;
    let mut reg = Registry::new(config);
    let vs: Vec<ConnId> = (0..5).map(|_| reg.open_connection()).collect();
    let Join::Waiting { until, .. } = reg.join(t0, &key(), player(vs[0])) else {
        panic!()
    };
    assert_eq!(until, Some(t0 + Duration::from_secs(2)));
    assert!(matches!(
        reg.join(t0, &key(), player(vs[1])),
        Join::Waiting { .. }
    ));
    assert!(matches!(
        reg.join(t0, &key(), player(vs[2])),
        Join::TooManyWaiting
    ));
    let other = StreamKey::new("live", "other");
    assert!(matches!(
        reg.join(t0, &other, player(vs[3])),
        Join::Waiting { .. }
    ));
    assert!(
        matches!(reg.join(t0, &other, player(vs[4])), Join::TooManyWaiting),
        "server-wide"
    );
    // Not before its time, then exactly the one player.
    assert!(
        reg.expire(t0 + Duration::from_millis(1999), &key(), player(vs[0]))
            .is_empty()
    );
    assert_eq!(
        reg.expire(t0 + Duration::from_secs(2), &key(), player(vs[0])),
        [player(vs[0])]
    );
    assert_eq!(reg.waiting(&key()).collect::<Vec<_>>(), [player(vs[1])]);
    // Zero refuses at once, as before waiting players existed.
    let mut config = RelayConfig::default();
    config.max_play_wait = Some(Duration::ZERO);
    let mut reg = Registry::new(config);
    let v = reg.open_connection();
    assert!(matches!(reg.join(t0, &key(), player(v)), Join::NotFound));
}

/// A publisher sends `frames` (ts relative to its own start) for `player`.
fn publish(
    reg: &mut Registry,
    conn: ConnId,
    p: &mut PlayerPolicy,
    got: &mut Received,
    now: Instant,
    frames: &[Frame],
) {
    for f in frames {
        reg.ingest(&key(), conn, f).unwrap();
        got.offer(p, now, f);
    }
}

#[test]
fn players_are_held_through_a_publisher_reconnect_and_their_timeline_continues() {
    let t0 = Instant::now();
    let mut reg = Registry::new(RelayConfig::default());
    let (a, v, late) = (
        reg.open_connection(),
        reg.open_connection(),
        reg.open_connection(),
    );
    reg.publish(&key(), a).unwrap();
    let Join::Live { mut policy, .. } = reg.join(t0, &key(), player(v)) else {
        panic!()
    };
    let mut got = Received::default();
    let first = [
        metadata(0, 1),
        avc_seq(0, 1),
        aac_seq(0, 1),
        avc_key(0, 10),
        aac(20, 5),
        avc_inter(40, 10),
    ];
    publish(&mut reg, a, &mut policy, &mut got, t0, &first);
    let t1 = t0 + Duration::from_secs(10);
    publish(
        &mut reg,
        a,
        &mut policy,
        &mut got,
        t1,
        &[avc_inter(10_000, 10)],
    );

    // The publisher vanishes: nothing for the player, held for the grace period.
    let gone = t1 + Duration::from_millis(100);
    assert!(
        reg.close_connection(gone, a).unpublished[0]
            .players
            .is_empty()
    );
    assert_eq!(reg.held_until(&key()), Some(gone + Duration::from_secs(5)));
    assert_eq!(reg.players(&key()).collect::<Vec<_>>(), [player(v)]);
    // A joiner meanwhile waits for the new publisher and never sees the old one's frames.
    assert!(matches!(
        reg.join(gone, &key(), player(late)),
        Join::Waiting { .. }
    ));
    assert!(reg.cache(&key()).unwrap().join_frames().is_empty());

    // A new publisher 1.5 s later, its clock starting at 0: the same headers, a changed
    // audio config, an inter frame and audio before its first keyframe.
    let b = reg.open_connection();
    let back = gone + Duration::from_millis(1500);
    let grant = reg.publish(&key(), b).unwrap();
    assert_eq!(grant.resumed, [player(v)]);
    assert_eq!(grant.started, [player(late)]);
    assert_eq!(reg.held_until(&key()), None);
    policy.on_republish();
    let before = got.0.len();
    let second = [
        metadata(0, 1),
        avc_seq(0, 1),
        aac_seq(0, 2),
        avc_inter(0, 10),
        aac(10, 5),
        avc_key(40, 10),
        aac(60, 5),
        avc_inter(80, 10),
    ];
    publish(&mut reg, b, &mut policy, &mut got, back, &second);
    let after: Vec<FrameClass> = got.0[before..].iter().map(|(_, c)| *c).collect();
    assert_eq!(
        after,
        [
            FrameClass::AudioConfig,
            FrameClass::VideoKeyframe,
            FrameClass::Audio,
            FrameClass::VideoInter
        ],
        "only the changed header, then from the keyframe on"
    );
    // Monotonic, and the jump across the gap is the gap: the last frame before went out at
    // 10 000 ms, the first after 1.6 s of wall time later.
    let ts = got.timestamps();
    assert!(ts.windows(2).all(|w| w[1] >= w[0]), "{ts:?}");
    assert_eq!(got.0[before].0, 10_000 + 1_600);
    assert_eq!(got.0[before + 1].0, 10_000 + 1_600 + 40);
    assert_eq!(got.0.last().unwrap().0, 10_000 + 1_600 + 80);
}

/// An edge moving its pull to another origin takes milliseconds: the new publisher's
/// first keyframe still goes out a frame's duration after the last frame, not within it
/// (ffmpeg's muxers count in frames and reject two frames on one tick).
#[test]
fn a_switch_faster_than_a_frame_moves_the_timeline_on_by_a_frame() {
    let t0 = Instant::now();
    let mut reg = Registry::new(RelayConfig::default());
    let (a, v) = (reg.open_connection(), reg.open_connection());
    reg.publish(&key(), a).unwrap();
    let Join::Live { mut policy, .. } = reg.join(t0, &key(), player(v)) else {
        panic!()
    };
    let mut got = Received::default();
    let first = [
        avc_seq(0, 1),
        avc_key(1000, 10),
        avc_inter(1040, 10),
        avc_inter(1080, 10),
    ];
    publish(&mut reg, a, &mut policy, &mut got, t0, &first);
    reg.unpublish(t0, &key(), a);
    let b = reg.open_connection();
    let back = t0 + Duration::from_millis(3);
    assert_eq!(reg.publish(&key(), b).unwrap().resumed, [player(v)]);
    policy.on_republish();
    let second = [avc_seq(0, 1), avc_key(500, 10), avc_inter(540, 10)];
    publish(&mut reg, b, &mut policy, &mut got, back, &second);
    let ts = got.timestamps();
    assert_eq!(
        ts,
        [0, 1000, 1040, 1080, 1120, 1160],
        "one frame on, not 3 ms"
    );
}

#[test]
fn after_the_grace_period_the_players_end() {
    let t0 = Instant::now();
    let mut reg = Registry::new(RelayConfig::default());
    let (a, v) = (reg.open_connection(), reg.open_connection());
    reg.publish(&key(), a).unwrap();
    reg.join(t0, &key(), player(v));
    assert!(reg.unpublish(t0, &key(), a).is_empty());
    let until = t0 + RelayConfig::default().publisher_grace;
    assert!(
        reg.expire(until - Duration::from_millis(1), &key(), player(v))
            .is_empty()
    );
    assert_eq!(reg.expire(until, &key(), player(v)), [player(v)]);
    assert_eq!(reg.players(&key()).count(), 0);
    assert!(reg.expire(until, &key(), player(v)).is_empty(), "once");
    // A publisher after the grace starts a new stream: nobody is resumed.
    let b = reg.open_connection();
    assert!(reg.publish(&key(), b).unwrap().resumed.is_empty());
}

#[test]
fn a_codec_the_players_cannot_follow_ends_them() {
    let t0 = Instant::now();
    let mut reg = Registry::new(RelayConfig::default());
    let (a, v) = (reg.open_connection(), reg.open_connection());
    reg.publish(&key(), a).unwrap();
    let Join::Live { mut policy, .. } = reg.join(t0, &key(), player(v)) else {
        panic!()
    };
    let mut got = Received::default();
    publish(
        &mut reg,
        a,
        &mut policy,
        &mut got,
        t0,
        &[avc_seq(0, 1), avc_key(0, 10)],
    );
    reg.unpublish(t0, &key(), a);
    let b = reg.open_connection();
    reg.publish(&key(), b).unwrap();
    policy.on_republish();
    reg.ingest(&key(), b, &hevc_seq(0, 1)).unwrap();
    assert_eq!(policy.offer(t0, &hevc_seq(0, 1), 0), Verdict::EndStream);
    assert_eq!(
        policy.offer(t0, &hevc_frame(0, true, 10), 0),
        Verdict::Skip,
        "final"
    );
    // The same codec with a new configuration (a resolution change) is followed.
    let mut policy = PlayerPolicy::new(&RelayConfig::default());
    assert_eq!(
        policy.offer(t0, &avc_seq(0, 1), 0),
        Verdict::Send(Droppable::No)
    );
    policy.on_republish();
    assert_eq!(
        policy.offer(t0, &avc_seq(0, 2), 0),
        Verdict::Send(Droppable::No)
    );
}

#[test]
fn without_a_grace_period_players_end_with_their_publisher() {
    let t0 = Instant::now();
    let mut config = RelayConfig::default();
    config.publisher_grace = Duration::ZERO;
    let mut reg = Registry::new(config);
    let (a, v) = (reg.open_connection(), reg.open_connection());
    reg.publish(&key(), a).unwrap();
    reg.join(t0, &key(), player(v));
    assert_eq!(reg.unpublish(t0, &key(), a), [player(v)]);
    assert_eq!(reg.held_until(&key()), None);
}
