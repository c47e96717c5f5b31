//! A late joiner gets metadata, sequence headers (every track, legacy and E-RTMP), then the
//! cached GOP starting at a keyframe, then live media (RTMP-NOTES 16).

mod relay_support;

use std::time::Instant;

use relay_support::*;
use rtmp_proto::relay::{
    ConnId, Frame, FrameClass, Join, PlayerRef, Registry, RelayConfig, StreamKey, Verdict,
};
use rtmp_proto::session::{Droppable, StreamId};

fn live(config: RelayConfig) -> (Registry, StreamKey, ConnId) {
    let mut reg = Registry::new(config);
    let key = StreamKey::new("live", "cam");
    let publisher = reg.open_connection();
    reg.publish(&key, publisher).unwrap();
    (reg, key, publisher)
}

fn feed(reg: &mut Registry, key: &StreamKey, conn: ConnId, frames: &[Frame]) {
    for f in frames {
        reg.ingest(key, conn, f).unwrap();
    }
}

fn join(reg: &mut Registry, key: &StreamKey) -> (Vec<Frame>, rtmp_proto::relay::PlayerPolicy) {
    let conn = reg.open_connection();
    match reg.join(
        std::time::Instant::now(),
        key,
        PlayerRef {
            conn,
            stream: StreamId(1),
        },
    ) {
        Join::Live { initial, policy } => (initial, policy),
        other => panic!("not live: {other:?}"),
    }
}

#[test]
fn legacy_join_order_metadata_headers_then_gop_from_keyframe() {
    let (mut reg, key, p) = live(RelayConfig::default());
    let stream = [
        metadata(0, 1),
        avc_seq(0, 1),
        aac_seq(0, 1),
        avc_key(0, 100),
        aac(10, 20),
        avc_inter(40, 50),
        avc_key(80, 100), // a new GOP starts here
        aac(90, 20),
        avc_inter(120, 50),
    ];
    feed(&mut reg, &key, p, &stream);
    let (initial, _) = join(&mut reg, &key);
    let expected: Vec<Frame> = vec![
        stream[0].clone(),
        stream[1].clone(),
        stream[2].clone(),
        stream[6].clone(),
        stream[7].clone(),
        stream[8].clone(),
    ];
    assert_eq!(initial, expected);
}

#[test]
fn live_frames_continue_after_the_gop_without_waiting_for_a_keyframe() {
    let (mut reg, key, p) = live(RelayConfig::default());
    feed(
        &mut reg,
        &key,
        p,
        &[avc_seq(0, 1), avc_key(0, 100), avc_inter(40, 50)],
    );
    let (initial, mut policy) = join(&mut reg, &key);
    assert_eq!(initial.len(), 3);
    let now = Instant::now();
    assert_eq!(
        policy.offer(now, &avc_inter(80, 50), 0),
        Verdict::Send(Droppable::Yes)
    );
    assert_eq!(
        policy.offer(now, &aac(90, 10), 0),
        Verdict::Send(Droppable::No)
    );
}

#[test]
fn without_a_cached_gop_video_waits_for_a_keyframe_audio_flows() {
    let mut config = RelayConfig::default();
    config.gop_max_frames = 0; // GOP cache off
    let (mut reg, key, p) = live(config);
    feed(
        &mut reg,
        &key,
        p,
        &[
            metadata(0, 1),
            avc_seq(0, 1),
            aac_seq(0, 1),
            avc_key(0, 100),
            avc_inter(40, 50),
        ],
    );
    let (initial, mut policy) = join(&mut reg, &key);
    assert_eq!(
        classes(&initial),
        [
            FrameClass::Metadata,
            FrameClass::VideoConfig,
            FrameClass::AudioConfig
        ]
    );
    let now = Instant::now();
    assert_eq!(policy.offer(now, &avc_inter(80, 50), 0), Verdict::Skip);
    assert_eq!(
        policy.offer(now, &aac(85, 10), 0),
        Verdict::Send(Droppable::No)
    );
    assert_eq!(
        policy.offer(now, &avc_key(120, 50), 0),
        Verdict::Send(Droppable::No)
    );
    assert_eq!(
        policy.offer(now, &avc_inter(160, 50), 0),
        Verdict::Send(Droppable::Yes)
    );
}

#[test]
fn enhanced_rtmp_headers_and_color_info_are_replayed() {
    let (mut reg, key, p) = live(RelayConfig::default());
    let stream = [
        metadata(0, 1),
        hevc_seq(0, 1),
        hevc_color_info(0),
        opus_seq(0),
        hevc_frame(0, true, 100),
        opus(10, 20),
        hevc_frame(40, false, 50),
    ];
    feed(&mut reg, &key, p, &stream);
    let (initial, _) = join(&mut reg, &key);
    assert_eq!(initial, stream.to_vec());
}

#[test]
fn multitrack_headers_every_track_in_arrival_order_sent_once() {
    let (mut reg, key, p) = live(RelayConfig::default());
    let audio_both = mt_audio_seq(0, &[(0, 1), (1, 2)]);
    let v0 = mt_video_seq(0, 0, 1);
    let v1 = mt_video_seq(0, 1, 2);
    let key0 = mt_video_frame(0, true, 0, 100);
    let key1 = mt_video_frame(0, true, 1, 60);
    let a1 = mt_audio(10, 1, 20);
    feed(
        &mut reg,
        &key,
        p,
        &[
            v0.clone(),
            v1.clone(),
            audio_both.clone(),
            key0.clone(),
            key1.clone(),
            a1.clone(),
        ],
    );
    let (initial, _) = join(&mut reg, &key);
    // The two-track audio header is one message: sent once. The GOP starts at the track 0
    // keyframe; track 1's keyframe, sent as its own message, is part of that GOP.
    assert_eq!(initial, vec![v0, v1, audio_both, key0, key1.clone(), a1]);
    // The next track 1 keyframe does not start a GOP; the next track 0 keyframe does.
    let later1 = mt_video_frame(80, true, 1, 60);
    let later0 = mt_video_frame(120, true, 0, 100);
    feed(&mut reg, &key, p, &[later1]);
    assert_eq!(reg.cache(&key).unwrap().gop_frames(), 4);
    feed(&mut reg, &key, p, std::slice::from_ref(&later0));
    let gop: Vec<Frame> = reg.cache(&key).unwrap().gop().cloned().collect();
    assert_eq!(gop, vec![later0]);
}

#[test]
fn a_player_waiting_for_a_keyframe_resumes_at_the_primary_tracks_keyframe() {
    let mut config = RelayConfig::default();
    config.gop_max_bytes = 0;
    let (mut reg, key, p) = live(config);
    feed(
        &mut reg,
        &key,
        p,
        &[mt_video_seq(0, 0, 1), mt_video_seq(0, 1, 2)],
    );
    let (_, mut policy) = join(&mut reg, &key);
    let now = Instant::now();
    // Before any keyframe the first keyframe seen opens the gate, whatever its track.
    assert_eq!(
        policy.offer(now, &mt_video_frame(0, true, 0, 10), 0),
        Verdict::Send(Droppable::No)
    );
    assert_eq!(
        policy.offer(now, &mt_video_frame(0, true, 1, 10), 0),
        Verdict::Send(Droppable::No)
    );
    policy.pause();
    let frames = policy.unpause(reg.cache(&key).unwrap());
    assert_eq!(frames.len(), 2);
    // Track 1's keyframe does not resume the player; track 0's does.
    assert_eq!(
        policy.offer(now, &mt_video_frame(40, true, 1, 10), 0),
        Verdict::Skip
    );
    assert_eq!(
        policy.offer(now, &mt_video_frame(80, true, 0, 10), 0),
        Verdict::Send(Droppable::No)
    );
}

#[test]
fn a_newer_header_for_one_track_replaces_only_that_track_and_keeps_order() {
    let (mut reg, key, p) = live(RelayConfig::default());
    let v0 = mt_video_seq(0, 0, 1);
    let v1 = mt_video_seq(0, 1, 2);
    let v0b = mt_video_seq(500, 0, 3);
    feed(&mut reg, &key, p, &[v0, v1.clone(), v0b.clone()]);
    let cache = reg.cache(&key).unwrap();
    assert_eq!(cache.sequence_headers(), vec![v1, v0b]);
}

#[test]
fn sequence_end_forgets_that_tracks_headers() {
    let (mut reg, key, p) = live(RelayConfig::default());
    let v0 = mt_video_seq(0, 0, 1);
    let v1 = mt_video_seq(0, 1, 2);
    feed(&mut reg, &key, p, &[v0.clone(), v1, mt_video_end(100, 1)]);
    assert_eq!(reg.cache(&key).unwrap().sequence_headers(), vec![v0]);
    // Legacy end of sequence clears track 0 video and the GOP.
    feed(
        &mut reg,
        &key,
        p,
        &[aac_seq(0, 1), avc_seq(0, 1), avc_key(0, 10), avc_eos(200)],
    );
    let cache = reg.cache(&key).unwrap();
    assert_eq!(
        classes(&cache.sequence_headers()),
        [FrameClass::AudioConfig]
    );
    assert_eq!(cache.gop_frames(), 0);
}

#[test]
fn a_changed_sequence_header_drops_the_gop_a_repeated_one_does_not() {
    let (mut reg, key, p) = live(RelayConfig::default());
    feed(
        &mut reg,
        &key,
        p,
        &[
            avc_seq(0, 1),
            avc_key(0, 10),
            avc_inter(40, 10),
            avc_seq(80, 1),
        ],
    );
    assert_eq!(reg.cache(&key).unwrap().gop_frames(), 2);
    feed(&mut reg, &key, p, &[avc_seq(120, 2)]);
    let cache = reg.cache(&key).unwrap();
    assert_eq!(cache.gop_frames(), 0);
    assert_eq!(cache.sequence_headers(), vec![avc_seq(120, 2)]);
    // Inter frames after the change are not cached until the next keyframe.
    feed(&mut reg, &key, p, &[avc_inter(160, 10), aac(170, 5)]);
    assert_eq!(reg.cache(&key).unwrap().gop_frames(), 0);
}

#[test]
fn the_latest_metadata_wins() {
    let (mut reg, key, p) = live(RelayConfig::default());
    feed(&mut reg, &key, p, &[metadata(0, 1), metadata(5, 2)]);
    let (initial, _) = join(&mut reg, &key);
    assert_eq!(initial, vec![metadata(5, 2)]);
}

#[test]
fn a_republished_stream_starts_with_an_empty_cache() {
    let (mut reg, key, p) = live(RelayConfig::default());
    feed(
        &mut reg,
        &key,
        p,
        &[metadata(0, 1), avc_seq(0, 1), avc_key(0, 10)],
    );
    reg.unpublish(std::time::Instant::now(), &key, p);
    reg.publish(&key, p).unwrap();
    let (initial, _) = join(&mut reg, &key);
    assert!(initial.is_empty());
}
