//! The server-wide memory budget for what peers make us hold.
//!
//! Every connection reports, after each of its turns, the input bytes its session holds
//! for the peer ([`ServerSession::buffered_input_bytes`]: messages being reassembled, at
//! the length they announced, and commands waiting behind a decision). Per connection
//! these are bounded by the session's limits; across a thousand connections those bounds
//! add up to more than a small machine has, so their sum is bounded here too. When a
//! report takes the sum over the budget, the connections holding the most are closed
//! (each logs why) until what is left fits; the server itself never is.
//!
//! Output is not counted: a relayed frame is one `Bytes` shared by every player's queue,
//! so counting queues would charge the same bytes once per player, and each player's
//! backlog is already bounded by the relay's lag policy, which cuts a player that falls
//! too far behind.
//!
//! [`ServerSession::buffered_input_bytes`]: rtmp_proto::session::ServerSession::buffered_input_bytes

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// One connection's share: what it last reported and whether it was picked to close.
#[derive(Debug, Default)]
pub(crate) struct Holding {
    held: AtomicUsize,
    evicted: AtomicBool,
}

impl Holding {
    /// Whether the budget picked this connection to close.
    pub(crate) fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::Acquire)
    }

    /// Bytes it last reported.
    pub(crate) fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }
}

/// The budget and the running sum; see the module docs.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    total: AtomicUsize,
    /// Bytes of connections picked to close that have not closed yet: already on their
    /// way out, so they do not make more connections close.
    evicting: AtomicUsize,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Self {
        Budget {
            limit,
            total: AtomicUsize::new(0),
            evicting: AtomicUsize::new(0),
        }
    }

    /// Records that a connection holds `now` bytes; whether the sum, less what is already
    /// on its way out, is over the budget.
    pub(crate) fn report(&self, h: &Holding, now: usize) -> bool {
        let before = h.held.swap(now, Ordering::AcqRel);
        if now >= before {
            self.total.fetch_add(now - before, Ordering::AcqRel);
        } else {
            self.total.fetch_sub(before - now, Ordering::AcqRel);
        }
        if h.is_evicted() {
            if now >= before {
                self.evicting.fetch_add(now - before, Ordering::AcqRel);
            } else {
                self.evicting.fetch_sub(before - now, Ordering::AcqRel);
            }
        }
        now > before && self.over() > 0
    }

    /// Bytes by which the sum of the connections not picked to close exceeds the budget.
    pub(crate) fn over(&self) -> usize {
        let live = self
            .total
            .load(Ordering::Acquire)
            .saturating_sub(self.evicting.load(Ordering::Acquire));
        live.saturating_sub(self.limit)
    }

    /// Picks a connection to close; whether it was not picked before.
    pub(crate) fn evict(&self, h: &Holding) -> bool {
        if h.evicted.swap(true, Ordering::AcqRel) {
            return false;
        }
        self.evicting.fetch_add(h.held(), Ordering::AcqRel);
        true
    }

    /// A connection closed: its bytes leave the sum.
    pub(crate) fn release(&self, h: &Holding) {
        let held = h.held.swap(0, Ordering::AcqRel);
        self.total.fetch_sub(held, Ordering::AcqRel);
        if h.is_evicted() {
            self.evicting.fetch_sub(held, Ordering::AcqRel);
        }
    }

    /// The sum of what connections hold now.
    pub(crate) fn total(&self) -> usize {
        self.total.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_the_budget_counts_only_connections_not_on_their_way_out() {
        let b = Budget::new(100);
        let (x, y) = (Holding::default(), Holding::default());
        assert!(!b.report(&x, 60));
        assert!(b.report(&y, 60), "120 > 100");
        assert_eq!(b.over(), 20);
        assert!(b.evict(&x));
        assert!(!b.evict(&x), "picked once");
        assert_eq!(b.over(), 0, "x is on its way out");
        assert!(
            !b.report(&x, 80),
            "x's growth does not count against the others"
        );
        b.release(&x);
        assert_eq!((b.total(), b.over()), (60, 0));
        assert!(!b.report(&y, 10));
        b.release(&y);
        assert_eq!(b.total(), 0);
    }
}
