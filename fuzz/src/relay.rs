//! Fuzz body for the `relay` target: the relay policy of `rtmp_proto::relay` (registry,
//! per-stream cache, per-player lag policy) driven by an arbitrary sequence of operations,
//! with audio, video and metadata payloads taken from the input as a publishing peer would
//! send them.
//!
//! The `server_bytes` and `session_ops` targets end where a session reports media; this one
//! starts there. A publisher's payload bytes decide how a frame is classified (legacy or
//! Enhanced RTMP, keyframe, sequence header, track), and that decides what the cache keeps
//! and what a player is sent or spared, so they are the relay's wire input.
//!
//! Panics are bugs, and so is any broken bound. Checked after every operation: each cache
//! stays within its byte and frame bounds, its GOP starts at a keyframe and holds only
//! media, its configuration is configuration; a join burst is configuration then a GOP from
//! a keyframe; a paused or disconnected player is sent nothing; a player with a backlog is
//! never sent past the hard bound (beyond its own join burst); the counters match the
//! registry; and once every connection closed, nothing is left behind.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use rtmp_proto::relay::{
    ConnId, DuplicatePublish, Frame, FrameClass, Join, PlayerPolicy, PlayerRef, Registry,
    RelayConfig, StreamKey, Verdict,
};
use rtmp_proto::session::StreamId;

use crate::frame_spec::FrameSpec;

/// Most operations taken from one input, to keep each run short.
const MAX_OPS: usize = 256;
/// Most connections one input opens.
const MAX_CONNS: usize = 16;

/// The relay's knobs, small enough that inputs reach every bound.
#[derive(Debug, Arbitrary)]
struct Knobs {
    gop_max_bytes: u16,
    gop_max_frames: u8,
    soft_bytes: u16,
    hard_bytes: u16,
    soft_age_ms: u16,
    max_age_ms: u16,
    consecutive: u8,
    replace: bool,
    wait: bool,
    /// The publisher grace, in 20 ms steps (0: none).
    grace: u8,
    /// The bound on a player's wait, in 20 ms steps, when set.
    max_wait: Option<u8>,
    max_waiting_per_stream: u8,
    max_waiting: u8,
}

impl Knobs {
    fn config(&self) -> RelayConfig {
        let mut c = RelayConfig::default();
        c.gop_max_bytes = usize::from(self.gop_max_bytes);
        c.gop_max_frames = usize::from(self.gop_max_frames % 32);
        c.player_soft_bytes = usize::from(self.soft_bytes);
        c.player_hard_bytes = usize::from(self.hard_bytes);
        c.player_soft_age = Duration::from_millis(u64::from(self.soft_age_ms));
        c.player_max_age = Duration::from_millis(u64::from(self.max_age_ms));
        c.max_consecutive_lag_events = u32::from(self.consecutive % 8);
        c.duplicate_publish = if self.replace {
            DuplicatePublish::Replace
        } else {
            DuplicatePublish::Reject
        };
        c.wait_for_publisher = self.wait;
        c.publisher_grace = Duration::from_millis(20 * u64::from(self.grace));
        c.max_play_wait = self
            .max_wait
            .map(|w| Duration::from_millis(20 * u64::from(w)));
        c.max_waiting_per_stream = usize::from(self.max_waiting_per_stream % 8);
        c.max_waiting = usize::from(self.max_waiting % 16);
        c
    }
}

/// One step. Indexes pick (modulo) among the connections, streams and players so far.
#[derive(Debug, Arbitrary)]
enum Op {
    Open,
    Close(u8),
    Publish {
        key: u8,
        conn: u8,
    },
    Unpublish {
        key: u8,
        conn: u8,
    },
    Ingest {
        key: u8,
        conn: u8,
        frame: FrameSpec,
    },
    Join {
        key: u8,
        conn: u8,
        stream: u8,
    },
    Leave {
        key: u8,
        conn: u8,
        stream: u8,
    },
    Offer {
        player: u8,
        frame: FrameSpec,
        backlog: u16,
        advance_ms: u16,
    },
    Pause(u8),
    Unpause(u8),
    /// Time passes and a player's deadline (wait or grace) is looked at.
    Expire {
        key: u8,
        conn: u8,
        stream: u8,
        advance_ms: u16,
    },
}

/// A player the harness holds, as an adapter would.
struct Player {
    key: StreamKey,
    policy: PlayerPolicy,
    /// Payload bytes of its join burst, which the hard bound tolerates on top.
    burst: usize,
    disconnected: bool,
}

fn pick<T>(items: &[T], i: u8) -> Option<&T> {
    (!items.is_empty()).then(|| &items[usize::from(i) % items.len()])
}

/// Runs one input; panics on a bug.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(knobs) = Knobs::arbitrary(&mut u) else {
        return;
    };
    let config = knobs.config();
    let keys = [
        StreamKey::new("live", "a"),
        StreamKey::new("live", "b"),
        StreamKey::new("other", "a"),
    ];
    let mut reg = Registry::new(config.clone());
    let mut conns: Vec<ConnId> = vec![reg.open_connection()];
    let mut closed: HashSet<ConnId> = HashSet::new();
    let mut players: Vec<Player> = Vec::new();
    let mut now = Instant::now();
    let mut ts = 0u32;

    for _ in 0..MAX_OPS {
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
        let key = |k: u8| &keys[usize::from(k) % keys.len()];
        match op {
            Op::Open => {
                if conns.len() < MAX_CONNS {
                    conns.push(reg.open_connection());
                }
            }
            Op::Close(c) => {
                if let Some(&conn) = pick(&conns, c) {
                    closed.insert(conn);
                    reg.close_connection(now, conn);
                    for k in &keys {
                        assert_ne!(reg.publisher(k), Some(conn), "closed publisher kept");
                        assert!(reg.players(k).all(|p| p.conn != conn), "closed player kept");
                        assert!(reg.waiting(k).all(|p| p.conn != conn), "closed waiter kept");
                    }
                }
            }
            Op::Publish { key: k, conn: c } => {
                if let Some(&conn) = pick(&conns, c) {
                    let before = reg.publisher(key(k));
                    let held = reg.held_until(key(k)).is_some();
                    match reg.publish(key(k), conn) {
                        Ok(grant) => {
                            assert_eq!(grant.displaced, before);
                            assert_eq!(reg.publisher(key(k)), Some(conn));
                            assert!(held || grant.resumed.is_empty(), "resumed without a grace");
                            assert_eq!(reg.held_until(key(k)), None, "held while live");
                            for p in players.iter_mut().filter(|p| &p.key == key(k)) {
                                p.policy.on_republish();
                            }
                        }
                        Err(refused) => {
                            assert_eq!(Some(refused.current), before);
                            assert_eq!(reg.publisher(key(k)), before);
                        }
                    }
                }
            }
            Op::Unpublish { key: k, conn: c } => {
                if let Some(&conn) = pick(&conns, c) {
                    let was = reg.publisher(key(k)) == Some(conn);
                    let ended = reg.unpublish(now, key(k), conn);
                    if was {
                        assert!(!reg.is_live(key(k)), "unpublished stream still live");
                        assert!(
                            ended.is_empty() || config.publisher_grace.is_zero(),
                            "players ended within a grace period"
                        );
                    }
                }
            }
            Op::Ingest {
                key: k,
                conn: c,
                frame,
            } => {
                if let Some(&conn) = pick(&conns, c) {
                    let f = frame.build(&mut ts);
                    let ok = reg.ingest(key(k), conn, &f).is_ok();
                    assert_eq!(ok, reg.publisher(key(k)) == Some(conn));
                }
            }
            Op::Join {
                key: k,
                conn: c,
                stream,
            } => {
                if let Some(&conn) = pick(&conns, c) {
                    let player = PlayerRef {
                        conn,
                        stream: StreamId(1 + u32::from(stream % 4)),
                    };
                    match reg.join(now, key(k), player) {
                        Join::Live { initial, policy } => {
                            check_burst(&initial);
                            players.push(Player {
                                key: key(k).clone(),
                                policy,
                                burst: initial.iter().map(Frame::len).sum(),
                                disconnected: false,
                            });
                        }
                        Join::Waiting { policy, until } => {
                            assert!(config.players_wait(), "waiting without the option");
                            assert_eq!(until, config.max_play_wait.map(|d| now + d));
                            players.push(Player {
                                key: key(k).clone(),
                                policy,
                                burst: 0,
                                disconnected: false,
                            });
                        }
                        Join::NotFound => {
                            assert!(!config.players_wait(), "not found with waiting on")
                        }
                        Join::TooManyWaiting => {
                            assert!(config.players_wait(), "too many waiting without waiting");
                            let waiting: usize = keys.iter().map(|k| reg.waiting(k).count()).sum();
                            assert!(
                                waiting >= config.max_waiting
                                    || reg.waiting(key(k)).count() >= config.max_waiting_per_stream,
                                "refused under the bounds"
                            );
                        }
                        _ => {}
                    }
                }
            }
            Op::Leave {
                key: k,
                conn: c,
                stream,
            } => {
                if let Some(&conn) = pick(&conns, c) {
                    let stream = StreamId(1 + u32::from(stream % 4));
                    reg.leave(key(k), PlayerRef { conn, stream });
                }
            }
            Op::Offer {
                player,
                frame,
                backlog,
                advance_ms,
            } => {
                now += Duration::from_millis(u64::from(advance_ms));
                let n = players.len();
                if n > 0 {
                    let p = &mut players[usize::from(player) % n];
                    let f = frame.build(&mut ts);
                    let backlog = usize::from(backlog);
                    let v = p.policy.offer(now, &f, backlog);
                    if p.disconnected {
                        assert_eq!(v, Verdict::Skip, "a disconnected player was offered more");
                    }
                    match v {
                        Verdict::Disconnect(_) | Verdict::EndStream => p.disconnected = true,
                        Verdict::Send(_) => {
                            assert!(!p.policy.is_paused(), "sent while paused");
                            if backlog > 0 {
                                assert!(
                                    backlog + f.len() <= config.player_hard_bytes + p.burst,
                                    "sent past the hard bound"
                                );
                            }
                        }
                        _ => {}
                    }
                    let stats = p.policy.take_stats();
                    reg.add_player_stats(&stats);
                }
            }
            Op::Pause(i) => {
                let n = players.len();
                if n > 0 {
                    players[usize::from(i) % n].policy.pause();
                }
            }
            Op::Unpause(i) => {
                let n = players.len();
                if n > 0 {
                    let p = &mut players[usize::from(i) % n];
                    if let Some(cache) = reg.cache(&p.key) {
                        let resent = p.policy.unpause(cache);
                        assert!(
                            resent.iter().all(|f| f.class().is_config()),
                            "unpause resends only configuration"
                        );
                    }
                }
            }
            Op::Expire {
                key: k,
                conn: c,
                stream,
                advance_ms,
            } => {
                now += Duration::from_millis(u64::from(advance_ms));
                if let Some(&conn) = pick(&conns, c) {
                    let player = PlayerRef {
                        conn,
                        stream: StreamId(1 + u32::from(stream % 4)),
                    };
                    let held = reg.held_until(key(k)).filter(|t| now >= *t).is_some();
                    for ended in reg.expire(now, key(k), player) {
                        assert!(
                            held || ended == player,
                            "a wait's expiry ended another player"
                        );
                        assert!(reg.players(key(k)).all(|p| p != ended), "ended but kept");
                        assert!(reg.waiting(key(k)).all(|p| p != ended), "ended but waits");
                    }
                }
            }
        }
        check_registry(&reg, &keys);
    }

    let open = conns.iter().filter(|c| !closed.contains(c)).count();
    assert_eq!(reg.counters().connections, open as u64);
    // Every connection ends: nothing may stay behind.
    for &conn in &conns {
        reg.close_connection(now, conn);
    }
    for k in &keys {
        assert!(reg.cache(k).is_none(), "slot {k} leaked");
    }
    let c = reg.counters();
    assert_eq!((c.connections, c.publishers, c.players), (0, 0, 0));
    assert_eq!(c.connections_total, conns.len() as u64);
}

/// A join burst: configuration (metadata, sequence headers) first, then media from a
/// keyframe on.
fn check_burst(initial: &[Frame]) {
    if let Some(i) = initial.iter().position(|f| !f.class().is_config()) {
        assert_eq!(
            initial[i].class(),
            FrameClass::VideoKeyframe,
            "burst media starts with a keyframe"
        );
        assert!(
            initial[i..].iter().all(|f| !f.class().is_config()),
            "configuration after burst media"
        );
    }
}

fn check_registry(reg: &Registry, keys: &[StreamKey]) {
    let c = reg.config();
    let mut publishers = 0u64;
    let mut players = 0u64;
    for key in keys {
        players += (reg.players(key).count() + reg.waiting(key).count()) as u64;
        let Some(cache) = reg.cache(key).filter(|_| reg.is_live(key)) else {
            if reg.held_until(key).is_none() {
                assert_eq!(reg.players(key).count(), 0, "players on a stream not live");
            }
            continue;
        };
        publishers += 1;
        assert!(
            cache.gop_bytes() <= c.gop_max_bytes,
            "GOP over its byte bound"
        );
        assert!(
            cache.gop_frames() <= c.gop_max_frames,
            "GOP over its frame bound"
        );
        assert_eq!(cache.gop().len(), cache.gop_frames());
        assert_eq!(
            cache.gop().map(Frame::len).sum::<usize>(),
            cache.gop_bytes()
        );
        if let Some(first) = cache.gop().next() {
            assert_eq!(
                first.class(),
                FrameClass::VideoKeyframe,
                "GOP from a keyframe"
            );
        }
        assert!(
            cache.gop().all(|f| !f.class().is_config()),
            "configuration in the GOP"
        );
        assert!(
            cache
                .metadata()
                .is_none_or(|m| m.class() == FrameClass::Metadata)
        );
        assert!(
            cache
                .sequence_headers()
                .iter()
                .all(|f| f.class().is_config())
        );
        check_burst(&cache.join_frames());
    }
    assert_eq!(reg.counters().publishers, publishers);
    assert_eq!(reg.counters().players, players);
}
