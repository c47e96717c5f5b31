//! Estimates how long a player's oldest queued frame has waited, from the backlog size
//! alone, so adapters need not timestamp what sits in the session's outbound queue.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Most remembered sends; beyond this the oldest are forgotten (the age estimate then errs
/// young, and the byte bounds still hold).
const MAX_ENTRIES: usize = 64 * 1024;

/// The frames a player was sent, newest last, with when. The outbound queue is FIFO, so
/// when it holds `q` bytes those are the last `q` bytes sent: every entry wholly before them
/// has left.
#[derive(Debug, Clone, Default)]
pub(crate) struct Backlog {
    sent: VecDeque<(Instant, usize)>,
    bytes: usize,
}

impl Backlog {
    pub(crate) fn record(&mut self, now: Instant, len: usize) {
        if self.sent.len() >= MAX_ENTRIES
            && let Some((_, l)) = self.sent.pop_front()
        {
            self.bytes = self.bytes.saturating_sub(l);
        }
        self.sent.push_back((now, len));
        self.bytes = self.bytes.saturating_add(len);
    }

    /// The age of the oldest frame still queued when `queued` bytes are queued.
    pub(crate) fn age(&mut self, now: Instant, queued: usize) -> Duration {
        if queued == 0 {
            self.sent.clear();
            self.bytes = 0;
            return Duration::ZERO;
        }
        while let Some(&(_, len)) = self.sent.front() {
            if self.bytes.saturating_sub(len) < queued {
                break;
            }
            self.sent.pop_front();
            self.bytes = self.bytes.saturating_sub(len);
        }
        self.sent
            .front()
            .map_or(Duration::ZERO, |&(t, _)| now.saturating_duration_since(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oldest_queued_frame_age() {
        let t0 = Instant::now();
        let mut b = Backlog::default();
        b.record(t0, 100);
        b.record(t0 + Duration::from_secs(1), 100);
        b.record(t0 + Duration::from_secs(2), 100);
        let now = t0 + Duration::from_secs(5);
        assert_eq!(b.age(now, 300), Duration::from_secs(5));
        // 150 queued: the first frame left, the second is half gone.
        assert_eq!(b.age(now, 150), Duration::from_secs(4));
        assert_eq!(b.age(now, 100), Duration::from_secs(3));
        assert_eq!(b.age(now, 0), Duration::ZERO);
        assert_eq!(b.age(now, 10), Duration::ZERO);
    }
}
