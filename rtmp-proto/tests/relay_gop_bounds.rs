//! The GOP cache: restarted at each keyframe, bounded by bytes and by frames, dropped whole
//! when it outgrows a bound (a truncated GOP would show garbage), off when a bound is 0.

mod relay_support;

use relay_support::*;
use rtmp_proto::relay::{Frame, FrameClass, RelayConfig, StreamCache};

fn cache(bytes: usize, frames: usize) -> StreamCache {
    let mut c = RelayConfig::default();
    c.gop_max_bytes = bytes;
    c.gop_max_frames = frames;
    StreamCache::new(&c)
}

fn gop(c: &StreamCache) -> Vec<Frame> {
    c.gop().cloned().collect()
}

#[test]
fn each_keyframe_starts_a_new_gop() {
    let mut c = cache(1 << 20, 100);
    let frames = [
        avc_key(0, 10),
        avc_inter(40, 10),
        aac(50, 5),
        avc_key(80, 10),
        aac(90, 5),
    ];
    for f in &frames {
        c.push(f);
    }
    assert_eq!(gop(&c), frames[3..].to_vec());
    assert_eq!(c.gop_bytes(), frames[3].len() + frames[4].len());
    assert_eq!(c.gop_frames(), 2);
}

#[test]
fn frames_before_the_first_keyframe_are_not_cached() {
    let mut c = cache(1 << 20, 100);
    c.push(&aac(0, 5));
    c.push(&avc_inter(0, 10));
    assert_eq!(c.gop_frames(), 0);
    c.push(&avc_key(40, 10));
    assert_eq!(classes(&gop(&c)), [FrameClass::VideoKeyframe]);
}

#[test]
fn frame_bound_drops_the_gop_until_the_next_keyframe() {
    let mut c = cache(1 << 20, 3);
    c.push(&avc_key(0, 10));
    c.push(&avc_inter(40, 10));
    c.push(&avc_inter(80, 10));
    assert_eq!(c.gop_frames(), 3);
    c.push(&avc_inter(120, 10)); // a fourth frame: over the bound
    assert_eq!(c.gop_frames(), 0);
    c.push(&avc_inter(160, 10)); // still no keyframe: nothing cached
    assert_eq!(c.gop_frames(), 0);
    c.push(&avc_key(200, 10));
    assert_eq!(c.gop_frames(), 1);
}

#[test]
fn byte_bound_drops_the_gop_until_the_next_keyframe() {
    let key = avc_key(0, 95); // 100 payload bytes
    let inter = avc_inter(40, 45); // 50
    let mut c = cache(200, 100);
    c.push(&key);
    c.push(&inter);
    c.push(&inter);
    assert_eq!(c.gop_bytes(), 200); // exactly at the bound is fine
    c.push(&aac(50, 1));
    assert_eq!((c.gop_bytes(), c.gop_frames()), (0, 0));
    c.push(&inter);
    assert_eq!(c.gop_frames(), 0);
    c.push(&key);
    assert_eq!(c.gop_bytes(), 100);
}

#[test]
fn a_keyframe_larger_than_the_bound_is_not_cached() {
    let mut c = cache(50, 100);
    c.push(&avc_key(0, 95));
    assert_eq!(c.gop_frames(), 0);
    c.push(&avc_inter(40, 10));
    assert_eq!(c.gop_frames(), 0);
}

#[test]
fn a_zero_bound_disables_the_gop_cache_but_not_headers() {
    for (bytes, frames) in [(0, 100), (1 << 20, 0)] {
        let mut c = cache(bytes, frames);
        c.push(&metadata(0, 1));
        c.push(&avc_seq(0, 1));
        c.push(&avc_key(0, 10));
        c.push(&avc_inter(40, 10));
        assert_eq!(c.gop_frames(), 0);
        assert_eq!(
            classes(&c.join_frames()),
            [FrameClass::Metadata, FrameClass::VideoConfig]
        );
    }
}

#[test]
fn audio_only_streams_have_no_gop_but_keep_their_header() {
    let mut c = cache(1 << 20, 100);
    c.push(&aac_seq(0, 1));
    for i in 0..10 {
        c.push(&aac(i * 23, 100));
    }
    assert_eq!(c.gop_frames(), 0);
    assert_eq!(c.join_frames(), vec![aac_seq(0, 1)]);
    assert!(!c.has_video());
}
