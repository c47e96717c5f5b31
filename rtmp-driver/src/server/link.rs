//! [`ConnLink`]: how other tasks reach one connection: its wake-up signal, its state for
//! direct delivery, and the ordered work left for it when that state is busy.
//!
//! A player's queue has one owner: its connection's session. A publisher's task offers a
//! run of frames to the player's state directly ([`Deliver::offer`]: the player's
//! [`Playback`](rtmp_proto::relay::Playback) decides and its session queues, and the same
//! call writes to the socket). Only while the player's own task holds that state (one of
//! its turns, never across a wait) does the run go into the link's [`Work`] queue instead,
//! and the task is woken; whoever holds the state next takes that work first, so frames
//! and the hub's notices (end of stream, a new publisher, a deadline) keep their order.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Instant;

use rtmp_proto::relay::{Encodings, Frame, PlayerStats, StreamKey};
use rtmp_proto::session::StreamId;

use super::budget::Holding;
use crate::sync::Signal;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every holder completes its update before releasing, so a panic elsewhere does not
    // leave the data unusable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What the fan-out leaves for one of a connection's players, in order.
#[derive(Debug)]
pub enum Work {
    /// A live frame, offered to the player's policy when its state is taken.
    Frame(Frame),
    /// Its stream ended, or its wait for a publisher did: end it.
    Ended,
    /// A new publisher took over within the grace period (see
    /// `Playback::on_republish`); the player's deadline is over.
    Republished,
    /// When the player must look at the registry again (`None`: never).
    Deadline(Option<Instant>),
}

/// The work queued for a connection's players.
#[derive(Debug, Default)]
pub struct Queued {
    /// Work for each player, by its message stream, in order.
    pub items: VecDeque<(StreamId, Work)>,
    /// Frames were dropped because the queue reached its bound: the connection is too slow
    /// to take its state back, like a player over its hard limit.
    pub overflowed: bool,
    frame_bytes: usize,
}

/// Delivery to a connection's players by another task (a publisher's), without waiting.
pub trait Deliver: Send + Sync {
    /// Offers one run of live `frames` (with the run's shared `encodings`) to the player
    /// on `stream` and writes what it took; the payload bytes its policy sent. `None` when
    /// the connection's state is busy: nothing was taken, and the caller queues the run on
    /// the link.
    fn offer(
        &self,
        now: Instant,
        stream: StreamId,
        frames: &[Frame],
        encodings: &mut Encodings,
    ) -> Option<u64>;

    /// Writes output held for a merged write (see `ServerBuilder::write_merge`) now.
    /// `false` when that could not be done at once: the caller then wakes the task.
    fn flush(&self) -> bool;

    /// The connection's players' stats since the last call, by stream, added to `into`
    /// if its state is free now.
    fn take_stats(&self, into: &mut Vec<(StreamKey, PlayerStats)>);
}

/// How other tasks reach one connection; see the module docs.
pub struct ConnLink {
    /// The peer's address.
    peer: SocketAddr,
    /// Wakes the connection's task.
    pub signal: Arc<Signal>,
    /// The relay took its publish away (a duplicate publish with `Replace`).
    pub kicked: AtomicBool,
    /// What it holds against the server's memory budget.
    pub(crate) holding: Holding,
    /// Set once by the driver when the connection's state is reachable from other tasks.
    direct: OnceLock<Weak<dyn Deliver>>,
    queue: Mutex<Queued>,
    /// `queue` holds something: read, without the lock, by every delivery.
    has_work: AtomicBool,
    /// The frame bytes `queue` may hold: the relay's hard limit per player.
    queue_limit: usize,
}

impl std::fmt::Debug for ConnLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnLink")
            .field("signal", &self.signal)
            .field("kicked", &self.kicked)
            .field("direct", &self.direct.get().is_some())
            .field("has_work", &self.has_work)
            .finish_non_exhaustive()
    }
}

impl ConnLink {
    /// A link for a connection from `peer` whose work queue holds at most `queue_limit`
    /// frame bytes.
    pub(crate) fn new(peer: SocketAddr, queue_limit: usize) -> Self {
        ConnLink {
            peer,
            signal: Signal::new(),
            kicked: AtomicBool::new(false),
            holding: Holding::default(),
            direct: OnceLock::new(),
            queue: Mutex::new(Queued::default()),
            has_work: AtomicBool::new(false),
            queue_limit,
        }
    }

    /// Lets publishers deliver to this connection through `direct`. Only the first call
    /// has an effect.
    pub fn set_direct(&self, direct: Weak<dyn Deliver>) {
        let _ = self.direct.set(direct);
    }

    fn direct(&self) -> Option<Arc<dyn Deliver>> {
        self.direct.get().and_then(Weak::upgrade)
    }

    /// A run of live frames for the player on `stream`: delivered directly when the
    /// connection's state is free (the payload bytes sent), else queued and the task woken
    /// (0: counted when its task sends them).
    pub(crate) fn deliver(
        &self,
        now: Instant,
        stream: StreamId,
        frames: &[Frame],
        encodings: &mut Encodings,
    ) -> u64 {
        match self
            .direct()
            .and_then(|d| d.offer(now, stream, frames, encodings))
        {
            Some(sent) => sent,
            None => {
                self.push(frames.iter().map(|f| (stream, Work::Frame(f.clone()))));
                0
            }
        }
    }

    /// Tells the player on `stream` something, in order with its frames.
    pub(crate) fn notify(&self, stream: StreamId, work: Work) {
        self.push(std::iter::once((stream, work)));
    }

    fn push(&self, items: impl Iterator<Item = (StreamId, Work)>) {
        let mut q = lock(&self.queue);
        for (stream, work) in items {
            if let Work::Frame(f) = &work {
                if q.frame_bytes.saturating_add(f.len()) > self.queue_limit {
                    q.overflowed = true;
                    continue;
                }
                q.frame_bytes += f.len();
            }
            q.items.push_back((stream, work));
        }
        self.has_work.store(true, Ordering::Release);
        drop(q);
        self.signal.raise();
    }

    /// Takes the work queued for this connection; `None` (one atomic load) when there is
    /// none. Call while holding the connection's state, before anything newer.
    pub fn take_work(&self) -> Option<Queued> {
        if !self.has_work.load(Ordering::Acquire) {
            return None;
        }
        let mut q = lock(&self.queue);
        self.has_work.store(false, Ordering::Relaxed);
        Some(std::mem::take(&mut *q))
    }

    /// Held output of this connection is due: written here if the direct path can, else
    /// by waking its task.
    pub fn flush(&self) {
        if !self.direct().is_some_and(|d| d.flush()) {
            self.signal.raise();
        }
    }

    /// The peer's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Its players' stats since the last call, by stream, when its state is free.
    pub(crate) fn take_stats(&self, into: &mut Vec<(StreamKey, PlayerStats)>) {
        if let Some(d) = self.direct() {
            d.take_stats(into);
        }
    }
}
