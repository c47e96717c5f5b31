//! The next instant a loop must wake at, as one timer kept across the loop's turns.
//!
//! A connection loop asks its session's `poll_timeout()` after every wake-up, and the
//! answer rarely changes. A fresh timer per wake-up would insert an entry in the runtime's
//! timer structure and remove it again each time: with hundreds of players woken for every
//! relayed frame, one insert and removal per frame and player. Keeping one timer and
//! re-arming it only when the instant moves takes that out of the hot path.

use std::task::{Context, Poll};
use std::time::Instant;

use crate::runtime::{Runtime, Timer};

/// One re-armable deadline; see the module docs.
#[derive(Debug)]
pub struct Deadline<R: Runtime> {
    /// Created at the first armed instant, then only reset.
    timer: Option<R::Timer>,
    /// The armed instant; `None` while unarmed or after firing.
    at: Option<Instant>,
}

impl<R: Runtime> Default for Deadline<R> {
    fn default() -> Self {
        Deadline::new()
    }
}

impl<R: Runtime> Deadline<R> {
    /// An unarmed deadline.
    pub fn new() -> Self {
        Deadline {
            timer: None,
            at: None,
        }
    }

    /// Arms the deadline for `at` (`None`: never fires), touching the timer only when the
    /// instant changes.
    pub fn set(&mut self, rt: &R, at: Option<Instant>) {
        if at == self.at {
            return;
        }
        self.at = at;
        if let Some(t) = at {
            match &mut self.timer {
                Some(timer) => timer.reset(t),
                None => self.timer = Some(rt.timer(t)),
            }
        }
    }

    /// Ready once when the armed instant passes; pending while unarmed. After firing it
    /// stays unarmed until [`set`](Self::set) is called again (with any instant, the same
    /// one included).
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let (Some(_), Some(timer)) = (self.at, &mut self.timer) else {
            return Poll::Pending;
        };
        match timer.poll_fire(cx) {
            Poll::Ready(()) => {
                self.at = None;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}
