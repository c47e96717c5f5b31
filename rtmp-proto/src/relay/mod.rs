//! Relay policy: what a fan-out server decides, without its channels, tasks or sockets.
//!
//! The tokio and smol adapters own the I/O; this module owns the decisions, so they are the
//! same everywhere and testable on a virtual clock:
//! - [`Registry`]: streams keyed by [`StreamKey`] (app + name, query strings stripped), one
//!   publish slot each with a [`DuplicatePublish`] policy, players, and waiting players.
//! - [`StreamCache`]: metadata, per-track sequence headers (legacy and Enhanced RTMP) and a
//!   GOP cache bounded by bytes and frames, replayed to late joiners.
//! - [`PlayerPolicy`]: per player, [`Verdict`] for each frame from its backlog: send, skip
//!   (lag, waiting for a keyframe, paused) or disconnect; pause and unpause.
//! - [`Counters`] and [`PlayerStats`].
//!
//! # Adapter recipe
//!
//! ```text
//! accept           conn = registry.open_connection()        (+ a guard that calls close_connection)
//! PublishRequested registry.publish(&key, conn)
//!                    Ok(grant)  -> accept_publish; stop grant.displaced if any
//!                    Err(e)     -> reject(id, e.rejection())  // NetStream.Publish.BadName
//! Media/Metadata   frame = Frame::media(m) / Frame::metadata(&md)   (outside the lock)
//!                  registry.ingest(&key, conn, &frame)? ; for each registry.players(&key):
//!                    hand a clone to the player (a refcount bump), which does
//!                    match policy.offer(now, &frame, session.pending_transmit_bytes()) {
//!                      Send(d) => frame.send_to(&mut session, stream, d),
//!                      Skip => {}, Disconnect(_) => close }
//! PlayRequested    match registry.join(&key, PlayerRef { conn, stream }) {
//!                    Live { initial, policy } => accept_play; send initial; keep policy
//!                    Waiting { policy }       => accept_play; keep policy
//!                    NotFound                 => reject(id, stream_not_found(&key)) }
//! Paused           policy.pause() / for f in policy.unpause(registry.cache(&key)?) { send f }
//! PublishStopped   for p in registry.unpublish(&key, conn) { p's session.end_stream(p.stream) }
//! PlayStopped      registry.leave(&key, player)
//! Closed / error   for e in registry.close_connection(conn).unpublished { end e.players }
//! periodically     registry.add_player_stats(&policy.take_stats())
//! ```
//!
//! Details an adapter gets right once:
//! - `backlog` is everything queued toward that player and not yet written to its socket:
//!   `pending_transmit_bytes()` plus any buffer of the adapter's own (a channel of frames,
//!   an unfinished write). The policy estimates the age of the oldest queued frame from it.
//! - When an offer leaves [`PlayerPolicy::is_lagging`] newly true, the adapter may call
//!   `session.discard_droppable()` to shed queued inter frames at once (safe: the player
//!   resumes at a keyframe).
//! - `send_to` failing with `UsageError::QueueFull` (the session's own cap) means the
//!   player is hopelessly behind: treat it like `Verdict::Disconnect`.
//! - `PublishGrant::started` players were accepted while waiting; nothing to send them yet.
//!
//! The publisher never waits for a player: `offer` is synchronous and bounded, and a player
//! that cannot keep up loses frames and then its connection, never anyone else's. A frame
//! fanned out to N players is N reference-count bumps, never a copy.

mod backlog;
mod cache;
mod config;
mod counters;
mod encodings;
mod error;
mod frame;
mod gop;
mod key;
mod player;
mod registry;

pub use cache::StreamCache;
pub use config::{DuplicatePublish, RelayConfig};
pub use counters::{Counters, PlayerStats};
pub use encodings::Encodings;
pub use error::{
    CODE_PLAY_STREAM_NOT_FOUND, CODE_PUBLISH_BAD_NAME, NotPublisher, PublishRefused,
    stream_not_found,
};
pub use frame::{Frame, FrameClass, Item};
pub use key::{ConnId, PlayerRef, StreamKey};
pub use player::{LagReason, PlayerPolicy, Verdict};
pub use registry::{ConnectionClosed, Ended, Join, PublishGrant, Registry};
