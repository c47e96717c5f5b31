//! A bounded multi-producer, single-consumer mailbox woken through `std::task::Waker`.
//!
//! Connection tasks receive work from other tasks (an auth hook's answer, a shutdown
//! request). Built on `std` only so the same code serves the tokio and smol drivers.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

#[derive(Debug)]
struct Inner<T> {
    queue: VecDeque<T>,
    capacity: usize,
    waker: Option<Waker>,
    closed: bool,
}

/// The receiving side; clone [`Mailbox::sender`] for producers.
#[derive(Debug)]
pub struct Mailbox<T> {
    inner: Arc<Mutex<Inner<T>>>,
}

/// A producer handle.
#[derive(Debug)]
pub struct MailboxSender<T> {
    inner: Arc<Mutex<Inner<T>>>,
}

impl<T> Clone for MailboxSender<T> {
    fn clone(&self) -> Self {
        MailboxSender {
            inner: self.inner.clone(),
        }
    }
}

fn lock<T>(m: &Mutex<Inner<T>>) -> MutexGuard<'_, Inner<T>> {
    // A panic while holding this lock leaves only a queue of plain values behind, which is
    // still consistent: keep going rather than poison every connection.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<T> Mailbox<T> {
    /// A mailbox holding at most `capacity` messages.
    pub fn new(capacity: usize) -> Self {
        Mailbox {
            inner: Arc::new(Mutex::new(Inner {
                queue: VecDeque::new(),
                capacity,
                waker: None,
                closed: false,
            })),
        }
    }

    /// A producer handle; any number may exist.
    pub fn sender(&self) -> MailboxSender<T> {
        MailboxSender {
            inner: self.inner.clone(),
        }
    }

    /// Takes the next message without waiting.
    pub fn try_recv(&self) -> Option<T> {
        lock(&self.inner).queue.pop_front()
    }

    /// The next message, or `Pending` with the task registered to be woken by the next
    /// send.
    pub fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<T> {
        let mut inner = lock(&self.inner);
        match inner.queue.pop_front() {
            Some(item) => Poll::Ready(item),
            None => {
                inner.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Waits for the next message.
    pub async fn recv(&self) -> T {
        poll_fn(|cx| self.poll_recv(cx)).await
    }
}

impl<T> Drop for Mailbox<T> {
    fn drop(&mut self) {
        let mut inner = lock(&self.inner);
        inner.closed = true;
        inner.queue.clear();
    }
}

impl<T> MailboxSender<T> {
    /// Queues `item`; gives it back when the mailbox is full or its receiver is gone.
    pub fn try_send(&self, item: T) -> Result<(), T> {
        let mut inner = lock(&self.inner);
        if inner.closed || inner.queue.len() >= inner.capacity {
            return Err(item);
        }
        inner.queue.push_back(item);
        let waker = inner.waker.take();
        drop(inner);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_closed_on_drop() {
        let mb = Mailbox::new(2);
        let tx = mb.sender();
        assert!(tx.try_send(1).is_ok());
        assert!(tx.try_send(2).is_ok());
        assert_eq!(tx.try_send(3), Err(3));
        assert_eq!(mb.try_recv(), Some(1));
        drop(mb);
        assert_eq!(tx.try_send(4), Err(4));
    }

    #[tokio::test]
    async fn recv_wakes_on_send_from_another_task() {
        let mb = Mailbox::new(4);
        let tx = mb.sender();
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            tx.try_send(9).ok();
        });
        assert_eq!(mb.recv().await, 9);
    }
}
