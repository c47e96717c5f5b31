//! `Reconnector`: backoff schedule, jitter bounds, reset after a healthy connection, giving
//! up, and failover order, all on a virtual clock.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rtmp_proto::client::{
    Failover, FailureReason, Next, PolicyError, ReconnectPolicy, Reconnector, RtmpUrl,
};
use rtmp_proto::rng::Rng;

fn urls(n: usize) -> Failover {
    Failover::new(
        (0..n)
            .map(|i| RtmpUrl::parse(&format!("rtmp://server{i}/live/s")).unwrap())
            .collect(),
    )
    .unwrap()
}

fn dial_failed() -> FailureReason {
    FailureReason::Dial("connection refused".into())
}

/// Fails every attempt, returning (delay since the failure, url index) per retry until
/// the reconnector gives up.
fn schedule(r: &mut Reconnector, t0: Instant) -> Vec<(Duration, usize)> {
    let mut now = t0;
    let mut out = Vec::new();
    loop {
        r.on_connect_attempt(now);
        match r.on_failure(now, dial_failed()) {
            Next::RetryAt { at, url_index } => {
                out.push((at - now, url_index));
                now = at;
            }
            Next::GiveUp => return out,
            _ => unreachable!("Next has two variants"),
        }
    }
}

fn secs(s: &[u64]) -> Vec<(Duration, usize)> {
    s.iter().map(|&s| (Duration::from_secs(s), 0)).collect()
}

#[test]
fn default_policy_values() {
    let p = ReconnectPolicy::default();
    assert_eq!(p.initial_delay, Duration::from_secs(1));
    assert_eq!(p.factor, 2.0);
    assert_eq!(p.max_delay, Duration::from_secs(60));
    assert_eq!(p.max_attempts, Some(10));
    assert_eq!(p.jitter, 0.2);
    assert_eq!(p.healthy_after, Duration::from_secs(30));
}

#[test]
fn exact_schedule_without_jitter_then_give_up() {
    let policy = ReconnectPolicy::default().without_jitter();
    let mut r = Reconnector::new(policy, urls(1), Rng::new(1)).unwrap();
    let t0 = Instant::now();
    assert_eq!(
        r.first(t0),
        Next::RetryAt {
            at: t0,
            url_index: 0
        }
    );
    // Ten retries after ten failures; the eleventh failure gives up.
    assert_eq!(
        schedule(&mut r, t0),
        secs(&[1, 2, 4, 8, 16, 32, 60, 60, 60, 60])
    );
    assert!(r.has_given_up());
    assert_eq!(r.last_failure(), Some(&dial_failed()));
    // Giving up is sticky until something resets it.
    assert_eq!(r.on_failure(t0, dial_failed()), Next::GiveUp);
}

#[test]
fn configurable_factor_cap_and_attempts() {
    let mut policy = ReconnectPolicy::default().without_jitter();
    policy.initial_delay = Duration::from_millis(500);
    policy.factor = 3.0;
    policy.max_delay = Duration::from_secs(10);
    policy.max_attempts = Some(5);
    let mut r = Reconnector::new(policy, urls(1), Rng::new(1)).unwrap();
    let ms: Vec<u128> = schedule(&mut r, Instant::now())
        .iter()
        .map(|(d, _)| d.as_millis())
        .collect();
    assert_eq!(ms, [500, 1500, 4500, 10_000, 10_000]);
}

#[test]
fn unlimited_attempts_keep_the_cap() {
    let mut policy = ReconnectPolicy::default().without_jitter();
    policy.max_attempts = None;
    let mut r = Reconnector::new(policy, urls(1), Rng::new(1)).unwrap();
    let mut now = Instant::now();
    for _ in 0..1000 {
        let Next::RetryAt { at, .. } = r.on_failure(now, dial_failed()) else {
            panic!("an unlimited policy never gives up");
        };
        assert!(at - now <= Duration::from_secs(60));
        now = at;
    }
}

#[test]
fn jitter_stays_within_twenty_percent_and_is_seeded() {
    let policy = ReconnectPolicy::default();
    let t0 = Instant::now();
    let run = |seed| {
        let mut r = Reconnector::new(policy.clone(), urls(1), Rng::new(seed)).unwrap();
        schedule(&mut r, t0)
    };
    let a = run(7);
    assert_eq!(a, run(7), "same seed, same schedule");
    assert_ne!(a, run(8), "another seed, another schedule");
    let base = [1u64, 2, 4, 8, 16, 32, 60, 60, 60, 60];
    assert_eq!(a.len(), base.len());
    for ((d, idx), b) in a.iter().zip(base) {
        assert_eq!(*idx, 0);
        let b = Duration::from_secs(b);
        assert!(
            *d >= b.mul_f64(0.8) && *d <= b.mul_f64(1.2),
            "{d:?} vs {b:?}"
        );
        assert!(*d <= Duration::from_secs(60), "never above max_delay");
    }
}

#[test]
fn reset_after_a_healthy_connection() {
    let policy = ReconnectPolicy::default().without_jitter();
    let mut r = Reconnector::new(policy, urls(1), Rng::new(1)).unwrap();
    let t0 = Instant::now();
    let mut now = t0;
    // Three failures: 1 s, 2 s, 4 s.
    for expect in [1, 2, 4] {
        let Next::RetryAt { at, .. } = r.on_failure(now, dial_failed()) else {
            panic!()
        };
        assert_eq!(at - now, Duration::from_secs(expect));
        now = at;
    }
    // Connected, but dropped after 29 s: not healthy yet, the backoff continues (8 s).
    r.on_connect_attempt(now);
    r.on_connected(now);
    assert_eq!(r.healthy_deadline(), Some(now + Duration::from_secs(30)));
    assert!(!r.on_healthy(now + Duration::from_secs(29)));
    now += Duration::from_secs(29);
    let Next::RetryAt { at, .. } = r.on_failure(now, dial_failed()) else {
        panic!()
    };
    assert_eq!(at - now, Duration::from_secs(8));
    assert_eq!(r.failures(), 4);
    now = at;
    // Connected for 30 s: healthy, counters reset; the drop waits 1 s again.
    r.on_connect_attempt(now);
    r.on_connected(now);
    now += Duration::from_secs(30);
    assert!(r.on_healthy(now));
    assert_eq!(r.failures(), 0);
    assert_eq!(r.healthy_deadline(), None);
    let closed = FailureReason::Closed(rtmp_proto::session::CloseReason::PeerClosed);
    let Next::RetryAt { at, .. } = r.on_failure(now, closed) else {
        panic!()
    };
    assert_eq!(at - now, Duration::from_secs(1));
    // ... then 2 s: the schedule started over.
    let Next::RetryAt { at: at2, .. } = r.on_failure(at, dial_failed()) else {
        panic!()
    };
    assert_eq!(at2 - at, Duration::from_secs(2));
}

#[test]
fn on_failure_notices_health_without_on_healthy() {
    let mut policy = ReconnectPolicy::default().without_jitter();
    policy.max_attempts = Some(2);
    let mut r = Reconnector::new(policy, urls(1), Rng::new(1)).unwrap();
    let t0 = Instant::now();
    r.on_failure(t0, dial_failed());
    r.on_failure(t0, dial_failed());
    r.on_connected(t0);
    // Up for an hour, never asked: the drop still counts as after a healthy connection.
    let later = t0 + Duration::from_secs(3600);
    assert_eq!(
        r.on_failure(later, dial_failed()),
        Next::RetryAt {
            at: later + Duration::from_secs(1),
            url_index: 0
        }
    );
}

#[test]
fn failover_order_primary_backups_then_wait() {
    let mut policy = ReconnectPolicy::default().without_jitter();
    policy.max_attempts = Some(9);
    let mut r = Reconnector::new(policy, urls(3), Rng::new(1)).unwrap();
    let got = schedule(&mut r, Instant::now());
    let s = Duration::from_secs;
    assert_eq!(
        got,
        [
            // Primary failed: backups at once, then wait 1 s and back to the primary.
            (s(0), 1),
            (s(0), 2),
            (s(1), 0),
            (s(0), 1),
            (s(0), 2),
            (s(2), 0),
            (s(0), 1),
            (s(0), 2),
            (s(4), 0),
        ]
    );
}

#[test]
fn failover_delay_and_url_lookup() {
    let mut policy = ReconnectPolicy::default().without_jitter();
    policy.failover_delay = Duration::from_millis(250);
    let mut r = Reconnector::new(policy, urls(2), Rng::new(1)).unwrap();
    let t0 = Instant::now();
    assert_eq!(r.url().host(), "server0");
    assert_eq!(
        r.on_failure(t0, dial_failed()),
        Next::RetryAt {
            at: t0 + Duration::from_millis(250),
            url_index: 1
        }
    );
    assert_eq!(r.url().host(), "server1");
    // A healthy connection on the backup that drops goes back to the primary.
    r.on_connected(t0);
    let t1 = t0 + Duration::from_secs(31);
    assert_eq!(
        r.on_failure(t1, dial_failed()),
        Next::RetryAt {
            at: t1 + Duration::from_secs(1),
            url_index: 0
        }
    );
    r.reset();
    assert_eq!(r.url_index(), 0);
    assert_eq!(r.failures(), 0);
}

#[test]
fn bad_policies_and_lists_are_refused() {
    assert_eq!(Failover::new(vec![]), Err(PolicyError::NoUrls));
    let mut p = ReconnectPolicy::default();
    p.jitter = 1.5;
    assert_eq!(
        Reconnector::new(p, urls(1), Rng::new(0)).err(),
        Some(PolicyError::BadJitter(1.5))
    );
    let mut p = ReconnectPolicy::default();
    p.initial_delay = Duration::from_secs(120);
    assert_eq!(
        Reconnector::new(p, urls(1), Rng::new(0)).err(),
        Some(PolicyError::InitialAboveMax)
    );
}

proptest! {
    #[test]
    fn delays_always_within_bounds(
        seed in any::<u64>(),
        n in 1usize..5,
        initial_ms in 1u64..5000,
        factor in 1.0f64..10.0,
        jitter in 0.0f64..=1.0,
    ) {
        let policy = {
            let mut p = ReconnectPolicy::default();
            p.initial_delay = Duration::from_millis(initial_ms);
            p.factor = factor;
            p.jitter = jitter;
            p.max_attempts = Some(25);
            p
        };
        let mut r = Reconnector::new(policy, urls(n), Rng::new(seed)).unwrap();
        let got = schedule(&mut r, Instant::now());
        prop_assert_eq!(got.len(), 25);
        for (i, (d, idx)) in got.iter().enumerate() {
            prop_assert!(*d <= Duration::from_secs(60));
            // Failover order: index cycles 1, 2, ..., n-1, 0.
            prop_assert_eq!(*idx, (i + 1) % n);
        }
    }
}
