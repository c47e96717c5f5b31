//! [`Registry`]: which streams are live, who publishes them, who plays them.

use std::collections::{BTreeSet, HashMap, HashSet};

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
    },
    /// Not live: reject the play with [`stream_not_found`](super::stream_not_found).
    NotFound,
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
}

impl Slot {
    fn is_unused(&self) -> bool {
        self.publisher.is_none() && self.players.is_empty() && self.waiting.is_empty()
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
        }
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
    /// be published again at once) and removes it from every stream it played. Idempotent.
    pub fn close_connection(&mut self, conn: ConnId) -> ConnectionClosed {
        let mut closed = ConnectionClosed::default();
        let mut published: Vec<StreamKey> = Vec::new();
        for (key, slot) in &mut self.streams {
            if slot.publisher == Some(conn) {
                published.push(key.clone());
            }
            let before = slot.players.len() + slot.waiting.len();
            slot.players.retain(|p| p.conn != conn);
            slot.waiting.retain(|p| p.conn != conn);
            if slot.players.len() + slot.waiting.len() != before {
                closed.left.push(key.clone());
            }
        }
        published.sort();
        closed.left.sort();
        for key in published {
            let players = self.unpublish(&key, conn);
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
        let config = &self.config;
        let slot = self.streams.entry(key.clone()).or_insert_with(|| Slot {
            publisher: None,
            cache: StreamCache::new(config),
            players: BTreeSet::new(),
            waiting: BTreeSet::new(),
        });
        let displaced = match slot.publisher {
            Some(current) if self.config.duplicate_publish == DuplicatePublish::Reject => {
                return Err(PublishRefused {
                    key: key.clone(),
                    current,
                });
            }
            other => other,
        };
        slot.publisher = Some(conn);
        slot.cache.clear();
        let started: Vec<PlayerRef> = std::mem::take(&mut slot.waiting).into_iter().collect();
        slot.players.extend(started.iter().copied());
        self.recount();
        Ok(PublishGrant { displaced, started })
    }

    /// `conn` stopped publishing `key`: the slot is free and the cache forgotten. Returns
    /// the players to end (see [`Ended::players`]). Does nothing (and returns nothing) when
    /// `conn` is not the publisher, so a replaced publisher's late unpublish is harmless.
    ///
    /// Call on the publisher's `ServerEvent::PublishStopped` or `StreamDeleted`.
    pub fn unpublish(&mut self, key: &StreamKey, conn: ConnId) -> Vec<PlayerRef> {
        let Some(slot) = self.streams.get_mut(key) else {
            return Vec::new();
        };
        if slot.publisher != Some(conn) {
            return Vec::new();
        }
        slot.publisher = None;
        slot.cache.clear();
        let players: Vec<PlayerRef> = std::mem::take(&mut slot.players).into_iter().collect();
        if slot.is_unused() {
            self.streams.remove(key);
        }
        self.recount();
        players
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
    pub fn join(&mut self, key: &StreamKey, player: PlayerRef) -> Join {
        for slot in self.streams.values_mut() {
            slot.players.remove(&player);
            slot.waiting.remove(&player);
        }
        self.streams.retain(|_, s| !s.is_unused());
        let join = match self.streams.get_mut(key) {
            Some(slot) if slot.publisher.is_some() => {
                slot.players.insert(player);
                let initial = slot.cache.join_frames();
                let policy = PlayerPolicy::after_join(&self.config, &initial);
                Join::Live { initial, policy }
            }
            _ if self.config.wait_for_publisher => {
                let config = &self.config;
                let slot = self.streams.entry(key.clone()).or_insert_with(|| Slot {
                    publisher: None,
                    cache: StreamCache::new(config),
                    players: BTreeSet::new(),
                    waiting: BTreeSet::new(),
                });
                slot.waiting.insert(player);
                Join::Waiting {
                    policy: PlayerPolicy::new(&self.config),
                }
            }
            _ => Join::NotFound,
        };
        self.recount();
        join
    }

    /// A player stopped (closeStream, deleteStream, disconnected for lag). Returns whether
    /// it was attached to `key`.
    pub fn leave(&mut self, key: &StreamKey, player: PlayerRef) -> bool {
        let Some(slot) = self.streams.get_mut(key) else {
            return false;
        };
        let was = slot.players.remove(&player) | slot.waiting.remove(&player);
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
