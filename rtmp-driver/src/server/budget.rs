//! The server-wide memory budget for what peers make us hold.
//!
//! Two kinds of bytes count:
//! - **Input**: every connection reports, after each of its turns, the input its session
//!   holds for the peer ([`ServerSession::buffered_input_bytes`]: messages being
//!   reassembled, at the length they announced, and commands waiting behind a decision).
//!   An in-process subscriber (an HTTP-FLV player among them) reports the frames its queue
//!   holds the same way: they are references, but a reader that stops would otherwise keep
//!   them alive outside the budget.
//! - **Relayed output**: each frame is chunked once per group of players
//!   (`EncodedMessage`), and that buffer is counted from its creation until the last
//!   player's queue lets go of it ([`Budget::track`]), once however many players share it.
//!   Summing players' queues instead would charge the same bytes once per player.
//!
//! Per connection these are bounded by the session's limits and the relay's lag policy;
//! across a thousand connections those bounds add up to more than a small machine has, so
//! their sum is bounded here too. When the sum goes over the budget, the connections
//! holding the most (their input plus the output queued toward them) are closed, each
//! logging why, until what is left fits; the server itself never is. A player's own
//! output (its join burst, slices of the stream's GOP cache) is bounded by the cache's
//! own limits and not counted again.
//!
//! [`ServerSession::buffered_input_bytes`]: rtmp_proto::session::ServerSession::buffered_input_bytes

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::Bytes;

/// One connection's share: what it last reported and whether it was picked to close.
#[derive(Debug, Default)]
pub(crate) struct Holding {
    input: AtomicUsize,
    /// Output queued toward its players (shared buffers included): what closing it could
    /// free, for picking whom to close. Not part of the sum.
    output: AtomicUsize,
    evicted: AtomicBool,
    /// What it held when it was picked to close: counted as on its way out until it closes.
    leaving: AtomicUsize,
}

impl Holding {
    /// Whether the budget picked this connection to close.
    pub(crate) fn is_evicted(&self) -> bool {
        self.evicted.load(Ordering::Acquire)
    }

    /// Input bytes it last reported.
    pub(crate) fn input(&self) -> usize {
        self.input.load(Ordering::Relaxed)
    }

    /// Input and queued output: what closing it would free at most.
    pub(crate) fn held(&self) -> usize {
        self.input()
            .saturating_add(self.output.load(Ordering::Relaxed))
    }

    /// Records the output queued toward its players now (a plain store: no sum changes).
    pub(crate) fn set_output(&self, bytes: usize) {
        self.output.store(bytes, Ordering::Relaxed);
    }
}

/// The budget and the running sums; see the module docs.
#[derive(Debug)]
pub(crate) struct Budget {
    limit: usize,
    input: AtomicUsize,
    /// Relayed output buffers alive now.
    shared: AtomicUsize,
    /// Bytes of connections picked to close that have not closed yet: already on their
    /// way out, so they do not make more connections close.
    evicting: AtomicUsize,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Self {
        Budget {
            limit,
            input: AtomicUsize::new(0),
            shared: AtomicUsize::new(0),
            evicting: AtomicUsize::new(0),
        }
    }

    /// Records that a connection holds `now` input bytes; whether the sum, less what is
    /// already on its way out, is over the budget.
    pub(crate) fn report(&self, h: &Holding, now: usize) -> bool {
        let before = h.input.swap(now, Ordering::AcqRel);
        if now >= before {
            self.input.fetch_add(now - before, Ordering::AcqRel);
        } else {
            self.input.fetch_sub(before - now, Ordering::AcqRel);
        }
        now > before && self.over() > 0
    }

    /// Bytes by which the sum, less the connections picked to close, exceeds the budget.
    pub(crate) fn over(&self) -> usize {
        let live = self
            .total()
            .saturating_sub(self.evicting.load(Ordering::Acquire));
        live.saturating_sub(self.limit)
    }

    /// Picks a connection to close; whether it was not picked before.
    pub(crate) fn evict(&self, h: &Holding) -> bool {
        if h.evicted.swap(true, Ordering::AcqRel) {
            return false;
        }
        let held = h.held();
        h.leaving.store(held, Ordering::Release);
        self.evicting.fetch_add(held, Ordering::AcqRel);
        true
    }

    /// A connection closed: its input leaves the sum (its output leaves with the last
    /// reference to each buffer).
    pub(crate) fn release(&self, h: &Holding) {
        let input = h.input.swap(0, Ordering::AcqRel);
        self.input.fetch_sub(input, Ordering::AcqRel);
        h.set_output(0);
        let leaving = h.leaving.swap(0, Ordering::AcqRel);
        self.evicting.fetch_sub(leaving, Ordering::AcqRel);
    }

    /// The sum of what peers make the server hold now.
    pub(crate) fn total(&self) -> usize {
        self.input
            .load(Ordering::Acquire)
            .saturating_add(self.shared.load(Ordering::Acquire))
    }

    /// `wire`, counted in the sum until its last reference is dropped. No copy: the
    /// returned `Bytes` points at the same memory.
    pub(crate) fn track(self: &Arc<Self>, wire: Bytes) -> Bytes {
        self.shared.fetch_add(wire.len(), Ordering::AcqRel);
        Bytes::from_owner(Tracked {
            wire,
            budget: self.clone(),
        })
    }
}

/// A relayed output buffer counted in the budget while alive.
struct Tracked {
    wire: Bytes,
    budget: Arc<Budget>,
}

impl AsRef<[u8]> for Tracked {
    fn as_ref(&self) -> &[u8] {
        &self.wire
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.budget
            .shared
            .fetch_sub(self.wire.len(), Ordering::AcqRel);
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
        b.release(&x);
        assert_eq!((b.total(), b.over()), (60, 0));
        assert!(!b.report(&y, 10));
        b.release(&y);
        assert_eq!(b.total(), 0);
    }

    #[test]
    fn a_shared_buffer_counts_once_while_any_reference_lives() {
        let b = Arc::new(Budget::new(100));
        let wire = b.track(Bytes::from(vec![7u8; 80]));
        let copies: Vec<Bytes> = (0..10).map(|_| wire.clone()).collect();
        assert_eq!(b.total(), 80, "ten references, counted once");
        let x = Holding::default();
        x.set_output(80);
        assert!(b.report(&x, 30), "80 + 30 > 100");
        assert_eq!(&copies[3][..], &[7u8; 80][..], "same bytes");
        drop(wire);
        drop(copies);
        assert_eq!(b.total(), 30, "freed with the last reference");
        b.release(&x);
        assert_eq!(b.total(), 0);
    }
}
