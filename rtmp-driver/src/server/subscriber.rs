//! [`Subscriber`]: a stream's frames in the application's own code, through the same
//! GOP cache, late-join burst, lag policy, waiting and publisher grace as a network player,
//! without a connection to the server itself. HTTP-FLV players are built on it.
//!
//! A subscriber is a player whose "session" is a queue of frames (`relay::FrameQueue`, the
//! policy part, in `rtmp-proto`): the publisher's task offers each run to it, it queues
//! what the player's policy sends (a `Frame` clone: a reference, no copy), and
//! [`Subscriber::next`] takes them out. A subscriber
//! that does not keep up loses inter frames to the next keyframe and then its
//! subscription, like a slow network player; it never slows the publisher.

use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use rtmp_proto::relay::{
    ConnId, Encodings, Frame, FrameQueue, LagReason, PlayerRef, PlayerStats, QueueEnd, QueuedFrame,
    StreamKey,
};
use rtmp_proto::session::{Rejection, StreamId};

use super::hooks::BoxFuture;
use super::hub::Joined;
use super::link::{ConnLink, Deliver, Work, lock};
use super::shared::Shared;
use crate::sync::Signal;

/// The address subscribers are registered with (they have no peer).
pub const IN_PROCESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

/// Why a subscription ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubscriptionEnd {
    /// The stream ended (its publisher left and nobody took over in time, or a new
    /// publisher changed a codec).
    StreamEnded,
    /// The subscriber did not keep up.
    TooSlow(LagReason),
    /// The server's memory budget was exceeded and this subscriber held the most.
    OverBudget,
    /// The server is shutting down.
    Shutdown,
}

/// The queue and its policy ([`FrameQueue`]), and an end decided outside the policy.
#[derive(Debug)]
struct State {
    queue: FrameQueue,
    end: Option<SubscriptionEnd>,
}

impl State {
    /// The memory budget picked this subscriber: what is queued is let go and the
    /// subscription ends.
    fn evicted(&mut self) {
        if self.end.is_none() {
            self.end = Some(SubscriptionEnd::OverBudget);
            self.queue.clear();
        }
    }

    /// The end, once nothing is left to hand out: the policy's, or one of ours.
    fn end(&self) -> Option<SubscriptionEnd> {
        let policy = self.queue.end().map(|e| match e {
            QueueEnd::TooSlow(why) => SubscriptionEnd::TooSlow(why),
            _ => SubscriptionEnd::StreamEnded,
        });
        policy.or(self.end)
    }
}

/// The subscriber's side the fan-out delivers to.
#[derive(Debug)]
struct Sink {
    key: StreamKey,
    link: Arc<ConnLink>,
    shared: Arc<Shared>,
    state: Mutex<State>,
    /// Raised when the memory budget ends the subscription (see
    /// [`Subscriber::cut_on_eviction`]).
    cut: OnceLock<Arc<Signal>>,
}

impl Sink {
    /// Reports what the queue holds to the server's memory budget, which counts it like a
    /// connection's held bytes (and may pick this subscriber to end).
    fn report(&self, queued: usize) {
        if queued != self.link.holding.input() {
            self.shared.hub.report_held(&self.link, queued);
        }
    }
}

impl Deliver for Sink {
    fn offer(
        &self,
        now: Instant,
        _stream: StreamId,
        frames: &[Frame],
        _encodings: &mut Encodings,
    ) -> Option<u64> {
        let mut s = lock(&self.state);
        if self.link.holding.is_evicted() {
            // Picked by the memory budget. Its reader may be stalled and never look again
            // (an HTTP body is only polled when the socket takes more), so nothing more
            // is queued, what was queued is let go, and whoever serves it is told.
            s.evicted();
            drop(s);
            self.report(0);
            if let Some(cut) = self.cut.get() {
                cut.raise();
            }
            self.link.signal.raise();
            return Some(0);
        }
        let sent = frames.iter().map(|f| s.queue.offer(now, f)).sum();
        let queued = s.queue.bytes();
        drop(s);
        self.report(queued);
        self.link.signal.raise();
        Some(sent)
    }

    fn flush(&self) -> bool {
        true
    }

    fn take_stats(&self, into: &mut Vec<(StreamKey, PlayerStats)>) {
        into.push((self.key.clone(), lock(&self.state).queue.take_stats()));
    }
}

/// A stream's frames in your own code; see the module docs. Made by
/// `ServerHandle::subscribe`; dropping it leaves the stream.
pub struct Subscriber {
    shared: Arc<Shared>,
    id: ConnId,
    sink: Arc<Sink>,
    /// When to look at the registry again (a bounded wait, a publisher's grace).
    deadline: Option<Instant>,
    sleep: Option<(Instant, BoxFuture<()>)>,
}

impl std::fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscriber")
            .field("key", &self.sink.key)
            .field("id", &self.id)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl Subscriber {
    /// Joins `key` as an in-process player; refused like a network play would be.
    pub(crate) fn join(shared: Arc<Shared>, key: StreamKey) -> Result<Self, Rejection> {
        let (id, link) = shared.hub.open_connection(IN_PROCESS);
        let player = PlayerRef {
            conn: id,
            stream: StreamId(1),
        };
        let Joined {
            playback,
            initial,
            deadline,
        } = match shared.hub.join(&key, player) {
            Ok(joined) => joined,
            Err(why) => {
                shared.hub.close_connection(id);
                return Err(why);
            }
        };
        let state = State {
            queue: FrameQueue::new(playback.into_policy(), initial),
            end: None,
        };
        let sink = Arc::new(Sink {
            key,
            link: link.clone(),
            shared: shared.clone(),
            state: Mutex::new(state),
            cut: OnceLock::new(),
        });
        let direct: Arc<dyn Deliver> = sink.clone();
        let weak: Weak<dyn Deliver> = Arc::downgrade(&direct);
        link.set_direct(weak);
        Ok(Subscriber {
            shared,
            id,
            sink,
            deadline,
            sleep: None,
        })
    }

    /// Raises `cut` when the server's memory budget ends this subscription, from the
    /// publisher's task: a reader that waits on something else (an HTTP connection whose
    /// socket is full) learns it there, not only at its next [`next`](Self::next).
    /// Only the first call has an effect.
    pub(crate) fn cut_on_eviction(&self, cut: Arc<Signal>) {
        let _ = self.sink.cut.set(cut);
    }

    /// The stream subscribed to.
    pub fn key(&self) -> &StreamKey {
        &self.sink.key
    }

    /// Totals since it joined: frames handed over, frames dropped by the lag policy, lag
    /// events.
    pub fn stats(&self) -> PlayerStats {
        *lock(&self.sink.state).queue.stats()
    }

    /// The next frame, waiting for it; `Err` once the subscription ended (and everything
    /// before that was taken).
    pub async fn next(&mut self) -> Result<QueuedFrame, SubscriptionEnd> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// [`next`](Self::next) as a poll: ready with the next frame or the end; otherwise
    /// registers `cx` to be woken.
    pub fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<QueuedFrame, SubscriptionEnd>> {
        loop {
            self.take_work();
            {
                let mut s = lock(&self.sink.state);
                if self.sink.link.holding.is_evicted() && s.end().is_none() {
                    s.evicted();
                }
                if let Some(frame) = s.queue.pop() {
                    let queued = s.queue.bytes();
                    drop(s);
                    self.sink.report(queued);
                    return Poll::Ready(Ok(frame));
                }
                if let Some(end) = s.end() {
                    return Poll::Ready(Err(end));
                }
                if self.shared.is_stopping() {
                    s.end = Some(SubscriptionEnd::Shutdown);
                    continue;
                }
            }
            if self.poll_deadline(cx) {
                continue;
            }
            match self.sink.link.signal.poll_wait(cx) {
                Poll::Ready(()) => continue,
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// What the hub queued on the link: frames offered while the sink was busy (never,
    /// as it only ever locks briefly, but kept for the link's contract) and notices.
    fn take_work(&mut self) {
        let Some(queued) = self.sink.link.take_work() else {
            return;
        };
        let now = Instant::now();
        let mut s = lock(&self.sink.state);
        if queued.overflowed && s.end.is_none() {
            s.end = Some(SubscriptionEnd::TooSlow(LagReason::HardBytes));
            s.queue.clear();
        }
        for (_, work) in queued.items {
            match work {
                Work::Frame(f) => {
                    s.queue.offer(now, &f);
                }
                Work::Ended => {
                    s.end.get_or_insert(SubscriptionEnd::StreamEnded);
                }
                Work::Republished => {
                    s.queue.on_republish();
                    self.deadline = None;
                }
                Work::Deadline(at) => self.deadline = at,
            }
        }
    }

    /// Whether the deadline passed (the hub was asked what it means): look again.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(at) = self.deadline else {
            self.sleep = None;
            return false;
        };
        let now = Instant::now();
        if at <= now {
            let player = PlayerRef {
                conn: self.id,
                stream: StreamId(1),
            };
            self.deadline = self.shared.hub.expire(now, &self.sink.key, player);
            self.sleep = None;
            return true;
        }
        if self.sleep.as_ref().is_none_or(|(t, _)| *t != at) {
            self.sleep = self.shared.sleep_until(at).map(|f| (at, f));
        }
        if let Some((_, sleep)) = &mut self.sleep
            && Pin::new(sleep).poll(cx).is_ready()
        {
            self.sleep = None;
            return true;
        }
        false
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        let stats = lock(&self.sink.state).queue.take_stats();
        let player = PlayerRef {
            conn: self.id,
            stream: StreamId(1),
        };
        self.shared.hub.leave(&self.sink.key, player, &stats);
        self.shared.hub.close_connection(self.id);
    }
}
