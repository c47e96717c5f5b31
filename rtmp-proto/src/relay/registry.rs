//! [`Registry`]: which streams are live, who publishes them, who plays them.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::time::Instant;

use super::cache::StreamCache;
use super::config::{DuplicatePublish, RelayConfig};
use super::counters::{Counters, PlayerStats};
use super::error::{NotPublisher, PublishRefused};
use super::frame::Frame;
use super::key::{ConnId, PlayerRef, StreamKey};
use super::player::PlayerPolicy;

/// A granted publish.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublishGrant {
    /// With [`DuplicatePublish::Replace`]: the publisher that lost the stream. The adapter
    /// stops it (close its connection, or end its publish); its frames are refused from now
    /// on ([`NotPublisher`]). May be the same connection publishing the name again.
    pub displaced: Option<ConnId>,
    /// Players that were waiting for this stream ([`Join::Waiting`]); live frames now reach
    /// them.
    pub started: Vec<PlayerRef>,
    /// Players held since the previous publisher went away, within
    /// [`RelayConfig::publisher_grace`]: they continue. Call
    /// [`PlayerPolicy::on_republish`] for each, so their timelines stay continuous and they
    /// resume at a keyframe.
    pub resumed: Vec<PlayerRef>,
}

/// The answer to a play ([`Registry::join`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum Join {
    /// The stream is live. `accept_play`, send `initial` in order (metadata, sequence
    /// headers, then the cached GOP starting at a keyframe) with [`Frame::send_to`] and
    /// `Droppable::No`, then offer live frames to `policy`.
    Live {
        /// What a joining player needs before live frames: metadata, sequence headers and
        /// the cached GOP.
        initial: Vec<Frame>,
        /// The player's policy, already told about `initial`.
        policy: PlayerPolicy,
    },
    /// Not live, and the config waits for publishers: `accept_play` now; live frames come
    /// once someone publishes (the player is in [`PublishGrant::started`]).
    Waiting {
        /// The player's policy; once the stream goes live, its video starts at the first
        /// keyframe.
        policy: PlayerPolicy,
        /// When the wait ends if nobody publishes ([`RelayConfig::max_play_wait`]): call
        /// [`Registry::expire`] then.
        until: Option<Instant>,
    },
    /// Not live: reject the play with [`stream_not_found`](super::stream_not_found).
    NotFound,
    /// Not live, and too many players wait already ([`RelayConfig::max_waiting`],
    /// [`RelayConfig::max_waiting_per_stream`]): reject the play.
    TooManyWaiting,
}

/// A stream whose publisher left.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Ended {
    /// The stream that is no longer live.
    pub key: StreamKey,
    /// Players to tell with `ServerSession::end_stream` (StreamEOF, `UnpublishNotify`,
    /// `Play.Stop`); they are no longer in the registry.
    pub players: Vec<PlayerRef>,
}

/// What closing a connection released.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionClosed {
    /// Streams it published, now free to be published again, with their players to end.
    pub unpublished: Vec<Ended>,
    /// Streams it played (or waited for).
    pub left: Vec<StreamKey>,
}

#[derive(Debug)]
struct Slot {
    publisher: Option<ConnId>,
    cache: StreamCache,
    players: BTreeSet<PlayerRef>,
    waiting: BTreeSet<PlayerRef>,
    /// The publisher went away: its players are held until then for a new one.
    held_until: Option<Instant>,
    /// Waiting players whose wait is bounded, with its end.
    wait_until: HashMap<PlayerRef, Instant>,
}

impl Slot {
    fn new(config: &RelayConfig) -> Self {
        Slot {
            publisher: None,
            cache: StreamCache::new(config),
            players: BTreeSet::new(),
            waiting: BTreeSet::new(),
            held_until: None,
            wait_until: HashMap::new(),
        }
    }

    fn is_unused(&self) -> bool {
        self.publisher.is_none() && self.players.is_empty() && self.waiting.is_empty()
    }

    fn remove_player(&mut self, player: &PlayerRef) -> bool {
        self.wait_until.remove(player);
        self.players.remove(player) | self.waiting.remove(player)
    }
}

/// Streams keyed by [`StreamKey`], each with one publish slot, its players and its
/// [`StreamCache`].
///
/// One registry serves a whole server; adapters keep it behind a mutex and hold the lock
/// only for these calls (all are short and none blocks). The rule that keeps slots from
/// leaking: **every connection calls [`close_connection`](Self::close_connection) exactly
/// when it ends, however it ends** (clean close, protocol error, timeout, a panicking hook):
/// put the call in a drop guard of the connection task. A publisher that unpublishes
/// cleanly calls [`unpublish`](Self::unpublish) first; calling both is harmless.
///
/// Per frame a publisher sends: build a [`Frame`], call [`ingest`](Self::ingest), then
/// deliver clones to [`players`](Self::players) through their [`PlayerPolicy`].
#[derive(Debug)]
pub struct Registry {
    config: RelayConfig,
    streams: HashMap<StreamKey, Slot>,
    open: HashSet<ConnId>,
    next_conn: u64,
    counters: Counters,
    /// See [`audience_version`](Self::audience_version).
    audience_version: u64,
}

impl Registry {
    /// An empty registry following `config`; one per server.
    pub fn new(config: RelayConfig) -> Self {
        Registry {
            config,
            streams: HashMap::new(),
            open: HashSet::new(),
            next_conn: 0,
            counters: Counters::default(),
            audience_version: 0,
        }
    }

    /// A number that changes whenever the live players of any stream may have changed
    /// (a join, a leave, a closed connection, a publish or its end, an expired wait).
    /// A fan-out that keeps each stream's [`players`](Self::players) between frames, to
    /// avoid collecting them for every run, rebuilds them when it changes.
    pub fn audience_version(&self) -> u64 {
        self.audience_version
    }

    /// The policy it was built with, e.g. to build a [`PlayerPolicy`] by hand.
    pub fn config(&self) -> &RelayConfig {
        &self.config
    }

    /// A new connection (call on accept). Ids are never reused.
    pub fn open_connection(&mut self) -> ConnId {
        self.next_conn += 1;
        let id = ConnId(self.next_conn);
        self.open.insert(id);
        self.counters.connections_total += 1;
        self.recount();
        id
    }

    /// A connection ended, however it ended: releases every stream it published (they can
    /// be published again at once; their players are held or ended as
    /// [`unpublish`](Self::unpublish) says) and removes it from every stream it played.
    /// Idempotent.
    ///
    /// Call exactly when the connection ends, with that moment's `now`.
    pub fn close_connection(&mut self, now: Instant, conn: ConnId) -> ConnectionClosed {
        self.audience_version += 1;
        let mut closed = ConnectionClosed::default();
        let mut published: Vec<StreamKey> = Vec::new();
        for (key, slot) in &mut self.streams {
            if slot.publisher == Some(conn) {
                published.push(key.clone());
            }
            let before = slot.players.len() + slot.waiting.len();
            slot.players.retain(|p| p.conn != conn);
            slot.waiting.retain(|p| p.conn != conn);
            slot.wait_until.retain(|p, _| p.conn != conn);
            if slot.players.len() + slot.waiting.len() != before {
                closed.left.push(key.clone());
            }
        }
        published.sort();
        closed.left.sort();
        for key in published {
            let players = self.unpublish(now, &key, conn);
            closed.unpublished.push(Ended { key, players });
        }
        self.open.remove(&conn);
        self.streams.retain(|_, s| !s.is_unused());
        self.recount();
        closed
    }

    /// Claims the publish slot of `key` for `conn`.
    ///
    /// Call on `ServerEvent::PublishRequested`, before answering it: `Ok` →
    /// `accept_publish` (and stop any [`PublishGrant::displaced`] publisher); `Err` →
    /// `reject` with [`PublishRefused::rejection`].
    pub fn publish(
        &mut self,
        key: &StreamKey,
        conn: ConnId,
    ) -> Result<PublishGrant, PublishRefused> {
        self.audience_version += 1;
        let config = &self.config;
        let slot = self
            .streams
            .entry(key.clone())
            .or_insert_with(|| Slot::new(config));
        let displaced = match slot.publisher {
            Some(current) if self.config.duplicate_publish == DuplicatePublish::Reject => {
                self.counters.rejected.publishes.relay += 1;
                return Err(PublishRefused {
                    key: key.clone(),
                    current,
                });
            }
            other => other,
        };
        slot.publisher = Some(conn);
        slot.cache.clear();
        let resumed: Vec<PlayerRef> = if slot.held_until.take().is_some() {
            slot.players.iter().copied().collect()
        } else {
            Vec::new()
        };
        let started: Vec<PlayerRef> = std::mem::take(&mut slot.waiting).into_iter().collect();
        slot.wait_until.clear();
        slot.players.extend(started.iter().copied());
        self.recount();
        Ok(PublishGrant {
            displaced,
            started,
            resumed,
        })
    }

    /// `conn` stopped publishing `key`: the slot is free and the cache forgotten (a new
    /// publisher's joiners never get the old one's frames). Within
    /// [`RelayConfig::publisher_grace`] the players are held for a new publisher
    /// ([`held_until`](Self::held_until)) and nothing is returned; with no grace, returns
    /// the players to end now (see [`Ended::players`]). Does nothing (and returns nothing)
    /// when `conn` is not the publisher, so a replaced publisher's late unpublish is
    /// harmless.
    ///
    /// Call on the publisher's `ServerEvent::PublishStopped` or `StreamDeleted`.
    pub fn unpublish(&mut self, now: Instant, key: &StreamKey, conn: ConnId) -> Vec<PlayerRef> {
        self.audience_version += 1;
        let grace = self.config.publisher_grace;
        let Some(slot) = self.streams.get_mut(key) else {
            return Vec::new();
        };
        if slot.publisher != Some(conn) {
            return Vec::new();
        }
        slot.publisher = None;
        slot.cache.clear();
        let players: Vec<PlayerRef> = if grace.is_zero() || slot.players.is_empty() {
            std::mem::take(&mut slot.players).into_iter().collect()
        } else {
            slot.held_until = Some(now + grace);
            Vec::new()
        };
        if slot.is_unused() {
            self.streams.remove(key);
        }
        self.recount();
        players
    }

    /// Until when the players of `key` are held for a new publisher (its publisher went
    /// away), if they are: call [`expire`](Self::expire) then.
    pub fn held_until(&self, key: &StreamKey) -> Option<Instant> {
        self.streams.get(key).and_then(|s| s.held_until)
    }

    /// Ends what is overdue at `now` for `player` on `key`: its bounded wait for a
    /// publisher, or the grace its stream's players were held for after their publisher
    /// left. Returns the players to end with `ServerSession::end_stream` (they left the
    /// registry): after a grace, every player of the stream; after a wait, `player`.
    ///
    /// Call at the instant [`Join::Waiting::until`] or [`held_until`](Self::held_until)
    /// named (early or repeated calls are harmless and return nothing).
    pub fn expire(&mut self, now: Instant, key: &StreamKey, player: PlayerRef) -> Vec<PlayerRef> {
        self.audience_version += 1;
        let Some(slot) = self.streams.get_mut(key) else {
            return Vec::new();
        };
        let mut ended = Vec::new();
        if slot.held_until.is_some_and(|t| now >= t) {
            slot.held_until = None;
            ended.extend(std::mem::take(&mut slot.players));
        }
        if slot.wait_until.get(&player).is_some_and(|t| now >= *t) {
            slot.wait_until.remove(&player);
            if slot.waiting.remove(&player) {
                ended.push(player);
            }
        }
        if slot.is_unused() {
            self.streams.remove(key);
        }
        if !ended.is_empty() {
            self.recount();
        }
        ended
    }

    /// Records a frame `conn` published on `key` (caches, counters). On `Ok` the adapter
    /// delivers the frame to every player of [`players`](Self::players).
    ///
    /// Call for every `ServerEvent::Media` and `ServerEvent::Metadata` of a publisher, in
    /// order; on `Err` drop the frame.
    pub fn ingest(
        &mut self,
        key: &StreamKey,
        conn: ConnId,
        frame: &Frame,
    ) -> Result<(), NotPublisher> {
        match self.streams.get_mut(key) {
            Some(slot) if slot.publisher == Some(conn) => {
                slot.cache.push(frame);
                self.counters.frames_in += 1;
                self.counters.bytes_in = self.counters.bytes_in.saturating_add(frame.len() as u64);
                Ok(())
            }
            _ => Err(NotPublisher {
                key: key.clone(),
                conn,
            }),
        }
    }

    /// A player asks for `key`. A player already attached elsewhere under the same
    /// [`PlayerRef`] is moved.
    ///
    /// Call on `ServerEvent::PlayRequested`, and answer the play as the [`Join`] says.
    pub fn join(&mut self, now: Instant, key: &StreamKey, player: PlayerRef) -> Join {
        self.audience_version += 1;
        for slot in self.streams.values_mut() {
            slot.remove_player(&player);
        }
        self.streams.retain(|_, s| !s.is_unused());
        let waiting_total: usize = self.streams.values().map(|s| s.waiting.len()).sum();
        let join = match self.streams.get_mut(key) {
            Some(slot) if slot.publisher.is_some() => {
                slot.players.insert(player);
                let initial = slot.cache.join_frames();
                let policy = PlayerPolicy::after_join(&self.config, &initial);
                Join::Live { initial, policy }
            }
            // Held for a new publisher: the joiner waits with those already there.
            slot if self.config.players_wait() => {
                let waiting_here = slot.map_or(0, |s| s.waiting.len());
                if waiting_total >= self.config.max_waiting
                    || waiting_here >= self.config.max_waiting_per_stream
                {
                    Join::TooManyWaiting
                } else {
                    let config = &self.config;
                    let slot = self
                        .streams
                        .entry(key.clone())
                        .or_insert_with(|| Slot::new(config));
                    slot.waiting.insert(player);
                    let until = self.config.max_play_wait.map(|d| now + d);
                    if let Some(t) = until {
                        slot.wait_until.insert(player, t);
                    }
                    Join::Waiting {
                        policy: PlayerPolicy::new(&self.config),
                        until,
                    }
                }
            }
            _ => Join::NotFound,
        };
        match join {
            Join::NotFound => self.counters.rejected.plays.relay += 1,
            Join::TooManyWaiting => self.counters.rejected.plays.limit += 1,
            _ => {}
        }
        self.recount();
        join
    }

    /// A player stopped (closeStream, deleteStream, disconnected for lag). Returns whether
    /// it was attached to `key`.
    pub fn leave(&mut self, key: &StreamKey, player: PlayerRef) -> bool {
        self.audience_version += 1;
        let Some(slot) = self.streams.get_mut(key) else {
            return false;
        };
        let was = slot.remove_player(&player);
        if slot.is_unused() {
            self.streams.remove(key);
        }
        self.recount();
        was
    }

    /// The live players of `key` (not those still waiting for a publisher... which cannot
    /// exist while it is live).
    pub fn players(&self, key: &StreamKey) -> impl Iterator<Item = PlayerRef> + '_ {
        self.streams
            .get(key)
            .into_iter()
            .flat_map(|s| s.players.iter().copied())
    }

    /// Players waiting for `key` to be published.
    pub fn waiting(&self, key: &StreamKey) -> impl Iterator<Item = PlayerRef> + '_ {
        self.streams
            .get(key)
            .into_iter()
            .flat_map(|s| s.waiting.iter().copied())
    }

    /// Who publishes `key`.
    pub fn publisher(&self, key: &StreamKey) -> Option<ConnId> {
        self.streams.get(key).and_then(|s| s.publisher)
    }

    /// Whether `key` has a publisher.
    pub fn is_live(&self, key: &StreamKey) -> bool {
        self.publisher(key).is_some()
    }

    /// Live streams.
    pub fn live_streams(&self) -> impl Iterator<Item = &StreamKey> {
        self.streams
            .iter()
            .filter(|(_, s)| s.publisher.is_some())
            .map(|(k, _)| k)
    }

    /// The cache of a stream that is live or has players waiting for it (empty then), for
    /// [`PlayerPolicy::unpause`]. `None` when the registry does not know the stream.
    pub fn cache(&self, key: &StreamKey) -> Option<&StreamCache> {
        self.streams.get(key).map(|s| &s.cache)
    }

    /// The relay-wide counters, for metrics.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Adds a player's stats delta ([`PlayerPolicy::take_stats`]) to the counters.
    pub fn add_player_stats(&mut self, stats: &PlayerStats) {
        self.counters.add_player(stats);
    }

    fn recount(&mut self) {
        let c = &mut self.counters;
        c.connections = self.open.len() as u64;
        c.publishers = self
            .streams
            .values()
            .filter(|s| s.publisher.is_some())
            .count() as u64;
        c.players = self
            .streams
            .values()
            .map(|s| (s.players.len() + s.waiting.len()) as u64)
            .sum();
    }
}
