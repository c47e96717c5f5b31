//! [`RateMeter`]: a bitrate from a growing byte counter, over a window of the caller's
//! clock (a status table's refreshes, a virtual clock in tests).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Most samples kept, whatever the window: a meter read very often stays small.
const MAX_SAMPLES: usize = 64;

/// The rate of a byte counter over about the last `window`; see the module docs.
#[derive(Debug, Clone)]
pub struct RateMeter {
    window: Duration,
    samples: VecDeque<(Instant, u64)>,
}

impl RateMeter {
    /// A meter averaging over about `window` (the oldest sample kept is the newest one
    /// at least `window` old).
    pub fn new(window: Duration) -> Self {
        RateMeter {
            window,
            samples: VecDeque::new(),
        }
    }

    /// Records the counter's `total` at `now`. A total below the previous one (a counter
    /// that started over) starts the meter over.
    pub fn record(&mut self, now: Instant, total: u64) {
        if self
            .samples
            .back()
            .is_some_and(|&(t, b)| b > total || t > now)
        {
            self.samples.clear();
        }
        self.samples.push_back((now, total));
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|&(t, _)| now.duration_since(t) >= self.window)
        {
            self.samples.pop_front();
        }
        while self.samples.len() > MAX_SAMPLES {
            self.samples.pop_front();
        }
    }

    /// Bits per second between the oldest and the newest sample; `None` until two samples
    /// apart in time were recorded.
    pub fn bits_per_second(&self) -> Option<u64> {
        let (&(t0, b0), &(t1, b1)) = (self.samples.front()?, self.samples.back()?);
        let secs = t1.duration_since(t0).as_secs_f64();
        if secs <= 0.0 {
            return None;
        }
        Some(((b1 - b0) as f64 * 8.0 / secs).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_over_the_window_on_a_virtual_clock() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut m = RateMeter::new(Duration::from_secs(4));
        m.record(t0, 0);
        assert_eq!(m.bits_per_second(), None);
        m.record(t0 + s, 125_000);
        assert_eq!(m.bits_per_second(), Some(1_000_000));
        // Ten seconds at 1 Mbit/s, then silence: the window forgets the old rate.
        for i in 2..=10 {
            m.record(t0 + s * i, 125_000 * u64::from(i));
        }
        for i in 11..=16 {
            m.record(t0 + s * i, 1_250_000);
        }
        assert_eq!(m.bits_per_second(), Some(0));
        m.record(t0 + s * 17, 10);
        assert_eq!(m.bits_per_second(), None, "a counter that started over");
    }
}
