//! The reconnect policy: exponential backoff with jitter, a cap on attempts, and when a
//! connection counts as healthy again.

use std::time::Duration;

use super::error::PolicyError;
use crate::rng::Rng;

/// How a client retries. All delays are computed by [`Reconnector`](super::Reconnector);
/// the adapter only sleeps until the instant it is given.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ReconnectPolicy {
    /// The wait after the first failed round (default 1 s).
    pub initial_delay: Duration,
    /// Each further round waits this many times longer (default 2).
    pub factor: f64,
    /// No wait is longer than this, jitter included (default 60 s).
    pub max_delay: Duration,
    /// At most this many retries in a row (default 10; `None`: never give up): the failure
    /// after the last retry gets [`Next::GiveUp`](super::Next::GiveUp). A healthy
    /// connection starts the count over.
    pub max_attempts: Option<u32>,
    /// Each wait is spread uniformly over `delay * (1 ± jitter)` (default 0.2, i.e. ±20%)
    /// so clients dropped together do not all come back in the same instant.
    pub jitter: f64,
    /// A connection up this long has proven itself: the attempt count and the backoff
    /// start over (default 30 s).
    pub healthy_after: Duration,
    /// The wait before trying the next URL of the failover list within a round (default
    /// zero: a backup is tried at once when the primary fails).
    pub failover_delay: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        ReconnectPolicy {
            initial_delay: Duration::from_secs(1),
            factor: 2.0,
            max_delay: Duration::from_secs(60),
            max_attempts: Some(10),
            jitter: 0.2,
            healthy_after: Duration::from_secs(30),
            failover_delay: Duration::ZERO,
        }
    }
}

impl ReconnectPolicy {
    /// The same policy without jitter (exact, reproducible delays).
    pub fn without_jitter(mut self) -> Self {
        self.jitter = 0.0;
        self
    }

    /// Rejects settings that cannot work: a factor below 1 or not finite, jitter outside
    /// 0..=1, an initial delay above the maximum.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if !(self.factor.is_finite() && self.factor >= 1.0) {
            return Err(PolicyError::BadFactor(self.factor));
        }
        if !(0.0..=1.0).contains(&self.jitter) {
            return Err(PolicyError::BadJitter(self.jitter));
        }
        if self.initial_delay > self.max_delay {
            return Err(PolicyError::InitialAboveMax);
        }
        Ok(())
    }

    /// The wait after failed round `round` (0-based) before jitter:
    /// `min(initial * factor^round, max)`.
    pub fn base_delay(&self, round: u32) -> Duration {
        let exp = i32::try_from(round).unwrap_or(i32::MAX);
        let secs = self.initial_delay.as_secs_f64() * self.factor.powi(exp);
        match Duration::try_from_secs_f64(secs) {
            Ok(d) => d.min(self.max_delay),
            Err(_) => self.max_delay,
        }
    }

    /// [`base_delay`](Self::base_delay) spread by the jitter, drawn from `rng`, and capped
    /// at `max_delay`.
    pub fn delay(&self, round: u32, rng: &mut Rng) -> Duration {
        let base = self.base_delay(round);
        if self.jitter <= 0.0 {
            return base;
        }
        // A uniform value in [-1, 1) with 53 bits of precision.
        let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        let spread = 1.0 + self.jitter * (2.0 * unit - 1.0);
        Duration::try_from_secs_f64(base.as_secs_f64() * spread)
            .unwrap_or(base)
            .min(self.max_delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_delays_double_and_cap() {
        let p = ReconnectPolicy::default();
        let secs: Vec<u64> = (0..10).map(|r| p.base_delay(r).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60]);
        assert_eq!(p.base_delay(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn validate_names_the_bad_field() {
        let p = ReconnectPolicy {
            factor: 0.5,
            ..ReconnectPolicy::default()
        };
        assert_eq!(p.validate(), Err(PolicyError::BadFactor(0.5)));
        let p = ReconnectPolicy {
            jitter: f64::NAN,
            ..ReconnectPolicy::default()
        };
        assert!(matches!(p.validate(), Err(PolicyError::BadJitter(_))));
    }
}
