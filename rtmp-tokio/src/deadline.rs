//! The session's next deadline as one timer kept across loop iterations.
//!
//! A connection loop asks `poll_timeout()` after every wake-up, and the answer rarely
//! changes. A fresh `tokio::time::sleep_until` per wake-up registers an entry in the
//! runtime's timer wheel and removes it again when the `select!` drops it: with hundreds of
//! players woken for every relayed frame that is a timer-wheel insert and removal per frame
//! per player. Keeping one `Sleep` and resetting it only when the deadline moves takes that
//! out of the hot path.

use std::future::poll_fn;
use std::pin::Pin;
use std::task::Poll;
use std::time::Instant;

use tokio::time::Sleep;

#[derive(Debug)]
pub(crate) struct Deadline {
    /// Created at the first armed deadline, then only reset.
    sleep: Option<Pin<Box<Sleep>>>,
    at: Option<Instant>,
}

impl Deadline {
    pub(crate) fn new() -> Self {
        Deadline {
            sleep: None,
            at: None,
        }
    }

    /// Arms the timer for `at` (none: never fires), re-arming only on change.
    pub(crate) fn set(&mut self, at: Option<Instant>) {
        if at == self.at {
            return;
        }
        self.at = at;
        if let Some(t) = at {
            match &mut self.sleep {
                Some(sleep) => sleep.as_mut().reset(t.into()),
                None => self.sleep = Some(Box::pin(tokio::time::sleep_until(t.into()))),
            }
        }
    }

    /// Completes once the armed instant passes; pending forever while unarmed. After it
    /// completes the timer is unarmed until the next [`Deadline::set`] with a new instant.
    pub(crate) async fn wait(&mut self) {
        poll_fn(|cx| {
            let (Some(_), Some(sleep)) = (self.at, &mut self.sleep) else {
                return Poll::Pending;
            };
            match sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.at = None;
                    Poll::Ready(())
                }
                Poll::Pending => Poll::Pending,
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn fires_once_then_waits_for_a_new_deadline() {
        let mut d = Deadline::new();
        let soon = Instant::now() + Duration::from_millis(10);
        d.set(Some(soon));
        tokio::time::timeout(Duration::from_secs(1), d.wait())
            .await
            .expect("armed deadline fires");
        // Fired: quiet until set again.
        assert!(
            tokio::time::timeout(Duration::from_millis(100), d.wait())
                .await
                .is_err()
        );
        d.set(Some(Instant::now() + Duration::from_millis(5)));
        tokio::time::timeout(Duration::from_secs(1), d.wait())
            .await
            .expect("a new deadline fires");
    }

    #[tokio::test]
    async fn moved_deadline_fires_at_the_new_time() {
        let mut d = Deadline::new();
        let start = Instant::now();
        d.set(Some(start + Duration::from_secs(5)));
        d.set(Some(start + Duration::from_millis(20)));
        d.wait().await;
        let waited = Instant::now() - start;
        assert!(waited < Duration::from_secs(1), "waited {waited:?}");
        d.set(None);
        assert!(
            tokio::time::timeout(Duration::from_millis(100), d.wait())
                .await
                .is_err()
        );
    }
}
