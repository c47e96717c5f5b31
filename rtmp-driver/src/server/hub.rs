//! The fan-out: the relay [`Registry`] of `rtmp-proto` shared by all connection tasks.
//!
//! Every decision comes from `rtmp_proto::relay`: who may publish, what a late joiner
//! receives ([`Hub::join`]), and for each frame and player whether to send, skip or
//! disconnect (the player's [`Playback`], owned by its connection). This module only
//! finds a stream's players and hands them the frames.
//!
//! The path of a relayed frame: the publisher's task gathers the frames of one read, and
//! [`Hub::ingest_all`] caches them and, with the registry lock released, offers the run to
//! each player's connection state through its [`ConnLink`]: that player's `Playback`
//! decides, its session queues the run's shared encodings (each frame chunked once per
//! group of players, [`Encodings`]) and the same call writes them to its socket, as
//! nginx-rtmp does from its publisher's event. A player whose own task holds its state at
//! that moment gets the run queued on its link instead, and its task is woken. So the
//! publisher never waits, a player's queue has one owner (its session), and a slow player
//! only loses its own frames or its own connection.
//!
//! Locks, always in this order: a connection's state, the registry, a link's work queue.
//! The hub never takes a connection's state while it holds the registry.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rtmp_proto::amf::Value;
use rtmp_proto::relay::{
    ConnId, Counters, Encodings, Frame, Join, Playback, PlayerRef, PlayerStats, Registry,
    RelayConfig, StreamKey, StreamSnapshot, StreamStats, stream_not_found,
};
use rtmp_proto::session::{Rejection, ServerSession, StreamId};

use super::budget::Budget;
use super::cluster::{PushView, StreamSource};
use super::link::{ConnLink, Work, lock};
use super::subscriber::IN_PROCESS;
use crate::sync::Signal;

/// One published stream's reusable state for handing frames to the fan-out, so a run of
/// frames costs no allocation: the players it reaches and the run's shared encodings
/// (counted against the server's memory budget while players hold them). Made by
/// [`Hub::fanout`]; one per stream, not per connection (a connection may publish several).
#[derive(Debug)]
pub struct Fanout {
    /// The stream's players' links, kept between runs and collected again only when the
    /// registry's audience changed: collecting them for every run cost a map lookup and a
    /// reference-count bump (one cold cache line) per player and run.
    players: Vec<(StreamId, Arc<ConnLink>)>,
    /// The [`Registry::audience_version`] `players` was collected at.
    audience: Option<u64>,
    encodings: Encodings,
    /// Payload bytes the last run handed to players directly: the stream's output rate,
    /// added under the next run's lock.
    delivered: u64,
}

/// A player admitted by [`Hub::join`].
#[derive(Debug)]
pub struct Joined {
    /// Its policy, applied to its session.
    pub playback: Playback,
    /// What to queue right after `accept_play` ([`Playback::start`]): metadata, sequence
    /// headers and the cached GOP; empty while it waits for a publisher.
    pub initial: Vec<Frame>,
    /// When it must call [`Hub::expire`], if ever (the end of its wait for a publisher).
    pub deadline: Option<Instant>,
}

/// One live stream (or one held for a new publisher) with its figures, as
/// `ServerHandle::streams` reports it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StreamView {
    /// The stream.
    pub key: StreamKey,
    /// Its publisher's address (none while its players are held for a new one, or when
    /// it is published in-process).
    pub publisher: Option<SocketAddr>,
    /// Where it comes from.
    pub source: StreamSource,
    /// Where it is pushed to, with each push's state.
    pub pushes: Vec<PushView>,
    /// Players attached now.
    pub players: usize,
    /// Bytes in its GOP cache.
    pub gop_bytes: usize,
    /// Its figures.
    pub stats: StreamSnapshot,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    links: HashMap<ConnId, Arc<ConnLink>>,
    /// Figures of every stream that is live or held for a new publisher.
    streams: HashMap<StreamKey, StreamStats>,
    /// What the server's push and pull task must hear of, when it runs.
    news: Option<News>,
}

/// Streams the push and pull task has not looked at yet: each key at most once in each
/// list, so they are bounded by the streams that exist.
#[derive(Debug)]
struct News {
    /// Streams a player asked for while they were not live (an edge pulls them).
    demanded: Vec<StreamKey>,
    /// Streams a publisher took (they are pushed on).
    published: Vec<StreamKey>,
    wake: Arc<Signal>,
}

/// What [`Hub::take_news`] hands the push and pull task.
#[derive(Debug, Default)]
pub struct ClusterNews {
    /// Streams a player asked for while they were not live.
    pub demanded: Vec<StreamKey>,
    /// Streams a publisher took.
    pub published: Vec<StreamKey>,
}

impl Inner {
    /// `key` is neither live nor held: its figures go (and with them its metric series).
    fn forget_if_gone(&mut self, key: &StreamKey) {
        if !self.registry.is_live(key) && self.registry.held_until(key).is_none() {
            self.streams.remove(key);
        }
    }

    fn notify(&self, players: &[PlayerRef], work: impl Fn() -> Work) {
        for p in players {
            if let Some(link) = self.links.get(&p.conn) {
                link.notify(p.stream, work());
            }
        }
    }

    /// When the registry holds `key`'s players for a new publisher, each looks again at
    /// the end of the grace period.
    fn hold_players(&self, key: &StreamKey) {
        let Some(until) = self.registry.held_until(key) else {
            return;
        };
        let players: Vec<PlayerRef> = self.registry.players(key).collect();
        tracing::info!(stream = %key, players = players.len(), grace_ms = ?until
            .saturating_duration_since(Instant::now()).as_millis(),
            "publisher gone: players held for a new one");
        self.notify(&players, || Work::Deadline(Some(until)));
    }
}

/// The shared relay state of one server.
#[derive(Debug)]
pub struct Hub {
    inner: Mutex<Inner>,
    budget: Arc<Budget>,
}

impl Hub {
    /// A hub with the relay policy `config` and `budget` bytes for what peers make the
    /// server hold (see `budget.rs`).
    pub fn new(config: RelayConfig, budget: usize) -> Self {
        Hub {
            inner: Mutex::new(Inner {
                registry: Registry::new(config),
                links: HashMap::new(),
                streams: HashMap::new(),
                news: None,
            }),
            budget: Arc::new(Budget::new(budget)),
        }
    }

    /// A publisher's fan-out state, its encodings counted against this hub's budget.
    pub fn fanout(&self) -> Fanout {
        let budget = self.budget.clone();
        Fanout {
            players: Vec::new(),
            audience: None,
            encodings: Encodings::with_wrap(Arc::new(move |wire| budget.track(wire))),
            delivered: 0,
        }
    }

    /// A connection holds `bytes` of input for its peer now. When that takes the server
    /// over its budget, connections are picked to close ([`Self::enforce_budget`]).
    pub fn report_held(&self, link: &ConnLink, bytes: usize) {
        if self.budget.report(&link.holding, bytes) {
            self.enforce_budget();
        }
    }

    /// Over the budget: the connections holding the most (input plus queued output) are
    /// picked to close (woken to do so) until the rest fits.
    fn enforce_budget(&self) {
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

    /// Registers a new connection from `peer`.
    pub fn open_connection(&self, peer: SocketAddr) -> (ConnId, Arc<ConnLink>) {
        let mut inner = lock(&self.inner);
        let limit = inner.registry.config().player_hard_bytes;
        let link = Arc::new(ConnLink::new(peer, limit));
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
            inner.notify(&ended.players, || Work::Ended);
            inner.hold_players(&ended.key);
            inner.forget_if_gone(&ended.key);
        }
        if let Some(link) = inner.links.remove(&conn) {
            self.budget.release(&link.holding);
            // A publisher's fan-out may hold the link until its next run: frames queued on
            // it must not wait for that.
            drop(link.take_work());
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
        // Queued before this publisher's first frame can be offered: applied first.
        inner.notify(&grant.resumed, || Work::Republished);
        inner.notify(&grant.started, || Work::Deadline(None));
        // A publisher back within the grace period continues the stream's figures.
        inner
            .streams
            .entry(key.clone())
            .or_insert_with(|| StreamStats::new(Instant::now()));
        if let Some(news) = &mut inner.news
            && !news.published.contains(key)
        {
            news.published.push(key.clone());
            news.wake.raise();
        }
        Ok(())
    }

    /// `conn` stopped publishing `key`: its players get the end of stream, or are held
    /// for a new publisher.
    pub fn unpublish(&self, key: &StreamKey, conn: ConnId) {
        let mut inner = lock(&self.inner);
        let players = inner.registry.unpublish(Instant::now(), key, conn);
        if !players.is_empty() {
            tracing::info!(stream = %key, players = players.len(), "stream ended");
        }
        inner.notify(&players, || Work::Ended);
        inner.hold_players(key);
        inner.forget_if_gone(key);
    }

    /// What is overdue for `player` on `key` at `now` (its bounded wait, or its stream's
    /// grace after the publisher left) ends (see `Registry::expire`); the players that
    /// ends are told. `player`'s next deadline, if it goes on.
    pub fn expire(&self, now: Instant, key: &StreamKey, player: PlayerRef) -> Option<Instant> {
        let mut inner = lock(&self.inner);
        let ended = inner.registry.expire(now, key, player);
        if !ended.is_empty() {
            tracing::info!(stream = %key, players = ended.len(),
                "stream ended: nobody published it in time");
        }
        inner.notify(&ended, || Work::Ended);
        inner.forget_if_gone(key);
        inner.registry.held_until(key)
    }

    /// The frames of one publisher read, in order: cached, then offered to every player
    /// (see the module docs) with one registry lock for the run and one delivery per
    /// player. Each player's policy still decides frame by frame.
    pub fn ingest_all(
        &self,
        key: &StreamKey,
        conn: ConnId,
        frames: &[Frame],
        scratch: &mut Fanout,
    ) {
        let Fanout {
            players,
            audience,
            encodings,
            delivered,
        } = scratch;
        if frames.is_empty() {
            return;
        }
        let now = Instant::now();
        {
            let mut inner = lock(&self.inner);
            let Inner {
                registry,
                links,
                streams,
                ..
            } = &mut *inner;
            let mut stats = streams.get_mut(key);
            if let Some(stats) = stats.as_deref_mut() {
                stats.on_delivered(now, std::mem::take(delivered));
            }
            for frame in frames {
                if registry.ingest(key, conn, frame).is_err() {
                    // Late frames of a replaced publisher: the whole run is theirs.
                    return;
                }
                if let Some(stats) = stats.as_deref_mut() {
                    stats.on_frame(now, frame);
                }
            }
            let version = registry.audience_version();
            if *audience != Some(version) {
                players.clear();
                players.extend(
                    registry
                        .players(key)
                        .filter_map(|p| links.get(&p.conn).map(|l| (p.stream, l.clone()))),
                );
                *audience = Some(version);
            }
        }
        for (stream, link) in players.iter() {
            *delivered += link.deliver(now, *stream, frames, encodings);
        }
        encodings.clear();
        // The run's encodings are held by players' queues now: counted once each.
        if self.budget.over() > 0 {
            self.enforce_budget();
        }
    }

    /// Under a write-merge window: the players of `key` write what they hold now.
    pub fn flush_players(&self, key: &StreamKey) {
        let links: Vec<Arc<ConnLink>> = {
            let inner = lock(&self.inner);
            inner
                .registry
                .players(key)
                .filter_map(|p| inner.links.get(&p.conn).cloned())
                .collect()
        };
        for link in links {
            link.flush();
        }
    }

    /// A player asks for `key`: its policy, and what to send it first.
    pub fn join(&self, key: &StreamKey, player: PlayerRef) -> Result<Joined, Rejection> {
        let mut inner = lock(&self.inner);
        let joined = match inner.registry.join(Instant::now(), key, player) {
            Join::Live { initial, policy } => Joined {
                playback: Playback::new(player.stream, policy),
                initial,
                deadline: None,
            },
            Join::Waiting { policy, until } => Joined {
                playback: Playback::new(player.stream, policy),
                initial: Vec::new(),
                deadline: until,
            },
            Join::NotFound => return Err(stream_not_found(key)),
            Join::TooManyWaiting => {
                return Err(Rejection::new(format!(
                    "{key} is not live and too many players wait for it"
                )));
            }
            // A join outcome this adapter does not know yet.
            _ => return Err(stream_not_found(key)),
        };
        // A player waits for a publisher (none yet, or one that left): an edge pulls.
        if !inner.registry.is_live(key)
            && let Some(news) = &mut inner.news
            && !news.demanded.contains(key)
        {
            news.demanded.push(key.clone());
            news.wake.raise();
        }
        Ok(joined)
    }

    /// The player stopped; `stats`: what its playback counted since it last reported.
    pub fn leave(&self, key: &StreamKey, player: PlayerRef, stats: &PlayerStats) {
        let mut inner = lock(&self.inner);
        inner.registry.leave(key, player);
        inner.registry.add_player_stats(stats);
        if let Some(s) = inner.streams.get_mut(key) {
            s.on_players(stats);
        }
    }

    /// The publisher of `key` sent `onMetaData` with these values: the stream's picture
    /// size and rate, as far as they say.
    pub fn on_metadata(&self, key: &StreamKey, values: &Value) {
        if let Some(s) = lock(&self.inner).streams.get_mut(key) {
            s.on_metadata(values);
        }
    }

    /// The player resumed after a pause: what the stream's cache has for it is queued to
    /// its session.
    pub fn unpause(&self, key: &StreamKey, playback: &mut Playback, session: &mut ServerSession) {
        let inner = lock(&self.inner);
        playback.unpause(inner.registry.cache(key), session);
    }

    /// From now on, plays of streams that are not live and publishes are noted for
    /// [`take_news`](Self::take_news), and `wake` is raised when there is news.
    pub fn watch(&self, wake: Arc<Signal>) {
        lock(&self.inner).news = Some(News {
            demanded: Vec::new(),
            published: Vec::new(),
            wake,
        });
    }

    /// What happened since the last call (see [`watch`](Self::watch)).
    pub fn take_news(&self) -> ClusterNews {
        match &mut lock(&self.inner).news {
            Some(news) => ClusterNews {
                demanded: std::mem::take(&mut news.demanded),
                published: std::mem::take(&mut news.published),
            },
            None => ClusterNews::default(),
        }
    }

    /// Players that watch `key` or wait for it.
    pub fn audience(&self, key: &StreamKey) -> usize {
        let inner = lock(&self.inner);
        inner.registry.players(key).count() + inner.registry.waiting(key).count()
    }

    /// Whether `key` has a publisher now.
    pub fn is_live(&self, key: &StreamKey) -> bool {
        lock(&self.inner).registry.is_live(key)
    }

    /// Wakes every connection's task (the server is shutting down: each sees it in its
    /// next turn).
    pub fn wake_all(&self) {
        for link in self.links() {
            link.signal.raise();
        }
    }

    fn links(&self) -> Vec<Arc<ConnLink>> {
        lock(&self.inner).links.values().cloned().collect()
    }

    /// Relay counters, with the latest stats of every player whose connection is not busy
    /// this instant folded in (a busy one's are counted at the next call or when it
    /// leaves).
    pub fn stats(&self) -> Counters {
        let inner = self.fold_player_stats();
        *inner.registry.counters()
    }

    /// Every stream that is live or held for a new publisher, with its figures (players'
    /// latest stats folded in as in [`stats`](Self::stats)).
    pub fn streams(&self) -> Vec<StreamView> {
        let now = Instant::now();
        let inner = self.fold_player_stats();
        let mut views: Vec<StreamView> = inner
            .streams
            .iter()
            .map(|(key, stats)| {
                let peer = inner
                    .registry
                    .publisher(key)
                    .and_then(|c| inner.links.get(&c))
                    .map(|l| l.peer());
                let source = match peer {
                    Some(IN_PROCESS) => StreamSource::InProcess,
                    Some(addr) => StreamSource::Peer(addr),
                    None => StreamSource::Nobody,
                };
                StreamView {
                    key: key.clone(),
                    publisher: peer.filter(|a| *a != IN_PROCESS),
                    source,
                    pushes: Vec::new(),
                    players: inner.registry.players(key).count(),
                    gop_bytes: inner.registry.cache(key).map_or(0, |c| c.gop_bytes()),
                    stats: stats.snapshot(now),
                }
            })
            .collect();
        views.sort_by_key(|v| v.key.to_string());
        views
    }

    /// Folds every free connection's players' latest stats into the counters and their
    /// streams' figures; the registry, locked, for reading them.
    fn fold_player_stats(&self) -> std::sync::MutexGuard<'_, Inner> {
        let mut taken: Vec<(StreamKey, PlayerStats)> = Vec::new();
        for link in self.links() {
            link.take_stats(&mut taken);
        }
        let mut inner = lock(&self.inner);
        for (key, stats) in &taken {
            inner.registry.add_player_stats(stats);
            if let Some(s) = inner.streams.get_mut(key) {
                s.on_players(stats);
            }
        }
        inner
    }
}

#[cfg(test)]
mod tests;
