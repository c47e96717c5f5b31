//! Arbitrary operation sequences on the registry, caches and player policies never panic
//! and keep every cache within its bounds.

mod relay_support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use proptest::prelude::*;
use relay_support::*;
use rtmp_proto::relay::{
    ConnId, Frame, FrameClass, Join, PlayerPolicy, PlayerRef, Registry, RelayConfig, StreamKey,
    Verdict,
};
use rtmp_proto::session::{Media, MediaKind, StreamId};

#[derive(Debug, Clone)]
enum Op {
    Open,
    Close(usize),
    Publish(usize, usize),
    Unpublish(usize, usize),
    Ingest(usize, usize, FrameSpec),
    Join(usize, usize, u32),
    Leave(usize, usize, u32),
    Offer(usize, FrameSpec, usize, u64),
    Pause(usize),
    Unpause(usize),
}

#[derive(Debug, Clone)]
enum FrameSpec {
    Meta(u8),
    AvcSeq(u8),
    AvcKey(usize),
    AvcInter(usize),
    AvcEos,
    AacSeq(u8),
    Aac(usize),
    HevcSeq(u8),
    HevcFrame(bool, usize),
    MtVideoSeq(u8, u8),
    MtVideoFrame(bool, u8, usize),
    MtVideoEnd(u8),
    MtAudioSeq(Vec<(u8, u8)>),
    Raw(bool, Vec<u8>),
}

impl FrameSpec {
    fn build(&self, ts: u32) -> Frame {
        match self {
            FrameSpec::Meta(t) => metadata(ts, *t),
            FrameSpec::AvcSeq(c) => avc_seq(ts, *c),
            FrameSpec::AvcKey(n) => avc_key(ts, *n),
            FrameSpec::AvcInter(n) => avc_inter(ts, *n),
            FrameSpec::AvcEos => avc_eos(ts),
            FrameSpec::AacSeq(c) => aac_seq(ts, *c),
            FrameSpec::Aac(n) => aac(ts, *n),
            FrameSpec::HevcSeq(c) => hevc_seq(ts, *c),
            FrameSpec::HevcFrame(k, n) => hevc_frame(ts, *k, *n),
            FrameSpec::MtVideoSeq(t, c) => mt_video_seq(ts, *t, *c),
            FrameSpec::MtVideoFrame(k, t, n) => mt_video_frame(ts, *k, *t, *n),
            FrameSpec::MtVideoEnd(t) => mt_video_end(ts, *t),
            FrameSpec::MtAudioSeq(tracks) => mt_audio_seq(ts, tracks),
            FrameSpec::Raw(video, bytes) => Frame::media(Media {
                kind: if *video {
                    MediaKind::Video
                } else {
                    MediaKind::Audio
                },
                timestamp: ts,
                payload: Bytes::from(bytes.clone()),
            }),
        }
    }
}

fn frame_spec() -> impl Strategy<Value = FrameSpec> {
    prop_oneof![
        any::<u8>().prop_map(FrameSpec::Meta),
        (0u8..3).prop_map(FrameSpec::AvcSeq),
        (0usize..400).prop_map(FrameSpec::AvcKey),
        (0usize..200).prop_map(FrameSpec::AvcInter),
        Just(FrameSpec::AvcEos),
        (0u8..3).prop_map(FrameSpec::AacSeq),
        (0usize..50).prop_map(FrameSpec::Aac),
        (0u8..3).prop_map(FrameSpec::HevcSeq),
        (any::<bool>(), 0usize..200).prop_map(|(k, n)| FrameSpec::HevcFrame(k, n)),
        (0u8..3, 0u8..3).prop_map(|(t, c)| FrameSpec::MtVideoSeq(t, c)),
        (any::<bool>(), 0u8..3, 0usize..200).prop_map(|(k, t, n)| FrameSpec::MtVideoFrame(k, t, n)),
        (0u8..3).prop_map(FrameSpec::MtVideoEnd),
        proptest::collection::vec((0u8..3, 0u8..3), 1..3).prop_map(FrameSpec::MtAudioSeq),
        (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(v, b)| FrameSpec::Raw(v, b)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let k = 0usize..3;
    let c = 0usize..6;
    prop_oneof![
        1 => Just(Op::Open),
        1 => c.clone().prop_map(Op::Close),
        2 => (k.clone(), c.clone()).prop_map(|(k, c)| Op::Publish(k, c)),
        1 => (k.clone(), c.clone()).prop_map(|(k, c)| Op::Unpublish(k, c)),
        8 => (k.clone(), c.clone(), frame_spec()).prop_map(|(k, c, f)| Op::Ingest(k, c, f)),
        2 => (k.clone(), c.clone(), 1u32..3).prop_map(|(k, c, s)| Op::Join(k, c, s)),
        1 => (k.clone(), c.clone(), 1u32..3).prop_map(|(k, c, s)| Op::Leave(k, c, s)),
        6 => (0usize..8, frame_spec(), 0usize..3000, 0u64..4000)
            .prop_map(|(p, f, b, t)| Op::Offer(p, f, b, t)),
        1 => (0usize..8).prop_map(Op::Pause),
        1 => (0usize..8).prop_map(Op::Unpause),
    ]
}

fn config_strategy() -> impl Strategy<Value = RelayConfig> {
    (
        0usize..1500,
        0usize..12,
        any::<bool>(),
        any::<bool>(),
        0u32..4,
    )
        .prop_map(|(bytes, frames, replace, wait, consecutive)| {
            let mut c = RelayConfig::default();
            c.gop_max_bytes = bytes;
            c.gop_max_frames = frames;
            c.duplicate_publish = if replace {
                rtmp_proto::relay::DuplicatePublish::Replace
            } else {
                rtmp_proto::relay::DuplicatePublish::Reject
            };
            c.wait_for_publisher = wait;
            c.player_soft_bytes = 500;
            c.player_hard_bytes = 2000;
            c.player_soft_age = Duration::from_secs(2);
            c.player_max_age = Duration::from_secs(8);
            c.max_consecutive_lag_events = consecutive;
            c
        })
}

fn check_invariants(reg: &Registry, keys: &[StreamKey]) {
    let c = reg.config().clone();
    let mut publishers = 0;
    let mut players = 0;
    for key in keys {
        players += reg.players(key).count() + reg.waiting(key).count();
        if let Some(cache) = reg.cache(key) {
            if !reg.is_live(key) {
                assert_eq!(cache.join_frames(), Vec::<Frame>::new());
                // Only players held for a new publisher, within the grace period.
                if reg.held_until(key).is_none() {
                    assert_eq!(
                        reg.players(key).count(),
                        0,
                        "players on a stream that is not live"
                    );
                }
                continue;
            }
            publishers += 1;
            assert!(cache.gop_bytes() <= c.gop_max_bytes);
            assert!(cache.gop_frames() <= c.gop_max_frames);
            let gop: Vec<&Frame> = cache.gop().collect();
            assert_eq!(gop.len(), cache.gop_frames());
            assert_eq!(
                gop.iter().map(|f| f.len()).sum::<usize>(),
                cache.gop_bytes()
            );
            if let Some(first) = gop.first() {
                assert_eq!(first.class(), FrameClass::VideoKeyframe);
            }
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
        } else {
            assert_eq!(
                reg.players(key).count(),
                0,
                "players on a stream that is not live"
            );
        }
    }
    assert_eq!(reg.counters().publishers, publishers as u64);
    assert_eq!(reg.counters().players, players as u64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_operations_never_panic_and_stay_bounded(
        config in config_strategy(),
        ops in proptest::collection::vec(op(), 1..120),
    ) {
        let keys = [
            StreamKey::new("live", "a"),
            StreamKey::new("live", "b"),
            StreamKey::new("other", "a"),
        ];
        let mut reg = Registry::new(config.clone());
        let mut conns: Vec<ConnId> = (0..3).map(|_| reg.open_connection()).collect();
        let mut policies: Vec<(PlayerRef, StreamKey, PlayerPolicy)> = Vec::new();
        // Bytes of each player's join burst, which the hard bound tolerates on top.
        let mut burst: Vec<usize> = Vec::new();
        let mut closed: std::collections::HashSet<ConnId> = Default::default();
        let mut disconnected: HashMap<usize, bool> = HashMap::new();
        let t0 = Instant::now();
        let mut now = t0;
        let mut ts = 0u32;
        for op in ops {
            ts = ts.wrapping_add(20);
            match op {
                Op::Open => conns.push(reg.open_connection()),
                Op::Close(i) => {
                    if let Some(&conn) = conns.get(i) {
                        closed.insert(conn);
                        let ended = reg.close_connection(std::time::Instant::now(), conn);
                        for e in &ended.unpublished {
                            prop_assert!(!reg.is_live(&e.key) || reg.publisher(&e.key) != Some(conn));
                        }
                        for k in &keys {
                            prop_assert_ne!(reg.publisher(k), Some(conn));
                            prop_assert!(reg.players(k).all(|p| p.conn != conn));
                            prop_assert!(reg.waiting(k).all(|p| p.conn != conn));
                        }
                    }
                }
                Op::Publish(k, i) => {
                    if let Some(&conn) = conns.get(i) {
                        let before = reg.publisher(&keys[k]);
                        match reg.publish(&keys[k], conn) {
                            Ok(grant) => {
                                prop_assert_eq!(grant.displaced, before);
                                prop_assert_eq!(reg.publisher(&keys[k]), Some(conn));
                            }
                            Err(refused) => {
                                prop_assert_eq!(Some(refused.current), before);
                                prop_assert_eq!(reg.publisher(&keys[k]), before);
                            }
                        }
                    }
                }
                Op::Unpublish(k, i) => {
                    if let Some(&conn) = conns.get(i) {
                        let was = reg.publisher(&keys[k]) == Some(conn);
                        reg.unpublish(std::time::Instant::now(), &keys[k], conn);
                        if was {
                            prop_assert!(!reg.is_live(&keys[k]));
                        }
                    }
                }
                Op::Ingest(k, i, spec) => {
                    if let Some(&conn) = conns.get(i) {
                        let f = spec.build(ts);
                        let ok = reg.ingest(&keys[k], conn, &f).is_ok();
                        prop_assert_eq!(ok, reg.publisher(&keys[k]) == Some(conn));
                    }
                }
                Op::Join(k, i, s) => {
                    if let Some(&conn) = conns.get(i) {
                        let player = PlayerRef { conn, stream: StreamId(s) };
                        match reg.join(std::time::Instant::now(), &keys[k], player) {
                            Join::Live { initial, policy } => {
                                // Configuration first, then a GOP starting at a keyframe.
                                let first_media = initial.iter().position(|f| !f.class().is_config());
                                if let Some(i) = first_media {
                                    prop_assert_eq!(initial[i].class(), FrameClass::VideoKeyframe);
                                    prop_assert!(initial[i..].iter().all(|f| !f.class().is_config()));
                                }
                                burst.push(initial.iter().map(Frame::len).sum());
                                policies.push((player, keys[k].clone(), policy));
                            }
                            Join::Waiting { policy, .. } => {
                                prop_assert!(config.wait_for_publisher);
                                burst.push(0);
                                policies.push((player, keys[k].clone(), policy));
                            }
                            Join::NotFound => prop_assert!(!config.wait_for_publisher),
                            _ => {}
                        }
                    }
                }
                Op::Leave(k, i, s) => {
                    if let Some(&conn) = conns.get(i) {
                        reg.leave(&keys[k], PlayerRef { conn, stream: StreamId(s) });
                    }
                }
                Op::Offer(p, spec, backlog, advance) => {
                    now += Duration::from_millis(advance);
                    if let Some((_, _, policy)) = policies.get_mut(p) {
                        let f = spec.build(ts);
                        let v = policy.offer(now, &f, backlog);
                        if disconnected.get(&p).copied().unwrap_or(false) {
                            prop_assert_eq!(v, Verdict::Skip);
                        }
                        match v {
                            Verdict::Disconnect(_) => { disconnected.insert(p, true); }
                            Verdict::Send(_) if policy.is_paused() => prop_assert!(false, "sent while paused"),
                            Verdict::Send(_) if backlog > 0 => {
                                prop_assert!(backlog + f.len() <= config.player_hard_bytes + burst[p])
                            }
                            _ => {}
                        }
                        let s = policy.take_stats();
                        reg.add_player_stats(&s);
                    }
                }
                Op::Pause(p) => {
                    if let Some((_, _, policy)) = policies.get_mut(p) {
                        policy.pause();
                    }
                }
                Op::Unpause(p) => {
                    if let Some((_, key, policy)) = policies.get_mut(p)
                        && let Some(cache) = reg.cache(key)
                    {
                        let frames = policy.unpause(cache);
                        prop_assert!(frames.iter().all(|f| f.class().is_config()));
                    }
                }
            }
            check_invariants(&reg, &keys);
        }
        let c = reg.counters();
        prop_assert!(c.lag_disconnects <= policies.len() as u64);
        let open = conns.iter().filter(|c| !closed.contains(c)).count();
        prop_assert_eq!(c.connections, open as u64);
        // Every connection ends: nothing may stay behind.
        for &conn in &conns {
            reg.close_connection(std::time::Instant::now(), conn);
        }
        for k in &keys {
            prop_assert!(reg.cache(k).is_none(), "slot {} leaked", k);
        }
        let c = reg.counters();
        prop_assert_eq!((c.connections, c.publishers, c.players), (0, 0, 0));
        prop_assert_eq!(c.connections_total, conns.len() as u64);
    }

    #[test]
    fn arbitrary_media_bytes_never_panic(video in any::<bool>(), bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let f = FrameSpec::Raw(video, bytes).build(0);
        let mut cache = rtmp_proto::relay::StreamCache::new(&RelayConfig::default());
        cache.push(&f);
        let _ = cache.join_frames();
        let mut p = PlayerPolicy::new(&RelayConfig::default());
        let _ = p.offer(Instant::now(), &f, 0);
    }
}
