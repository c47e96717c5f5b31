//! The latest [`ClientStatus`] of a publisher or player, shared between its task and its
//! handles: what tokio's `watch` channel does for the tokio adapter, without a dependency
//! smol lacks. A version number counts notified changes; waiters park their wakers until
//! it moves.

use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use super::builder::ClientStatus;

#[derive(Debug)]
pub(crate) struct StatusCell {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) status: ClientStatus,
    version: u64,
    waiters: Vec<Waker>,
}

impl StatusCell {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(StatusCell {
            inner: Mutex::new(Inner {
                status: ClientStatus::new(),
                version: 0,
                waiters: Vec::new(),
            }),
        })
    }

    /// A poisoned lock still holds a usable status (it is plain data).
    fn inner(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self) -> ClientStatus {
        self.inner().status.clone()
    }

    /// The value and its version, read together.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&ClientStatus, u64) -> R) -> R {
        let inner = self.inner();
        f(&inner.status, inner.version)
    }

    /// Changes the value; with `notify`, bumps the version and wakes every waiter
    /// (counters change with every frame and are stored without waking anyone).
    pub(crate) fn modify(&self, notify: bool, f: impl FnOnce(&mut ClientStatus)) {
        let waiters = {
            let mut inner = self.inner();
            f(&mut inner.status);
            if !notify {
                return;
            }
            inner.version = inner.version.wrapping_add(1);
            std::mem::take(&mut inner.waiters)
        };
        for w in waiters {
            w.wake();
        }
    }

    /// Waits until the version differs from `seen`; returns the new version.
    pub(crate) async fn changed_since(&self, seen: u64) -> u64 {
        poll_fn(|cx| {
            let mut inner = self.inner();
            if inner.version != seen {
                return Poll::Ready(inner.version);
            }
            if !inner.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                inner.waiters.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }
}

/// A receiver of status changes of a [`Publisher`](super::Publisher) or
/// [`Player`](super::Player) (what `subscribe` returns in the tokio adapter as a `watch`
/// receiver). Cloning it gives an independent receiver at the same point.
#[derive(Debug, Clone)]
pub struct StatusWatch {
    cell: Arc<StatusCell>,
    seen: u64,
}

impl StatusWatch {
    pub(crate) fn new(cell: Arc<StatusCell>) -> Self {
        let seen = cell.with(|_, v| v);
        StatusWatch { cell, seen }
    }

    /// The latest status (counters included), without marking it seen.
    pub fn get(&self) -> ClientStatus {
        self.cell.get()
    }

    /// The latest status, marked seen: [`changed`](Self::changed) then waits for the next
    /// state change.
    pub fn get_and_update(&mut self) -> ClientStatus {
        let (s, v) = self.cell.with(|s, v| (s.clone(), v));
        self.seen = v;
        s
    }

    /// Waits for a state change not seen yet. `false` once the publisher or player has
    /// finished and everything was seen (no change can come any more).
    pub async fn changed(&mut self) -> bool {
        let (finished, v) = self.cell.with(|s, v| (s.finished, v));
        if v == self.seen && finished {
            return false;
        }
        self.seen = self.cell.changed_since(self.seen).await;
        true
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rtmp_proto::client::ConnectionState;

    use super::*;

    #[test]
    fn every_watcher_sees_a_notified_change_and_counters_do_not_wake() {
        let cell = StatusCell::new();
        let mut a = StatusWatch::new(cell.clone());
        let mut b = a.clone();
        let waiter = |mut w: StatusWatch| {
            std::thread::spawn(move || smol::block_on(w.changed()).then(|| w.get_and_update()))
        };
        let (ta, tb) = (waiter(a.clone()), waiter(b.clone()));
        std::thread::sleep(Duration::from_millis(20));
        cell.modify(false, |s| s.counters.sent = 7);
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            !ta.is_finished() && !tb.is_finished(),
            "counters do not notify"
        );
        cell.modify(true, |s| s.state = ConnectionState::Publishing);
        for t in [ta, tb] {
            let s = t.join().unwrap().expect("a change");
            assert_eq!(s.state, ConnectionState::Publishing);
            assert_eq!(s.counters.sent, 7);
        }
        // Not yet seen by `a` itself: ready at once.
        assert!(smol::block_on(a.changed()));
        cell.modify(true, |s| s.finished = true);
        assert!(smol::block_on(b.changed()));
        b.get_and_update();
        assert!(!smol::block_on(b.changed()), "finished and all seen");
    }
}
