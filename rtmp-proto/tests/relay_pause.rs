//! Pause and unpause (RTMP-NOTES 17): nothing is sent while paused; on unpause the metadata
//! and sequence headers are resent, video resumes at a keyframe and audio is held until then.

mod relay_support;

use std::time::Instant;

use relay_support::*;
use rtmp_proto::relay::{
    ConnId, FrameClass, Join, PlayerPolicy, PlayerRef, Registry, RelayConfig, StreamKey, Verdict,
};
use rtmp_proto::session::{Droppable, StreamId};

const SEND: Verdict = Verdict::Send(Droppable::No);

fn joined(frames: &[rtmp_proto::relay::Frame]) -> (Registry, StreamKey, ConnId, PlayerPolicy) {
    let mut reg = Registry::new(RelayConfig::default());
    let key = StreamKey::new("live", "cam");
    let publisher = reg.open_connection();
    reg.publish(&key, publisher).unwrap();
    for f in frames {
        reg.ingest(&key, publisher, f).unwrap();
    }
    let conn = reg.open_connection();
    let Join::Live { policy, .. } = reg.join(
        std::time::Instant::now(),
        &key,
        PlayerRef {
            conn,
            stream: StreamId(1),
        },
    ) else {
        panic!("not live");
    };
    (reg, key, publisher, policy)
}

#[test]
fn paused_sends_nothing_and_unpause_resends_headers_then_waits_for_a_keyframe() {
    let (mut reg, key, publisher, mut p) =
        joined(&[metadata(0, 1), avc_seq(0, 1), aac_seq(0, 1), avc_key(0, 10)]);
    let now = Instant::now();
    assert_eq!(
        p.offer(now, &avc_inter(40, 10), 0),
        Verdict::Send(Droppable::Yes)
    );
    p.pause();
    assert!(p.is_paused());
    for f in [
        avc_key(80, 10),
        aac(90, 10),
        avc_seq(95, 1),
        metadata(95, 1),
    ] {
        assert_eq!(p.offer(now, &f, 0), Verdict::Skip, "{f:?}");
    }
    // Paused skips are not drops.
    assert_eq!(p.stats().frames_dropped, 0);
    // The publisher changed its audio config while the player was paused.
    reg.ingest(&key, publisher, &aac_seq(100, 2)).unwrap();
    let resend = p.unpause(reg.cache(&key).unwrap());
    assert_eq!(resend, vec![metadata(0, 1), avc_seq(0, 1), aac_seq(100, 2)]);
    assert!(!p.is_paused());
    // Audio and inter video are held until the keyframe...
    assert_eq!(p.offer(now, &aac(120, 10), 0), Verdict::Skip);
    assert_eq!(p.offer(now, &avc_inter(120, 10), 0), Verdict::Skip);
    // ...headers are not...
    assert_eq!(p.offer(now, &avc_seq(130, 1), 0), SEND);
    // ...and everything flows from the keyframe on.
    assert_eq!(p.offer(now, &avc_key(160, 10), 0), SEND);
    assert_eq!(p.offer(now, &aac(170, 10), 0), SEND);
    assert_eq!(
        p.offer(now, &avc_inter(200, 10), 0),
        Verdict::Send(Droppable::Yes)
    );
}

#[test]
fn audio_only_streams_resume_audio_at_once() {
    let (reg, key, _, mut p) = joined(&[aac_seq(0, 1), aac(0, 10)]);
    let now = Instant::now();
    p.pause();
    let resend = p.unpause(reg.cache(&key).unwrap());
    assert_eq!(classes(&resend), [FrameClass::AudioConfig]);
    assert_eq!(p.offer(now, &aac(40, 10), 0), SEND);
}

#[test]
fn enhanced_rtmp_unpause_resends_every_track_configuration() {
    let (reg, key, _, mut p) = joined(&[
        hevc_seq(0, 1),
        hevc_color_info(0),
        mt_audio_seq(0, &[(0, 1), (1, 2)]),
        hevc_frame(0, true, 10),
    ]);
    p.pause();
    let resend = p.unpause(reg.cache(&key).unwrap());
    assert_eq!(
        resend,
        vec![
            hevc_seq(0, 1),
            hevc_color_info(0),
            mt_audio_seq(0, &[(0, 1), (1, 2)])
        ]
    );
    let now = Instant::now();
    assert_eq!(p.offer(now, &hevc_frame(40, false, 10), 0), Verdict::Skip);
    assert_eq!(p.offer(now, &hevc_frame(80, true, 10), 0), SEND);
}

#[test]
fn pause_during_lag_then_unpause_starts_clean() {
    let (reg, key, _, mut p) = joined(&[avc_seq(0, 1), avc_key(0, 10)]);
    let now = Instant::now();
    assert_eq!(p.offer(now, &avc_inter(40, 10), 10_000_000), Verdict::Skip);
    assert!(p.is_lagging());
    p.pause();
    p.unpause(reg.cache(&key).unwrap());
    assert!(!p.is_lagging());
    assert_eq!(p.offer(now, &avc_key(80, 10), 0), SEND);
}
