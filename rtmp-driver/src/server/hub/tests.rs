//! The fan-out moves reference-counted frames and follows the relay policy.

use bytes::Bytes;
use rtmp_proto::relay::{Frame, PlayerRef, RelayConfig, StreamKey};
use rtmp_proto::session::{Media, MediaKind, StreamId};

use super::*;

fn video(key: bool, len: usize) -> Frame {
    let mut body = vec![if key { 0x17 } else { 0x27 }, 0x01, 0, 0, 0];
    body.resize(len, 0xAB);
    Frame::media(Media {
        kind: MediaKind::Video,
        timestamp: 0,
        payload: Bytes::from(body),
    })
}

fn queued(slot: &PlayerSlot) -> Vec<Bytes> {
    lock(&slot.state)
        .queue
        .iter()
        .map(|q| match q {
            Queued::Shared(e, _) => e.message().payload.clone(),
            Queued::Own(f, ..) => f.payload().clone(),
        })
        .collect()
}

struct Setup {
    hub: Hub,
    key: StreamKey,
    publisher: ConnId,
    players: Vec<Arc<PlayerSlot>>,
}

fn setup(config: RelayConfig, players: usize) -> Setup {
    let hub = Hub::new(config, usize::MAX);
    let key = StreamKey::new("live", "cam");
    let (publisher, _) = hub.open_connection();
    hub.publish(&key, publisher).unwrap();
    let players = (0..players)
        .map(|_| {
            let (conn, link) = hub.open_connection();
            let player = PlayerRef {
                conn,
                stream: StreamId(1),
            };
            hub.join(&key, player, 4096, &link).unwrap()
        })
        .collect();
    Setup {
        hub,
        key,
        publisher,
        players,
    }
}

#[test]
fn every_player_gets_the_same_bytes_not_a_copy() {
    let s = setup(RelayConfig::default(), 100);
    let frame = video(true, 100_000);
    let original = frame.payload().as_ptr();
    let mut scratch = Fanout::default();
    s.hub.ingest(&s.key, s.publisher, &frame, &mut scratch);
    for slot in &s.players {
        let q = queued(slot);
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].as_ptr(), original, "a player got a copy");
    }
    // 100 players hold clones of one buffer: no payload bytes were duplicated.
    let stats = s.hub.stats();
    assert_eq!(stats.frames_in, 1);
    assert_eq!(stats.players, 100);
}

#[test]
fn a_late_joiner_gets_the_cached_gop_and_a_second_publisher_is_refused() {
    let s = setup(RelayConfig::default(), 0);
    let mut scratch = Fanout::default();
    let frames = [video(true, 50), video(false, 20), video(false, 20)];
    for f in &frames {
        s.hub.ingest(&s.key, s.publisher, f, &mut scratch);
    }
    let (conn, link) = s.hub.open_connection();
    let late = s
        .hub
        .join(
            &s.key,
            PlayerRef {
                conn,
                stream: StreamId(1),
            },
            4096,
            &link,
        )
        .unwrap();
    let q = queued(&late);
    assert_eq!(q.len(), 3);
    assert_eq!(q[0].as_ptr(), frames[0].payload().as_ptr());
    let (other, _) = s.hub.open_connection();
    let why = s.hub.publish(&s.key, other).unwrap_err();
    assert_eq!(why.code, Some(rtmp_proto::StatusCode::PublishBadName));
}

#[test]
fn a_slow_player_is_cut_without_touching_the_others() {
    let config = RelayConfig::default();
    let hard = config.player_hard_bytes;
    let s = setup(config, 2);
    let (slow, fast) = (&s.players[0], &s.players[1]);
    let mut scratch = Fanout::default();
    s.hub
        .ingest(&s.key, s.publisher, &video(true, 1000), &mut scratch);
    // The slow player's socket stopped draining: its session holds more than the limit.
    slow.report_backlog(hard + 1);
    s.hub
        .ingest(&s.key, s.publisher, &video(false, 1000), &mut scratch);
    assert!(matches!(
        lock(&slow.state).disconnect,
        Some(LagReason::HardBytes)
    ));
    assert!(queued(slow).is_empty(), "a cut player's queue is freed");
    assert_eq!(queued(fast).len(), 2);
}

#[test]
fn unpublish_ends_players_and_frees_the_slot() {
    let mut config = RelayConfig::default();
    config.publisher_grace = std::time::Duration::ZERO;
    let s = setup(config, 3);
    s.hub.unpublish(&s.key, s.publisher);
    for slot in &s.players {
        assert!(lock(&slot.state).ended);
    }
    let (next, _) = s.hub.open_connection();
    assert!(s.hub.publish(&s.key, next).is_ok());
    // Closing a connection releases what it published, too.
    s.hub.close_connection(next);
    let (again, _) = s.hub.open_connection();
    assert!(s.hub.publish(&s.key, again).is_ok());
}

#[test]
fn a_run_of_frames_reaches_every_player_in_order() {
    let s = setup(RelayConfig::default(), 3);
    let mut scratch = Fanout::default();
    let run = [video(true, 300), video(false, 200), video(false, 100)];
    s.hub.ingest_all(&s.key, s.publisher, &run, &mut scratch);
    for slot in &s.players {
        let lens: Vec<usize> = queued(slot).iter().map(Bytes::len).collect();
        assert_eq!(lens, [300, 200, 100]);
    }
    assert_eq!(s.hub.stats().frames_in, 3);
    // A late joiner's burst includes the whole run (it was cached before the offers).
    let (conn, link) = s.hub.open_connection();
    let late = PlayerRef {
        conn,
        stream: StreamId(1),
    };
    let slot = s.hub.join(&s.key, late, 4096, &link).unwrap();
    assert_eq!(queued(&slot).len(), 3);
}

#[test]
fn a_player_cut_inside_a_run_gets_none_of_its_rest() {
    let config = RelayConfig::default();
    let hard = config.player_hard_bytes;
    let s = setup(config, 2);
    let (slow, fast) = (&s.players[0], &s.players[1]);
    let mut scratch = Fanout::default();
    slow.report_backlog(hard + 1);
    let run = [video(true, 1000), video(false, 1000), video(false, 1000)];
    s.hub.ingest_all(&s.key, s.publisher, &run, &mut scratch);
    assert!(lock(&slow.state).disconnect.is_some());
    assert!(queued(slow).is_empty());
    assert_eq!(queued(fast).len(), 3);
}

/// A player's direct delivery path that records its calls and answers as told.
struct FakeDirect {
    calls: AtomicUsize,
    delivers: bool,
}

impl Deliver for FakeDirect {
    fn try_deliver(&self) -> bool {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.delivers
    }

    fn flush(&self) -> bool {
        self.delivers
    }
}

/// A direct delivery path with a bug.
struct PanickingDirect;

impl Deliver for PanickingDirect {
    fn try_deliver(&self) -> bool {
        panic!("a bug in one player's session code");
    }

    fn flush(&self) -> bool {
        panic!("a bug in one player's session code");
    }
}

#[test]
fn a_panicking_delivery_wakes_that_player_and_spares_the_publisher() {
    let s = setup(RelayConfig::default(), 0);
    let (conn, link) = s.hub.open_connection();
    let direct: Arc<dyn Deliver> = Arc::new(PanickingDirect);
    link.set_direct(Arc::downgrade(&direct));
    let player = PlayerRef {
        conn,
        stream: StreamId(1),
    };
    s.hub.join(&s.key, player, 4096, &link).unwrap();
    let (other_conn, other_link) = s.hub.open_connection();
    let other = s
        .hub
        .join(
            &s.key,
            PlayerRef {
                conn: other_conn,
                stream: StreamId(1),
            },
            4096,
            &other_link,
        )
        .unwrap();
    let mut scratch = Fanout::default();
    // Returns normally: the publisher's task goes on.
    s.hub
        .ingest(&s.key, s.publisher, &video(true, 10), &mut scratch);
    assert!(
        link.signal.lower(),
        "the player's own task must meet the bug"
    );
    // The other player still got its frame.
    assert_eq!(queued(&other).len(), 1);
}

#[test]
fn the_publisher_delivers_directly_and_wakes_the_player_only_when_that_fails() {
    let hub = Hub::new(RelayConfig::default(), usize::MAX);
    let key = StreamKey::new("live", "cam");
    let (publisher, _) = hub.open_connection();
    hub.publish(&key, publisher).unwrap();
    let mut players = Vec::new();
    for delivers in [true, false] {
        let (conn, link) = hub.open_connection();
        let direct = Arc::new(FakeDirect {
            calls: AtomicUsize::new(0),
            delivers,
        });
        let weak: Weak<dyn Deliver> = Arc::downgrade(&(direct.clone() as Arc<dyn Deliver>));
        link.set_direct(weak);
        let player = PlayerRef {
            conn,
            stream: StreamId(1),
        };
        hub.join(&key, player, 4096, &link).unwrap();
        // Joining wakes nobody by itself: the connection raises its own signal after
        // accepting the play.
        assert!(!link.signal.lower());
        players.push((direct, link));
    }
    let mut scratch = Fanout::default();
    // One run of frames from one publisher read: one delivery attempt per player.
    hub.ingest_all(
        &key,
        publisher,
        &[video(true, 100), video(false, 50)],
        &mut scratch,
    );
    let (delivered, woken) = (&players[0], &players[1]);
    assert_eq!(delivered.0.calls.load(Ordering::Relaxed), 1);
    assert!(
        !delivered.1.signal.lower(),
        "delivered, yet the task was woken"
    );
    assert_eq!(woken.0.calls.load(Ordering::Relaxed), 1);
    assert!(
        woken.1.signal.lower(),
        "not delivered and the task was not woken"
    );

    // The connection state is gone (its task ended): the task is woken, as without a path.
    let (conn, link) = hub.open_connection();
    {
        let gone: Arc<dyn Deliver> = Arc::new(FakeDirect {
            calls: AtomicUsize::new(0),
            delivers: true,
        });
        link.set_direct(Arc::downgrade(&gone));
    }
    let player = PlayerRef {
        conn,
        stream: StreamId(1),
    };
    hub.join(&key, player, 4096, &link).unwrap();
    hub.ingest(&key, publisher, &video(false, 10), &mut scratch);
    assert!(link.signal.lower());
}

#[test]
fn players_are_held_for_the_grace_period_then_resumed_or_ended() {
    let s = setup(RelayConfig::default(), 2);
    let grace = RelayConfig::default().publisher_grace;
    let before = Instant::now();
    s.hub.unpublish(&s.key, s.publisher);
    for slot in &s.players {
        assert!(!lock(&slot.state).ended, "held, not ended");
        let at = slot.deadline().expect("a deadline at the end of the grace");
        assert!(at >= before + grace && at <= Instant::now() + grace);
    }
    // A new publisher within the grace: they continue, no deadline left.
    let (next, _) = s.hub.open_connection();
    s.hub.publish(&s.key, next).unwrap();
    for slot in &s.players {
        assert_eq!(slot.deadline(), None);
        assert!(!lock(&slot.state).ended);
    }
    // It goes too, and nobody comes back: at the deadline the players end.
    s.hub.unpublish(&s.key, next);
    let at = s.players[0].deadline().unwrap();
    // The publisher opened connection 1, the players 2 and 3.
    let p0 = PlayerRef {
        conn: ConnId(2),
        stream: StreamId(1),
    };
    s.hub
        .expire(at - std::time::Duration::from_millis(1), &s.key, p0);
    assert!(!lock(&s.players[0].state).ended, "not before its time");
    s.hub.expire(at, &s.key, p0);
    for slot in &s.players {
        assert!(lock(&slot.state).ended, "ended after the grace");
    }
}
