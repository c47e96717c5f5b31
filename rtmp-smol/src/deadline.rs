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

#[cfg(test)]
mod tests {
    use std::future::poll_fn;
    use std::time::Duration;

    use super::*;

    fn fire(d: &mut Deadline) {
        smol::block_on(poll_fn(|cx| d.poll(cx)));
    }

    fn pending_now(d: &mut Deadline) -> bool {
        smol::block_on(smol::future::poll_once(poll_fn(|cx| d.poll(cx)))).is_none()
    }

    #[test]
    fn fires_once_then_rearms_for_the_same_instant() {
        let mut d = Deadline::new();
        assert!(pending_now(&mut d), "unarmed never fires");
        let at = Instant::now() + Duration::from_millis(20);
        d.set(Some(at));
        assert!(pending_now(&mut d), "not before its time");
        fire(&mut d);
        assert!(Instant::now() >= at);
        assert!(pending_now(&mut d), "a fired deadline stays quiet");
        // The session may report the same (past) deadline again: it must fire again.
        d.set(Some(at));
        fire(&mut d);
        d.set(None);
        assert!(pending_now(&mut d));
    }

    #[test]
    fn moving_the_deadline_replaces_the_old_one() {
        let mut d = Deadline::new();
        let start = Instant::now();
        d.set(Some(start + Duration::from_secs(3600)));
        assert!(pending_now(&mut d));
        d.set(Some(start + Duration::from_millis(10)));
        fire(&mut d);
        assert!(start.elapsed() < Duration::from_secs(60));
    }
}
