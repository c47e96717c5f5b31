//! The fan-out hands runs of frames to players' connections and tells them what the
//! registry decided; the players' own decisions are `Playback`'s (tested in `rtmp-proto`)
//! and the direct delivery into real sessions is `tests/direct_delivery.rs`'s.

use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use rtmp_proto::relay::{Frame, PlayerRef, RelayConfig, StreamKey};
use rtmp_proto::session::{Media, MediaKind, StreamId};

use super::*;
use crate::server::link::{Deliver, Queued};

const PEER: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 1935);

fn video(key: bool, len: usize) -> Frame {
    let mut body = vec![if key { 0x17 } else { 0x27 }, 0x01, 0, 0, 0];
    body.resize(len, 0xAB);
    Frame::media(Media {
        kind: MediaKind::Video,
        timestamp: 0,
        payload: Bytes::from(body),
    })
}

/// A player's connection state that records what it is offered, answering as told.
struct FakeDirect {
    /// Whether the state is free (`offer` takes the run).
    free: bool,
    /// The wire bytes of each frame offered, as the run's shared encoding for this
    /// player's group.
    offered: Mutex<Vec<Bytes>>,
}

impl FakeDirect {
    fn new(free: bool) -> Arc<Self> {
        Arc::new(FakeDirect {
            free,
            offered: Mutex::new(Vec::new()),
        })
    }

    fn offered(&self) -> Vec<Bytes> {
        lock(&self.offered).clone()
    }
}

impl Deliver for FakeDirect {
    fn offer(
        &self,
        _now: Instant,
        stream: StreamId,
        frames: &[Frame],
        encodings: &mut Encodings,
    ) -> Option<u64> {
        if !self.free {
            return None;
        }
        let mut offered = lock(&self.offered);
        for (i, f) in frames.iter().enumerate() {
            let e = encodings.get(i, f, stream, 4096, f.timestamp()).unwrap();
            offered.push(e.wire().clone());
        }
        Some(frames.iter().map(|f| f.len() as u64).sum())
    }

    fn flush(&self) -> bool {
        self.free
    }

    fn take_stats(&self, _into: &mut Vec<(StreamKey, PlayerStats)>) {}
}

struct Player {
    conn: ConnId,
    link: Arc<ConnLink>,
    direct: Arc<FakeDirect>,
    joined: Joined,
}

impl Player {
    fn work(&self) -> Vec<String> {
        let Queued { items, .. } = self.link.take_work().unwrap_or_default();
        items
            .into_iter()
            .map(|(_, w)| match w {
                Work::Frame(f) => format!("frame {}", f.len()),
                Work::Ended => "ended".into(),
                Work::Republished => "republished".into(),
                Work::Deadline(None) => "no deadline".into(),
                Work::Deadline(Some(_)) => "deadline".into(),
            })
            .collect()
    }
}

struct Setup {
    hub: Hub,
    key: StreamKey,
    publisher: ConnId,
}

impl Setup {
    fn new(config: RelayConfig) -> Self {
        let hub = Hub::new(config, usize::MAX);
        let key = StreamKey::new("live", "cam");
        let (publisher, _) = hub.open_connection(PEER);
        hub.publish(&key, publisher).unwrap();
        Setup {
            hub,
            key,
            publisher,
        }
    }

    fn player(&self, free: bool) -> Player {
        let (conn, link) = self.hub.open_connection(PEER);
        let direct = FakeDirect::new(free);
        let dyn_direct: Arc<dyn Deliver> = direct.clone();
        link.set_direct(Arc::downgrade(&dyn_direct));
        let joined = self
            .hub
            .join(
                &self.key,
                PlayerRef {
                    conn,
                    stream: StreamId(1),
                },
            )
            .unwrap();
        Player {
            conn,
            link,
            direct,
            joined,
        }
    }

    fn ingest(&self, frames: &[Frame]) {
        let mut scratch = self.hub.fanout();
        self.hub
            .ingest_all(&self.key, self.publisher, frames, &mut scratch);
    }
}

#[test]
fn every_player_gets_the_same_encoded_bytes_not_a_copy() {
    let s = Setup::new(RelayConfig::default());
    let players: Vec<Player> = (0..3).map(|_| s.player(true)).collect();
    s.ingest(&[video(true, 5000), video(false, 300)]);
    let first = players[0].direct.offered();
    assert_eq!(first.len(), 2);
    for p in &players {
        let offered = p.direct.offered();
        for (a, b) in offered.iter().zip(&first) {
            assert_eq!(a.as_ptr(), b.as_ptr(), "one encoding per frame, shared");
        }
        assert!(!p.link.signal.lower(), "delivered directly: nobody woken");
    }
    assert_eq!(s.hub.stats().frames_in, 2);
}

#[test]
fn a_late_joiner_gets_the_cached_gop_and_a_second_publisher_is_refused() {
    let s = Setup::new(RelayConfig::default());
    let frames = [video(true, 100), video(false, 50), video(false, 60)];
    s.ingest(&frames);
    let late = s.player(true);
    assert_eq!(late.joined.initial.len(), 3);
    assert_eq!(
        late.joined.initial[0].payload().as_ptr(),
        frames[0].payload().as_ptr()
    );
    let (other, _) = s.hub.open_connection(PEER);
    let why = s.hub.publish(&s.key, other).unwrap_err();
    assert_eq!(why.code, Some(rtmp_proto::StatusCode::PublishBadName));
}

#[test]
fn a_busy_player_gets_the_run_queued_in_order_and_its_task_woken() {
    let s = Setup::new(RelayConfig::default());
    let free = s.player(true);
    let busy = s.player(false);
    s.ingest(&[video(true, 300), video(false, 200)]);
    s.ingest(&[video(false, 100)]);
    assert_eq!(free.direct.offered().len(), 3);
    assert!(busy.link.signal.lower(), "its task must take the work");
    assert_eq!(busy.work(), ["frame 300", "frame 200", "frame 100"]);
    assert!(busy.link.take_work().is_none(), "taken once");
}

#[test]
fn a_player_whose_state_is_gone_is_woken() {
    let s = Setup::new(RelayConfig::default());
    let p = s.player(true);
    let (conn, link) = s.hub.open_connection(PEER);
    {
        let gone: Arc<dyn Deliver> = FakeDirect::new(true);
        link.set_direct(Arc::downgrade(&gone));
    }
    let player = PlayerRef {
        conn,
        stream: StreamId(1),
    };
    s.hub.join(&s.key, player).unwrap();
    s.ingest(&[video(true, 10)]);
    assert!(link.signal.lower());
    assert_eq!(p.direct.offered().len(), 1);
}

#[test]
fn the_work_queue_is_bounded_by_the_hard_limit() {
    let config = RelayConfig::default();
    let hard = config.player_hard_bytes;
    let s = Setup::new(config);
    let busy = s.player(false);
    let big = video(false, hard / 2 + 1);
    s.ingest(&[video(true, 10), big.clone(), big]);
    let queued = busy.link.take_work().unwrap();
    assert_eq!(
        queued.items.len(),
        2,
        "the frame over the bound is not held"
    );
    assert!(queued.overflowed, "and the player is told it overflowed");
}

#[test]
fn unpublish_ends_players_and_frees_the_slot() {
    let mut config = RelayConfig::default();
    config.publisher_grace = Duration::ZERO;
    let s = Setup::new(config);
    let players: Vec<Player> = (0..3).map(|_| s.player(true)).collect();
    s.hub.unpublish(&s.key, s.publisher);
    for p in &players {
        assert!(p.link.signal.lower());
        assert_eq!(p.work(), ["ended"]);
    }
    let (next, _) = s.hub.open_connection(PEER);
    assert!(s.hub.publish(&s.key, next).is_ok());
    // Closing a connection releases what it published, too.
    s.hub.close_connection(next);
    let (again, _) = s.hub.open_connection(PEER);
    assert!(s.hub.publish(&s.key, again).is_ok());
}

#[test]
fn players_are_held_for_the_grace_period_then_resumed_or_ended() {
    let s = Setup::new(RelayConfig::default());
    let grace = RelayConfig::default().publisher_grace;
    let players: Vec<Player> = (0..2).map(|_| s.player(true)).collect();
    let before = Instant::now();
    s.hub.unpublish(&s.key, s.publisher);
    for p in &players {
        assert_eq!(p.work(), ["deadline"], "held, not ended");
    }
    let p0 = PlayerRef {
        conn: players[0].conn,
        stream: StreamId(1),
    };
    // A new publisher within the grace: they continue, told before its first frame.
    let (next, _) = s.hub.open_connection(PEER);
    s.hub.publish(&s.key, next).unwrap();
    let mut scratch = s.hub.fanout();
    s.hub
        .ingest_all(&s.key, next, &[video(true, 10)], &mut scratch);
    for p in &players {
        assert_eq!(p.work(), ["republished"]);
        assert_eq!(p.direct.offered().len(), 1);
    }
    // It goes too, and nobody comes back: at the deadline the players end.
    s.hub.unpublish(&s.key, next);
    let at = s
        .hub
        .expire(before, &s.key, p0)
        .expect("held until the grace ends");
    assert!(at >= before + grace && at <= Instant::now() + grace);
    for p in &players {
        assert_eq!(p.work(), ["deadline"]);
    }
    s.hub.expire(at - Duration::from_millis(1), &s.key, p0);
    assert!(players[0].link.take_work().is_none(), "not before its time");
    s.hub.expire(at, &s.key, p0);
    for p in &players {
        assert_eq!(p.work(), ["ended"], "ended after the grace");
    }
}
