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
///
/// Frames sent at the same instant (one run of a fan-out) are one entry, and the newest
/// entry is kept inline: a player that keeps up has its backlog cleared before each run,
/// so it never touches the deque's heap buffer, one cold cache line fewer per player and
/// frame.
#[derive(Debug, Clone, Default)]
pub(crate) struct Backlog {
    /// Entries before `newest`, oldest first.
    older: VecDeque<(Instant, usize)>,
    newest: Option<(Instant, usize)>,
    /// Bytes in all entries.
    bytes: usize,
}

impl Backlog {
    pub(crate) fn record(&mut self, now: Instant, len: usize) {
        self.bytes = self.bytes.saturating_add(len);
        match &mut self.newest {
            Some((at, bytes)) if *at == now => *bytes = bytes.saturating_add(len),
            newest => {
                if let Some(previous) = newest.replace((now, len)) {
                    if self.older.len() >= MAX_ENTRIES
                        && let Some((_, l)) = self.older.pop_front()
                    {
                        self.bytes = self.bytes.saturating_sub(l);
                    }
                    self.older.push_back(previous);
                }
            }
        }
    }

    fn oldest(&self) -> Option<&(Instant, usize)> {
        self.older.front().or(self.newest.as_ref())
    }

    fn pop_oldest(&mut self) {
        if self.older.pop_front().is_none() {
            self.newest = None;
        }
    }

    /// The age of the oldest frame still queued when `queued` bytes are queued.
    pub(crate) fn age(&mut self, now: Instant, queued: usize) -> Duration {
        if queued == 0 {
            self.older.clear();
            self.newest = None;
            self.bytes = 0;
            return Duration::ZERO;
        }
        while let Some(&(_, len)) = self.oldest() {
            if self.bytes.saturating_sub(len) < queued {
                break;
            }
            self.pop_oldest();
            self.bytes = self.bytes.saturating_sub(len);
        }
        self.oldest()
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

    #[test]
    fn frames_of_one_instant_are_one_entry() {
        let t0 = Instant::now();
        let mut b = Backlog::default();
        b.record(t0, 100);
        b.record(t0, 50);
        b.record(t0 + Duration::from_secs(1), 100);
        assert_eq!(b.older.len(), 1, "the first two are one entry");
        let now = t0 + Duration::from_secs(3);
        assert_eq!(b.age(now, 250), Duration::from_secs(3));
        // 120 queued: the first instant's 150 bytes are gone but 20 of them.
        assert_eq!(b.age(now, 120), Duration::from_secs(3));
        assert_eq!(b.age(now, 100), Duration::from_secs(2));
        b.record(now, 10);
        assert_eq!(b.age(now, 110), Duration::from_secs(2));
        assert_eq!(b.age(now, 10), Duration::ZERO);
    }
}
