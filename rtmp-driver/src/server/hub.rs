//! The fan-out: the relay [`Registry`] of `rtmp-proto` shared by all connection tasks, and
//! one bounded queue per player.
//!
//! Every decision comes from `rtmp_proto::relay`: who may publish, what a late joiner
//! receives, and for each frame and player whether to send, skip or disconnect
//! ([`PlayerPolicy::offer`]). This module only moves [`Frame`]s (reference-counted: every
//! player gets a clone of the same `Bytes`) and wakes tasks.
//!
//! The publisher's task runs `offer` for every player right when a frame arrives, with the
//! player's backlog = frames queued here + what its session and socket batch still hold
//! (published by the player's task after each write). Frames the policy accepts go into the
//! player's queue; the player's task moves them into its session. So a player's queue is
//! bounded by the policy's hard limit, the publisher never waits, and a slow player only
//! loses its own frames or its own connection.
//!
//! When a run of frames leaves work for a player, the publisher's task first tries to
//! deliver it itself ([`ConnLink::wake`]): through the player's [`Deliver`] hook it moves the
//! frames into the player's session and writes them to the player's socket, as nginx-rtmp
//! does from its publisher's event. Only when that cannot be done at once (the player's task
//! holds its state, the socket is full, the player lags or its stream ended) is the player's
//! task woken to do it. A task wake-up and a poll of the player's whole wait cost more than
//! the write itself, and a relayed frame costs one of them per player.
//!
//! Locks: the registry mutex, then (never the other way round) a player's mutex. Both are
//! held only for a few non-blocking calls. A player's connection state is only ever
//! `try_lock`ed from here, never waited for.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Instant;

use rtmp_proto::chunk::EncodedMessage;
use rtmp_proto::relay::{
    ConnId, Counters, Encodings, Frame, Join, LagReason, PlayerPolicy, PlayerRef, Registry,
    RelayConfig, StreamKey, Verdict, stream_not_found,
};
use rtmp_proto::session::{Droppable, Rejection, ServerSession, StreamId};

use super::budget::{Budget, Holding};
use crate::sync::Signal;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Registry and queues stay consistent between calls (every call completes its update
    // before returning), so a panic elsewhere does not make them unusable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What one connection task shares with the others: its wake-up signal, whether the relay
/// took its publish away (duplicate publish with `Replace`), and how a publisher can deliver
/// frames to it directly.
pub struct ConnLink {
    pub signal: Arc<Signal>,
    pub kicked: AtomicBool,
    /// What it holds against the server's memory budget.
    pub(crate) holding: Holding,
    /// Set once by the driver when the connection's state is reachable from other tasks.
    direct: OnceLock<Weak<dyn Deliver>>,
}

impl std::fmt::Debug for ConnLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnLink")
            .field("signal", &self.signal)
            .field("kicked", &self.kicked)
            .field("direct", &self.direct.get().is_some())
            .finish()
    }
}

/// Delivery of queued frames by another task (the publisher's), without waiting.
pub trait Deliver: Send + Sync {
    /// Moves what the fan-out queued for this connection's players into its session and
    /// writes it out. `false` when that could not be finished at once (the state is busy,
    /// output is left over, or the case needs the connection's own task): the caller then
    /// wakes the task.
    fn try_deliver(&self) -> bool;

    /// Writes output held for a merged write (see `ServerBuilder::write_merge`) now.
    /// `false` when that could not be finished at once: the caller then wakes the task.
    fn flush(&self) -> bool;
}

impl ConnLink {
    /// Lets publishers deliver to this connection through `direct` (see the module docs).
    /// Only the first call has an effect.
    pub fn set_direct(&self, direct: Weak<dyn Deliver>) {
        let _ = self.direct.set(direct);
    }

    /// There is work for this connection: done here if the direct path can, else by waking
    /// its task.
    ///
    /// The direct path runs this player's session code in the publisher's task. A bug there
    /// that panics must cost what it cost when only the player's task ran it, that player's
    /// connection, not the publisher's: the panic is caught here and the player's task is
    /// woken to meet it in its own context.
    pub fn wake(&self) {
        self.direct_or_wake(|d| d.try_deliver());
    }

    /// Held output of this connection is due: written here if the direct path can, else
    /// by waking its task.
    pub fn flush(&self) {
        self.direct_or_wake(|d| d.flush());
    }

    fn direct_or_wake(&self, direct: impl FnOnce(&dyn Deliver) -> bool) {
        let done = self.direct.get().and_then(Weak::upgrade).is_some_and(|d| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| direct(&*d))).unwrap_or(false)
        });
        if !done {
            self.signal.raise();
        }
    }
}

/// A publisher's reusable state for handing frames to the fan-out, so a run of frames
/// costs no allocation: the players it reaches and the run's shared encodings.
#[derive(Debug, Default)]
pub struct Fanout {
    players: Vec<Arc<PlayerSlot>>,
    encodings: Encodings,
}

/// A frame in a player's queue.
#[derive(Debug)]
enum Queued {
    /// A live frame chunked once for every player of its group.
    Shared(EncodedMessage, Droppable),
    /// A frame for this player alone (its join burst, its resume after a pause), with its
    /// timestamp: chunked by its session.
    Own(Frame, Droppable, u32),
}

impl Queued {
    fn len(&self) -> usize {
        match self {
            Queued::Shared(e, _) => e.message().payload.len(),
            Queued::Own(f, ..) => f.len(),
        }
    }
}

/// One player: its policy and queue, filled by publishers, drained by its own task.
#[derive(Debug)]
pub struct PlayerSlot {
    link: Arc<ConnLink>,
    /// Its message stream and its session's chunk size: which encodings it can share.
    stream: StreamId,
    chunk_size: u32,
    /// Bytes its session and socket batch still hold, as last reported by its task.
    out_backlog: AtomicUsize,
    state: Mutex<PlayerState>,
}

#[derive(Debug)]
struct PlayerState {
    policy: PlayerPolicy,
    /// Frames to send, in order.
    queue: VecDeque<Queued>,
    /// When this player must look at the registry again: the end of its bounded wait for
    /// a publisher, or of the grace its stream is held for after the publisher left.
    deadline: Option<Instant>,
    queued_bytes: usize,
    /// The publisher left: end the stream once the queue is drained.
    ended: bool,
    disconnect: Option<LagReason>,
    /// A lag event happened: discard droppable frames already in the session.
    shed: bool,
    lag_events: u64,
}

impl PlayerState {
    /// Hands every queued frame to the session, in order.
    fn move_queue(&mut self, session: &mut ServerSession, stream: StreamId) {
        while let Some(queued) = self.queue.pop_front() {
            self.queued_bytes = self.queued_bytes.saturating_sub(queued.len());
            let sent = match queued {
                Queued::Shared(encoded, droppable) => session.send_encoded(&encoded, droppable),
                Queued::Own(frame, droppable, ts) => {
                    frame.send_to_at(session, stream, droppable, ts)
                }
            };
            if let Err(e) = sent {
                // Paused by the peer in the meantime, or the session's own byte cap: the
                // frame is lost for this player only.
                tracing::debug!(error = %e, "frame not queued");
            }
        }
    }

    /// The policy's verdict on frame `index` of a run, applied (a frame sent is queued as
    /// its group's shared chunks from `encodings`); whether the player's task has work.
    fn offer_one(
        &mut self,
        now: Instant,
        (index, frame): (usize, &Frame),
        out_backlog: usize,
        (stream, chunk_size): (StreamId, u32),
        encodings: &mut Encodings,
    ) -> bool {
        let backlog = self.queued_bytes.saturating_add(out_backlog);
        let verdict = self.policy.offer(now, frame, backlog);
        let lag_events = self.policy.stats().lag_events;
        if lag_events != self.lag_events {
            self.lag_events = lag_events;
            self.shed = true;
        }
        match verdict {
            Verdict::Send(d) => {
                self.queued_bytes = self.queued_bytes.saturating_add(frame.len());
                let ts = self.policy.timestamp(frame);
                let queued = match encodings.get(index, frame, stream, chunk_size, ts) {
                    Some(encoded) => Queued::Shared(encoded.clone(), d),
                    None => Queued::Own(frame.clone(), d, ts),
                };
                self.queue.push_back(queued);
                true
            }
            // A new publisher's codec this player cannot follow: its stream ends.
            Verdict::EndStream => {
                self.ended = true;
                self.queue.clear();
                self.queued_bytes = 0;
                true
            }
            Verdict::Skip => false,
            Verdict::Disconnect(why) => {
                self.disconnect = Some(why);
                self.queue.clear();
                self.queued_bytes = 0;
                true
            }
            // A verdict this adapter does not know yet: do not send.
            _ => false,
        }
    }
}

/// What the player's task must do after draining.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// Keep playing.
    Playing { shed: bool },
    /// The stream ended: send `end_stream`.
    Ended,
    /// Too slow: close the connection.
    Disconnect(LagReason),
}

impl PlayerSlot {
    fn new(
        link: Arc<ConnLink>,
        (stream, chunk_size): (StreamId, u32),
        policy: PlayerPolicy,
        initial: Vec<Frame>,
        deadline: Option<Instant>,
    ) -> Arc<Self> {
        let queued_bytes = initial.iter().map(Frame::len).sum();
        let queue = initial
            .into_iter()
            .map(|f| {
                let ts = policy.timestamp(&f);
                Queued::Own(f, Droppable::No, ts)
            })
            .collect();
        Arc::new(PlayerSlot {
            link,
            stream,
            chunk_size,
            out_backlog: AtomicUsize::new(0),
            state: Mutex::new(PlayerState {
                policy,
                queue,
                queued_bytes,
                deadline,
                ended: false,
                disconnect: None,
                shed: false,
                lag_events: 0,
            }),
        })
    }

    /// Runs the policy for each live frame of one publisher read and queues those accepted:
    /// one lock and at most one wake for the whole run, however many frames it holds.
    fn offer(&self, now: Instant, frames: &[Frame], encodings: &mut Encodings) {
        let mut s = lock(&self.state);
        let out_backlog = self.out_backlog.load(Ordering::Relaxed);
        let mut wake = false;
        let group = (self.stream, self.chunk_size);
        for frame in frames.iter().enumerate() {
            if s.ended || s.disconnect.is_some() {
                break;
            }
            wake |= s.offer_one(now, frame, out_backlog, group, encodings);
        }
        drop(s);
        if wake {
            self.link.wake();
        }
    }

    /// When the player's task must call [`Hub::expire`] for it, if ever.
    pub fn deadline(&self) -> Option<Instant> {
        lock(&self.state).deadline
    }

    fn set_deadline(&self, at: Option<Instant>) {
        lock(&self.state).deadline = at;
        // The task re-arms its timer in its next turn.
        self.link.signal.raise();
    }

    fn end(&self) {
        lock(&self.state).ended = true;
        self.link.signal.raise();
    }

    /// Moves queued frames into the player's session (called by the player's own task).
    pub fn drain(&self, session: &mut ServerSession, stream: StreamId) -> Drained {
        let mut s = lock(&self.state);
        if let Some(why) = s.disconnect {
            return Drained::Disconnect(why);
        }
        let shed = std::mem::take(&mut s.shed);
        s.move_queue(session, stream);
        if s.ended {
            Drained::Ended
        } else {
            Drained::Playing { shed }
        }
    }

    /// [`drain`](Self::drain) for another task: only the routine case (keep playing, no
    /// lag event to act on). `false`, with nothing moved, leaves the rest to the player's
    /// own task, which logs and acts in its own context.
    pub fn drain_routine(&self, session: &mut ServerSession, stream: StreamId) -> bool {
        let mut s = lock(&self.state);
        if s.disconnect.is_some() || s.ended || s.shed {
            return false;
        }
        s.move_queue(session, stream);
        true
    }

    /// Records what the player's session and socket batch still hold.
    pub fn report_backlog(&self, bytes: usize) {
        self.out_backlog.store(bytes, Ordering::Relaxed);
    }
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    players: HashMap<PlayerRef, Arc<PlayerSlot>>,
    links: HashMap<ConnId, Arc<ConnLink>>,
}

impl Inner {
    fn end_players(&mut self, players: Vec<PlayerRef>) {
        for p in players {
            if let Some(slot) = self.players.remove(&p) {
                let stats = lock(&slot.state).policy.take_stats();
                self.registry.add_player_stats(&stats);
                slot.end();
            }
        }
    }

    /// When the registry holds `key`'s players for a new publisher, each looks again at
    /// the end of the grace period.
    fn hold_players(&mut self, key: &StreamKey) {
        let Some(until) = self.registry.held_until(key) else {
            return;
        };
        let players: Vec<PlayerRef> = self.registry.players(key).collect();
        tracing::info!(stream = %key, players = players.len(), grace_ms = ?until
            .saturating_duration_since(Instant::now()).as_millis(),
            "publisher gone: players held for a new one");
        for p in players {
            if let Some(slot) = self.players.get(&p) {
                slot.set_deadline(Some(until));
            }
        }
    }

    fn drop_player(&mut self, p: &PlayerRef) {
        if let Some(slot) = self.players.remove(p) {
            let stats = lock(&slot.state).policy.take_stats();
            self.registry.add_player_stats(&stats);
        }
    }
}

/// The shared relay state of one server.
#[derive(Debug)]
pub struct Hub {
    inner: Mutex<Inner>,
    budget: Budget,
}

impl Hub {
    /// A hub with the relay policy `config` and `budget` bytes for what peers make the
    /// server hold (see `budget.rs`).
    pub fn new(config: RelayConfig, budget: usize) -> Self {
        Hub {
            inner: Mutex::new(Inner {
                registry: Registry::new(config),
                players: HashMap::new(),
                links: HashMap::new(),
            }),
            budget: Budget::new(budget),
        }
    }

    /// A connection holds `bytes` for its peer now. When that takes the server over its
    /// budget, the connections holding the most are picked to close (woken to do so)
    /// until the rest fits.
    pub fn report_held(&self, link: &ConnLink, bytes: usize) {
        if !self.budget.report(&link.holding, bytes) {
            return;
        }
        let inner = lock(&self.inner);
        let mut holders: Vec<&Arc<ConnLink>> = inner
            .links
            .values()
            .filter(|l| !l.holding.is_evicted() && l.holding.held() > 0)
            .collect();
        holders.sort_by_key(|l| std::cmp::Reverse(l.holding.held()));
        for l in holders {
            if self.budget.over() == 0 {
                break;
            }
            if self.budget.evict(&l.holding) {
                tracing::warn!(
                    held = l.holding.held(),
                    total = self.budget.total(),
                    "server memory budget exceeded: closing the connection holding the most"
                );
                l.signal.raise();
            }
        }
    }

    /// Registers a new connection.
    pub fn open_connection(&self) -> (ConnId, Arc<ConnLink>) {
        let link = Arc::new(ConnLink {
            signal: Signal::new(),
            kicked: AtomicBool::new(false),
            holding: Holding::default(),
            direct: OnceLock::new(),
        });
        let mut inner = lock(&self.inner);
        let id = inner.registry.open_connection();
        inner.links.insert(id, link.clone());
        (id, link)
    }

    /// The connection ended, however it ended: frees its publish slots (their players get
    /// the end of stream) and forgets its players.
    pub fn close_connection(&self, conn: ConnId) {
        let mut inner = lock(&self.inner);
        let closed = inner.registry.close_connection(Instant::now(), conn);
        for ended in closed.unpublished {
            if !ended.players.is_empty() {
                tracing::info!(stream = %ended.key, players = ended.players.len(), "stream ended");
            }
            inner.end_players(ended.players);
            inner.hold_players(&ended.key);
        }
        let mine: Vec<PlayerRef> = inner
            .players
            .keys()
            .filter(|p| p.conn == conn)
            .copied()
            .collect();
        for p in mine {
            inner.drop_player(&p);
        }
        if let Some(link) = inner.links.remove(&conn) {
            self.budget.release(&link.holding);
        }
    }

    /// Claims the publish slot of `key`; on refusal, the rejection to send.
    pub fn publish(&self, key: &StreamKey, conn: ConnId) -> Result<(), Rejection> {
        let mut inner = lock(&self.inner);
        let grant = inner
            .registry
            .publish(key, conn)
            .map_err(|e| e.rejection())?;
        if let Some(old) = grant.displaced.filter(|old| *old != conn)
            && let Some(link) = inner.links.get(&old)
        {
            tracing::info!(stream = %key, displaced = old.0, "publisher replaced");
            link.kicked.store(true, Ordering::Release);
            link.signal.raise();
        }
        if !grant.resumed.is_empty() {
            tracing::info!(stream = %key, players = grant.resumed.len(),
                "publisher back within the grace period: players continue");
        }
        for p in &grant.resumed {
            if let Some(slot) = inner.players.get(p) {
                lock(&slot.state).policy.on_republish();
                slot.set_deadline(None);
            }
        }
        for p in &grant.started {
            if let Some(slot) = inner.players.get(p) {
                slot.set_deadline(None);
            }
        }
        Ok(())
    }

    /// `conn` stopped publishing `key`: its players get the end of stream.
    pub fn unpublish(&self, key: &StreamKey, conn: ConnId) {
        let mut inner = lock(&self.inner);
        let players = inner.registry.unpublish(Instant::now(), key, conn);
        if !players.is_empty() {
            tracing::info!(stream = %key, players = players.len(), "stream ended");
        }
        inner.end_players(players);
        inner.hold_players(key);
    }

    /// What is overdue for `player` on `key` at `now` (its bounded wait, or its stream's
    /// grace after the publisher left) ends; see `Registry::expire`.
    pub fn expire(&self, now: Instant, key: &StreamKey, player: PlayerRef) {
        let mut inner = lock(&self.inner);
        let ended = inner.registry.expire(now, key, player);
        if !ended.is_empty() {
            tracing::info!(stream = %key, players = ended.len(),
                "stream ended: nobody published it in time");
        }
        inner.end_players(ended);
        if let Some(slot) = inner.players.get(&player) {
            // Still here (the deadline moved, or was for another reason): look again then.
            let at = inner.registry.held_until(key);
            lock(&slot.state).deadline = at;
        }
    }

    /// A frame from the publisher of `key`: cache it and offer it to every player.
    #[cfg(test)]
    /// `scratch` is the caller's reusable list, so a frame costs no allocation here.
    pub fn ingest(&self, key: &StreamKey, conn: ConnId, frame: &Frame, scratch: &mut Fanout) {
        self.ingest_all(key, conn, std::slice::from_ref(frame), scratch);
    }

    /// The frames of one publisher read, in order: cached, then offered to every player
    /// with one registry lock for the run and one lock and at most one wake per player
    /// (instead of one of each per frame). The policy still decides frame by frame.
    pub fn ingest_all(
        &self,
        key: &StreamKey,
        conn: ConnId,
        frames: &[Frame],
        scratch: &mut Fanout,
    ) {
        let Fanout { players, encodings } = scratch;
        players.clear();
        encodings.clear();
        if frames.is_empty() {
            return;
        }
        {
            let mut inner = lock(&self.inner);
            for frame in frames {
                if inner.registry.ingest(key, conn, frame).is_err() {
                    // Late frames of a replaced publisher: the whole run is theirs.
                    return;
                }
            }
            let Inner {
                registry,
                players: slots,
                ..
            } = &*inner;
            players.extend(registry.players(key).filter_map(|p| slots.get(&p).cloned()));
        }
        let now = Instant::now();
        for slot in players.iter() {
            slot.offer(now, frames, encodings);
        }
        players.clear();
        encodings.clear();
    }

    /// Under a write-merge window: the players of `key` write what they hold now.
    pub fn flush_players(&self, key: &StreamKey) {
        let links: Vec<Arc<ConnLink>> = {
            let inner = lock(&self.inner);
            inner
                .registry
                .players(key)
                .filter_map(|p| inner.players.get(&p).map(|slot| slot.link.clone()))
                .collect()
        };
        for link in links {
            link.flush();
        }
    }

    /// A player asks for `key`: its slot, with the late-joiner burst already queued.
    /// `chunk_size`: what its session cuts media at (`ServerSession::chunk_size`).
    pub fn join(
        &self,
        key: &StreamKey,
        player: PlayerRef,
        chunk_size: u32,
        link: &Arc<ConnLink>,
    ) -> Result<Arc<PlayerSlot>, Rejection> {
        let mut inner = lock(&self.inner);
        let group = (player.stream, chunk_size);
        let slot = match inner.registry.join(Instant::now(), key, player) {
            Join::Live { initial, policy } => {
                PlayerSlot::new(link.clone(), group, policy, initial, None)
            }
            Join::Waiting { policy, until } => {
                PlayerSlot::new(link.clone(), group, policy, Vec::new(), until)
            }
            Join::NotFound => return Err(stream_not_found(key)),
            Join::TooManyWaiting => {
                return Err(Rejection::new(format!(
                    "{key} is not live and too many players wait for it"
                )));
            }
            // A join outcome this adapter does not know yet.
            _ => return Err(stream_not_found(key)),
        };
        inner.drop_player(&player);
        inner.players.insert(player, slot.clone());
        Ok(slot)
    }

    /// The player stopped.
    pub fn leave(&self, key: &StreamKey, player: PlayerRef) {
        let mut inner = lock(&self.inner);
        inner.registry.leave(key, player);
        inner.drop_player(&player);
    }

    /// Pause or resume: on resume the policy says what to resend from the cache.
    pub fn pause(&self, key: &StreamKey, slot: &PlayerSlot, paused: bool) {
        let inner = lock(&self.inner);
        let mut s = lock(&slot.state);
        if paused {
            s.policy.pause();
            return;
        }
        let Some(cache) = inner.registry.cache(key) else {
            // Not live any more: nothing to resend, the end of stream is on its way.
            return;
        };
        for frame in s.policy.unpause(cache) {
            s.queued_bytes = s.queued_bytes.saturating_add(frame.len());
            let ts = s.policy.timestamp(&frame);
            s.queue.push_back(Queued::Own(frame, Droppable::No, ts));
        }
        drop(s);
        slot.link.signal.raise();
    }

    /// Wakes every connection's task (the server is shutting down: each sees it in its
    /// next turn).
    pub fn wake_all(&self) {
        let links: Vec<Arc<ConnLink>> = lock(&self.inner).links.values().cloned().collect();
        for link in links {
            link.signal.raise();
        }
    }

    /// Relay counters, with every player's latest stats folded in.
    pub fn stats(&self) -> Counters {
        let mut inner = lock(&self.inner);
        let Inner {
            registry, players, ..
        } = &mut *inner;
        for slot in players.values() {
            let stats = lock(&slot.state).policy.take_stats();
            registry.add_player_stats(&stats);
        }
        *registry.counters()
    }
}

#[cfg(test)]
mod tests;
