//! The session's next deadline as one timer kept across loop iterations.
//!
//! A connection loop asks `poll_timeout()` after every wake-up, and the answer rarely
//! changes; re-arming an `async_io::Timer` only when it does keeps the reactor's timer
//! table out of the hot path (creating a fresh timer per wake-up would insert and remove
//! one each time).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use smol::Timer;

#[derive(Debug)]
pub(crate) struct Deadline {
    timer: Timer,
    at: Option<Instant>,
}

impl Deadline {
    pub(crate) fn new() -> Self {
        Deadline {
            timer: Timer::never(),
            at: None,
        }
    }

    /// Arms the timer for `at` (none: never fires), re-arming only on change.
    pub(crate) fn set(&mut self, at: Option<Instant>) {
        if at == self.at {
            return;
        }
        match at {
            Some(t) => self.timer.set_at(t),
            None => self.timer = Timer::never(),
        }
        self.at = at;
    }

    /// Ready once when the armed instant passes; pending while unarmed.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.at.is_none() {
            return Poll::Pending;
        }
        match Pin::new(&mut self.timer).poll(cx) {
            Poll::Ready(_) => {
                // A one-shot timer does not fire again: the next `set` must re-arm it.
                self.at = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
