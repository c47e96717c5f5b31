//! A wake-up flag for one task, raised from any thread: "something for you in the shared
//! stream state". Many raises before the task looks collapse into one wake, which is what a
//! fan-out wants (the player drains everything queued for it each time).

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// See the module docs.
#[derive(Debug, Default)]
pub struct Signal {
    raised: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

impl Signal {
    /// A lowered signal, shared.
    pub fn new() -> Arc<Self> {
        Arc::new(Signal::default())
    }

    /// Marks the flag and wakes the waiting task, if any.
    pub fn raise(&self) {
        if !self.raised.swap(true, Ordering::AcqRel) {
            let waker = self.waker.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(w) = waker {
                w.wake();
            }
        }
    }

    /// Lowers the flag; whether it was raised. For tests of who wakes whom.
    #[cfg(test)]
    pub(crate) fn lower(&self) -> bool {
        self.raised.swap(false, Ordering::AcqRel)
    }

    /// Ready (and lowered) when raised; otherwise registers the task to be woken by the
    /// next raise.
    pub fn poll_wait(&self, cx: &mut Context<'_>) -> Poll<()> {
        if self.raised.swap(false, Ordering::AcqRel) {
            return Poll::Ready(());
        }
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
        // Raised between the check and the registration: do not miss it.
        if self.raised.swap(false, Ordering::AcqRel) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Waits until raised, then lowers the flag.
    pub async fn wait(&self) {
        poll_fn(|cx| self.poll_wait(cx)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn raises_collapse_and_wake_the_waiter() {
        let s = Signal::new();
        s.raise();
        s.raise();
        s.wait().await;
        let s2 = s.clone();
        let t = tokio::spawn(async move { s2.wait().await });
        tokio::task::yield_now().await;
        s.raise();
        tokio::time::timeout(std::time::Duration::from_secs(1), t)
            .await
            .unwrap()
            .unwrap();
    }
}
