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
//! - [`Playback`]: one player, its policy applied to its `ServerSession`: a run of live
//!   frames in, verdicts applied (queued, skipped, inter frames shed at a lag event, the
//!   player ended or cut) out.
//! - [`FrameQueue`]: the same for a player whose output is a queue of frames (an
//!   in-process subscriber, an HTTP-FLV response).
//! - [`Encodings`]: each frame of a run chunked once per group of players that receive the
//!   same bytes (`chunk::EncodedMessage`), so a player costs a reference, not a chunking.
//!
//! # Using it
//!
//! ```text
//! accept           conn = registry.open_connection()        (+ a guard that calls close_connection)
//! PublishRequested registry.publish(&key, conn)
//!                    Ok(grant)  -> accept_publish; stop grant.displaced if any;
//!                                  grant.resumed players: playback.on_republish()
//!                    Err(e)     -> reject(id, e.rejection())  // NetStream.Publish.BadName
//! Media/Metadata   frames = [Frame::media(m) / Frame::metadata(&md)]  (outside the lock)
//!                  registry.ingest(&key, conn, &frame)?  for each;  encodings.clear();
//!                  for each player of registry.players(&key), holding its session:
//!                    match playback.offer(now, &frames, &mut encodings, &mut session, unsent) {
//!                      Playing { .. } => write, Ended => end_stream + leave,
//!                      Disconnect(_) => close }
//! PlayRequested    match registry.join(now, &key, PlayerRef { conn, stream }) {
//!                    Live { initial, policy } => accept_play; Playback::new(stream, policy)
//!                                                .start(&mut session, initial)
//!                    Waiting { policy, until } => accept_play; keep Playback::new(stream, policy)
//!                    NotFound | TooManyWaiting => reject(id, ...) }
//! Paused           playback.pause() / playback.unpause(registry.cache(&key), &mut session)
//! PublishStopped   for p in registry.unpublish(now, &key, conn) { p's session.end_stream(p.stream) }
//! PlayStopped      registry.leave(&key, player); registry.add_player_stats(&playback.take_stats())
//! Closed / error   for e in registry.close_connection(now, conn).unpublished { end e.players }
//! ```
//!
//! `rtmp-driver`'s server is this, with the registry behind one mutex and each player's
//! `Playback` in its connection's state, offered to by the publisher's task directly.
//!
//! The publisher never waits for a player: `offer` is synchronous and bounded, and a player
//! that cannot keep up loses frames and then its connection, never anyone else's. A frame
//! fanned out to N players is chunked once per group and referenced N times, never copied
//! per player.

mod backlog;
mod cache;
mod config;
mod counters;
mod encodings;
mod error;
mod frame;
mod frame_queue;
mod gop;
mod key;
mod playback;
mod player;
mod registry;
mod stream_stats;

pub use cache::StreamCache;
pub use config::{DuplicatePublish, RelayConfig};
pub use counters::{ConnectionStates, Counters, PlayerStats, RejectCauses, Rejections};
pub use encodings::{Encodings, Wrap};
pub use error::{
    CODE_PLAY_STREAM_NOT_FOUND, CODE_PUBLISH_BAD_NAME, NotPublisher, PublishRefused,
    stream_not_found,
};
pub use frame::{Frame, FrameClass, Item};
pub use frame_queue::{FrameQueue, QueueEnd, QueuedFrame};
pub use key::{ConnId, PlayerRef, StreamKey};
pub use playback::{Delivery, Playback};
pub use player::{LagReason, PlayerPolicy, Verdict};
pub use registry::{ConnectionClosed, Ended, Join, PublishGrant, Registry};
pub use stream_stats::{
    AudioInfo, RATE_WINDOW, StreamSnapshot, StreamStats, VideoInfo, audio_codec_name,
    video_codec_name,
};
