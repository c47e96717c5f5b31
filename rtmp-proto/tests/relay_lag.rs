//! Player lag policy: over the soft bound drop non-key video (keep audio, headers and
//! metadata) until a keyframe that fits; over the hard bound, past the maximum age, or at
//! the N-th consecutive lag event, disconnect. One slow player never affects another.

mod relay_support;

use std::time::{Duration, Instant};

use relay_support::*;
use rtmp_proto::relay::{Frame, LagReason, PlayerPolicy, RelayConfig, Verdict};
use rtmp_proto::session::Droppable;

const SEND: Verdict = Verdict::Send(Droppable::No);
const SEND_DROPPABLE: Verdict = Verdict::Send(Droppable::Yes);

fn config() -> RelayConfig {
    let mut c = RelayConfig::default();
    c.player_soft_bytes = 1_000;
    c.player_hard_bytes = 5_000;
    c.player_soft_age = Duration::from_secs(2);
    c.player_max_age = Duration::from_secs(10);
    c.max_consecutive_lag_events = 3;
    c
}

/// A player that already started at a keyframe.
fn started(c: &RelayConfig, now: Instant) -> PlayerPolicy {
    let mut p = PlayerPolicy::new(c);
    assert_eq!(p.offer(now, &avc_key(0, 10), 0), SEND);
    p
}

#[test]
fn soft_bound_drops_non_key_video_until_a_keyframe_that_fits() {
    let c = config();
    let now = Instant::now();
    let mut p = started(&c, now);
    assert_eq!(p.offer(now, &avc_inter(40, 10), 500), SEND_DROPPABLE);
    // Over the soft bound: a lag event.
    assert_eq!(p.offer(now, &avc_inter(80, 10), 1_500), Verdict::Skip);
    assert!(p.is_lagging());
    assert_eq!(p.stats().lag_events, 1);
    // Audio, sequence headers, metadata and sequence ends still go out.
    assert_eq!(p.offer(now, &aac(85, 10), 1_500), SEND);
    assert_eq!(p.offer(now, &aac_seq(85, 1), 1_500), SEND);
    assert_eq!(p.offer(now, &avc_seq(85, 1), 1_500), SEND);
    assert_eq!(p.offer(now, &metadata(85, 1), 1_500), SEND);
    // Still lagging: inter frames go, even once the backlog drained.
    assert_eq!(p.offer(now, &avc_inter(120, 10), 1_500), Verdict::Skip);
    assert_eq!(p.offer(now, &avc_inter(160, 10), 0), Verdict::Skip);
    // A keyframe while still over the bound is dropped too.
    assert_eq!(p.offer(now, &avc_key(200, 10), 1_200), Verdict::Skip);
    // The next keyframe that fits resumes.
    assert_eq!(p.offer(now, &avc_key(240, 10), 300), SEND);
    assert!(!p.is_lagging());
    assert_eq!(p.offer(now, &avc_inter(280, 10), 300), SEND_DROPPABLE);
    assert_eq!(p.stats().frames_dropped, 4);
    assert_eq!(p.stats().lag_events, 1, "one event per entry into lag");
}

#[test]
fn hard_bound_disconnects_and_the_verdict_is_final() {
    let c = config();
    let now = Instant::now();
    let mut p = started(&c, now);
    assert_eq!(
        p.offer(now, &avc_inter(40, 95), 4_950),
        Verdict::Disconnect(LagReason::HardBytes)
    );
    assert!(p.is_disconnected());
    assert_eq!(p.offer(now, &avc_key(80, 10), 0), Verdict::Skip);
    assert_eq!(p.offer(now, &aac(80, 10), 0), Verdict::Skip);
    assert_eq!(p.stats().lag_disconnects, 1);
}

#[test]
fn one_frame_larger_than_the_hard_bound_on_an_empty_queue_is_sent() {
    let c = config();
    let now = Instant::now();
    let mut p = PlayerPolicy::new(&c);
    assert_eq!(p.offer(now, &avc_key(0, 6_000), 0), SEND);
}

#[test]
fn queue_age_lags_then_disconnects() {
    let c = config();
    let t0 = Instant::now();
    let mut p = started(&c, t0);
    // 15 bytes queued and never drained: the keyframe sent at t0 ages.
    assert_eq!(
        p.offer(t0 + Duration::from_secs(1), &avc_inter(40, 10), 15),
        SEND_DROPPABLE
    );
    assert_eq!(
        p.offer(t0 + Duration::from_secs(3), &avc_inter(80, 10), 30),
        Verdict::Skip
    );
    assert!(p.is_lagging());
    assert_eq!(
        p.offer(t0 + Duration::from_secs(11), &aac(90, 10), 30),
        Verdict::Disconnect(LagReason::MaxAge)
    );
}

#[test]
fn a_drained_queue_has_no_age() {
    let c = config();
    let t0 = Instant::now();
    let mut p = started(&c, t0);
    // Long silences with an empty queue are not lag.
    let t = t0 + Duration::from_secs(60);
    assert_eq!(p.offer(t, &avc_inter(40, 10), 0), SEND_DROPPABLE);
    assert!(!p.is_lagging());
}

#[test]
fn n_consecutive_lag_events_disconnect() {
    let c = config();
    let now = Instant::now();
    let mut p = started(&c, now);
    for round in 1..=2 {
        assert_eq!(p.offer(now, &avc_inter(0, 10), 2_000), Verdict::Skip);
        assert_eq!(p.consecutive_lag_events(), round);
        // Resumes at a keyframe, but lags again before a whole clean GOP.
        assert_eq!(p.offer(now, &avc_key(0, 10), 0), SEND);
        assert_eq!(p.offer(now, &avc_inter(0, 10), 0), SEND_DROPPABLE);
    }
    assert_eq!(
        p.offer(now, &avc_inter(0, 10), 2_000),
        Verdict::Disconnect(LagReason::ConsecutiveLag)
    );
    assert_eq!(p.stats().lag_events, 3);
}

#[test]
fn a_whole_clean_gop_resets_the_consecutive_count() {
    let c = config();
    let now = Instant::now();
    let mut p = started(&c, now);
    for _ in 0..10 {
        assert_eq!(p.offer(now, &avc_inter(0, 10), 2_000), Verdict::Skip);
        assert_eq!(p.consecutive_lag_events(), 1);
        assert_eq!(p.offer(now, &avc_key(0, 10), 0), SEND); // resume
        assert_eq!(p.offer(now, &avc_inter(0, 10), 0), SEND_DROPPABLE);
        assert_eq!(p.offer(now, &avc_key(0, 10), 0), SEND); // a whole GOP without lag
        assert_eq!(p.consecutive_lag_events(), 0);
    }
    assert!(!p.is_disconnected());
}

#[test]
fn zero_max_consecutive_never_disconnects_for_repeated_lag() {
    let mut c = config();
    c.max_consecutive_lag_events = 0;
    let now = Instant::now();
    let mut p = started(&c, now);
    for _ in 0..50 {
        assert_eq!(p.offer(now, &avc_inter(0, 10), 2_000), Verdict::Skip);
        assert_eq!(p.offer(now, &avc_key(0, 10), 0), SEND);
    }
    assert!(!p.is_disconnected());
}

#[test]
fn audio_only_lag_ends_when_the_backlog_drains() {
    let c = config();
    let now = Instant::now();
    let mut p = PlayerPolicy::new(&c);
    assert_eq!(p.offer(now, &aac(0, 10), 2_000), SEND);
    assert!(p.is_lagging());
    assert_eq!(p.offer(now, &aac(20, 10), 100), SEND);
    assert!(!p.is_lagging());
    // Without keyframes, an empty queue (fully caught up) ends the run of lag events.
    assert_eq!(p.consecutive_lag_events(), 1);
    assert_eq!(p.offer(now, &aac(40, 10), 2_000), SEND);
    assert_eq!(p.consecutive_lag_events(), 2);
    assert_eq!(p.offer(now, &aac(60, 10), 0), SEND);
    assert_eq!(p.consecutive_lag_events(), 0);
    for i in 0..10 {
        assert_eq!(p.offer(now, &aac(80 + i, 10), 2_000), SEND);
        assert_eq!(p.offer(now, &aac(80 + i, 10), 0), SEND);
    }
    assert!(!p.is_disconnected());
}

#[test]
fn one_slow_player_never_affects_another() {
    let c = config();
    let t0 = Instant::now();
    let mut fast = started(&c, t0);
    let mut slow = started(&c, t0);
    let mut slow_backlog = 0usize;
    let mut fast_sent = 0;
    let mut slow_verdicts = Vec::new();
    for i in 0..200u32 {
        let f: Frame = if i % 25 == 0 {
            avc_key(i * 40, 200)
        } else if i % 2 == 0 {
            aac(i * 40, 50)
        } else {
            avc_inter(i * 40, 100)
        };
        let now = t0 + Duration::from_millis(u64::from(i) * 20);
        // The fast player drains everything at once.
        if let Verdict::Send(_) = fast.offer(now, &f, 0) {
            fast_sent += 1;
        }
        // The slow one never drains.
        let v = slow.offer(now, &f, slow_backlog);
        if let Verdict::Send(_) = v {
            slow_backlog += f.len();
        }
        slow_verdicts.push(v);
    }
    assert_eq!(fast_sent, 200);
    assert_eq!(fast.stats().frames_dropped, 0);
    assert!(
        slow_verdicts
            .iter()
            .any(|v| matches!(v, Verdict::Disconnect(_))),
        "{slow_verdicts:?}"
    );
    assert!(slow_backlog <= c.player_hard_bytes);
}

#[test]
fn the_join_burst_does_not_count_as_lag_until_it_drains() {
    let c = config();
    let now = Instant::now();
    // A cached GOP bigger than the soft bound.
    let initial = vec![avc_key(0, 1_995), avc_inter(40, 1_995)];
    let mut p = PlayerPolicy::after_join(&c, &initial);
    assert_eq!(p.stats().frames_sent, 2);
    assert_eq!(p.offer(now, &avc_inter(80, 10), 4_000), SEND_DROPPABLE);
    assert!(!p.is_lagging());
    // Once the burst drained, the normal bounds apply again.
    assert_eq!(p.offer(now, &avc_inter(120, 10), 100), SEND_DROPPABLE);
    assert_eq!(p.offer(now, &avc_inter(160, 10), 1_500), Verdict::Skip);
    assert!(p.is_lagging());
}

#[test]
fn take_stats_returns_deltas() {
    let c = config();
    let now = Instant::now();
    let mut p = started(&c, now);
    let d1 = p.take_stats();
    assert_eq!((d1.frames_sent, d1.bytes_sent), (1, 15));
    p.offer(now, &avc_inter(40, 10), 2_000);
    p.offer(now, &aac(40, 8), 2_000);
    let d2 = p.take_stats();
    assert_eq!(
        (
            d2.frames_sent,
            d2.bytes_sent,
            d2.frames_dropped,
            d2.lag_events
        ),
        (1, 10, 1, 1)
    );
    assert_eq!(p.take_stats(), Default::default());
    assert_eq!(p.stats().frames_sent, 2);
}
