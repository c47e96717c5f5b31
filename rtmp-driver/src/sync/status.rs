//! The latest [`ClientStatus`] of a publisher or player, shared between its task and its
//! handles: a `watch` channel on `std` alone, so it is the same on every runtime. A version
//! number counts notified changes; waiters park their wakers until it moves.

use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Poll, Waker};

use crate::client::ClientStatus;

/// The status and who waits for its changes; see the module docs.
#[derive(Debug)]
pub struct StatusCell {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    status: ClientStatus,
    version: u64,
    waiters: Vec<Waker>,
}

impl StatusCell {
    /// A cell holding a fresh status.
    pub fn new() -> Arc<Self> {
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

    /// A copy of the latest status.
    pub fn get(&self) -> ClientStatus {
        self.inner().status.clone()
    }

    /// The value and its version, read together.
    pub fn with<R>(&self, f: impl FnOnce(&ClientStatus, u64) -> R) -> R {
        let inner = self.inner();
        f(&inner.status, inner.version)
    }

    /// Changes the value; with `notify`, bumps the version and wakes every waiter
    /// (counters change with every frame and are stored without waking anyone).
    pub fn modify(&self, notify: bool, f: impl FnOnce(&mut ClientStatus)) {
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
    pub async fn changed_since(&self, seen: u64) -> u64 {
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

/// A receiver of status changes of a [`Publisher`](crate::client::Publisher) or
/// [`Player`](crate::client::Player). Cloning it gives an independent receiver at the same point.
#[derive(Debug, Clone)]
pub struct StatusWatch {
    cell: Arc<StatusCell>,
    seen: u64,
}

impl StatusWatch {
    pub fn new(cell: Arc<StatusCell>) -> Self {
        let seen = cell.with(|_, v| v);
        StatusWatch { cell, seen }
    }

    /// The latest status (counters included), without marking it seen.
    /// A copy of the latest status.
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

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn every_watcher_sees_a_notified_change_and_counters_do_not_wake() {
        let cell = StatusCell::new();
        let mut a = StatusWatch::new(cell.clone());
        let mut b = a.clone();
        let waiter = |mut w: StatusWatch| {
            std::thread::spawn(move || block_on(w.changed()).then(|| w.get_and_update()))
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
        assert!(block_on(a.changed()));
        cell.modify(true, |s| s.finished = true);
        assert!(block_on(b.changed()));
        b.get_and_update();
        assert!(!block_on(b.changed()), "finished and all seen");
    }
}
