//! [`Subscriber`]: a stream's frames in the application's own code, through the same
//! GOP cache, late-join burst, lag policy, waiting and publisher grace as a network player,
//! without a connection to the server itself. HTTP-FLV players are built on it.
//!
//! A subscriber is a player whose "session" is a queue of frames: the publisher's task
//! offers each run to its [`PlayerPolicy`] and queues what the policy sends (a `Frame`
//! clone: a reference, no copy), and [`Subscriber::next`] takes them out. A subscriber
//! that does not keep up loses inter frames to the next keyframe and then its
//! subscription, like a slow network player; it never slows the publisher.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Instant;

use rtmp_proto::relay::{
    ConnId, Encodings, Frame, LagReason, PlayerPolicy, PlayerRef, PlayerStats, StreamKey, Verdict,
};
use rtmp_proto::session::{Droppable, Rejection, StreamId};

use super::hooks::BoxFuture;
use super::hub::Joined;
use super::link::{ConnLink, Deliver, Work, lock};
use super::shared::Shared;

/// The address subscribers are registered with (they have no peer).
pub const IN_PROCESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED), 0);

/// One frame for a subscriber, with the timestamp its timeline gives it (continuous across
/// a publisher's reconnect, like a network player's).
#[derive(Debug, Clone)]
pub struct Subscribed {
    /// The frame (shared with every other player: a reference, no copy).
    pub frame: Frame,
    /// Milliseconds on this subscriber's timeline.
    pub timestamp: u32,
}

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

#[derive(Debug)]
struct State {
    policy: PlayerPolicy,
    queue: VecDeque<(Subscribed, Droppable)>,
    bytes: usize,
    lag_events: u64,
    end: Option<SubscriptionEnd>,
}

impl State {
    fn offer(&mut self, now: Instant, frame: &Frame) -> u64 {
        if self.end.is_some() {
            return 0;
        }
        let verdict = self.policy.offer(now, frame, self.bytes);
        let lag_events = self.policy.stats().lag_events;
        if lag_events != self.lag_events {
            self.lag_events = lag_events;
            // Resumes at a keyframe: what is queued of the current GOP is useless.
            let before = self.queue.len();
            self.queue.retain(|(_, d)| *d == Droppable::No);
            self.bytes = self.queue.iter().map(|(s, _)| s.frame.len()).sum();
            tracing::debug!(
                dropped = before - self.queue.len(),
                "subscriber lagging: frames dropped until the next keyframe"
            );
        }
        match verdict {
            Verdict::Send(d) => {
                let timestamp = self.policy.timestamp(frame);
                self.bytes += frame.len();
                let s = Subscribed {
                    frame: frame.clone(),
                    timestamp,
                };
                self.queue.push_back((s, d));
                frame.len() as u64
            }
            Verdict::EndStream => {
                self.end = Some(SubscriptionEnd::StreamEnded);
                0
            }
            Verdict::Disconnect(why) => {
                self.end = Some(SubscriptionEnd::TooSlow(why));
                self.queue.clear();
                self.bytes = 0;
                0
            }
            _ => 0,
        }
    }
}

/// The subscriber's side the fan-out delivers to.
#[derive(Debug)]
struct Sink {
    key: StreamKey,
    link: Arc<ConnLink>,
    shared: Arc<Shared>,
    state: Mutex<State>,
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
        let sent = frames.iter().map(|f| s.offer(now, f)).sum();
        let queued = s.bytes;
        drop(s);
        self.report(queued);
        self.link.signal.raise();
        Some(sent)
    }

    fn flush(&self) -> bool {
        true
    }

    fn take_stats(&self, into: &mut Vec<(StreamKey, PlayerStats)>) {
        into.push((self.key.clone(), lock(&self.state).policy.take_stats()));
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
        let policy = playback.into_policy();
        let lag_events = policy.stats().lag_events;
        let mut state = State {
            policy,
            queue: VecDeque::new(),
            bytes: 0,
            lag_events,
            end: None,
        };
        for frame in initial {
            let timestamp = state.policy.timestamp(&frame);
            state.bytes += frame.len();
            state
                .queue
                .push_back((Subscribed { frame, timestamp }, Droppable::No));
        }
        let sink = Arc::new(Sink {
            key,
            link: link.clone(),
            shared: shared.clone(),
            state: Mutex::new(state),
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

    /// The stream subscribed to.
    pub fn key(&self) -> &StreamKey {
        &self.sink.key
    }

    /// The next frame, waiting for it; `Err` once the subscription ended (and everything
    /// before that was taken).
    pub async fn next(&mut self) -> Result<Subscribed, SubscriptionEnd> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// [`next`](Self::next) as a poll: ready with the next frame or the end; otherwise
    /// registers `cx` to be woken.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<Subscribed, SubscriptionEnd>> {
        loop {
            self.take_work();
            {
                let mut s = lock(&self.sink.state);
                if self.sink.link.holding.is_evicted() && s.end.is_none() {
                    s.end = Some(SubscriptionEnd::OverBudget);
                    s.queue.clear();
                    s.bytes = 0;
                }
                if let Some((sub, _)) = s.queue.pop_front() {
                    s.bytes = s.bytes.saturating_sub(sub.frame.len());
                    let queued = s.bytes;
                    drop(s);
                    self.sink.report(queued);
                    return Poll::Ready(Ok(sub));
                }
                if let Some(end) = s.end {
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
        }
        for (_, work) in queued.items {
            match work {
                Work::Frame(f) => {
                    s.offer(now, &f);
                }
                Work::Ended => {
                    s.end.get_or_insert(SubscriptionEnd::StreamEnded);
                }
                Work::Republished => {
                    s.policy.on_republish();
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
        let stats = lock(&self.sink.state).policy.take_stats();
        let player = PlayerRef {
            conn: self.id,
            stream: StreamId(1),
        };
        self.shared.hub.leave(&self.sink.key, player, &stats);
        self.shared.hub.close_connection(self.id);
    }
}
