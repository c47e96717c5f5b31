//! The latest [`ClientStatus`] of a publisher or player, shared between its task and its
//! handle: a mutex for the value and a [`Signal`] raised on state changes (what tokio's
//! `watch` channel does for the tokio adapter, without a dependency smol lacks).

use std::sync::{Arc, Mutex, MutexGuard};

use rtmp_driver::Signal;

use super::builder::ClientStatus;

#[derive(Debug)]
pub(crate) struct StatusCell {
    value: Mutex<ClientStatus>,
    changed: Arc<Signal>,
}

impl StatusCell {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(StatusCell {
            value: Mutex::new(ClientStatus::new()),
            changed: Signal::new(),
        })
    }

    /// The value; a poisoned lock still holds a usable status (it is plain data).
    pub(crate) fn lock(&self) -> MutexGuard<'_, ClientStatus> {
        self.value.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn get(&self) -> ClientStatus {
        self.lock().clone()
    }

    /// Changes the value and wakes a waiter when `notify`.
    pub(crate) fn modify(&self, notify: bool, f: impl FnOnce(&mut ClientStatus)) {
        f(&mut self.lock());
        if notify {
            self.changed.raise();
        }
    }

    /// Waits for the next notified change (one waiter at a time is woken; others rely on
    /// their own polling interval).
    pub(crate) async fn changed(&self) {
        self.changed.wait().await
    }
}
