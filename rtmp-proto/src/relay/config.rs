//! How a relay behaves: one [`RelayConfig`] shared by the registry and every player policy.

use std::time::Duration;

/// What happens when a second publisher asks for a stream that is already live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum DuplicatePublish {
    /// Refuse the newcomer with `NetStream.Publish.BadName` (RTMP-NOTES 15); the live
    /// publisher keeps the stream. What nginx-rtmp and most servers do.
    #[default]
    Reject,
    /// Hand the stream to the newcomer; the adapter disconnects (or unpublishes) the old
    /// publisher. Useful when encoders reconnect before the server noticed the old TCP
    /// connection died.
    Replace,
}

/// Relay policy knobs. Build with `RelayConfig::default()` and assign the fields you change.
///
/// Byte bounds count payload bytes (what [`ServerSession::pending_transmit_bytes`] counts),
/// not chunk headers.
///
/// [`ServerSession::pending_transmit_bytes`]: crate::session::ServerSession::pending_transmit_bytes
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RelayConfig {
    /// What a second publish of a live stream does: refused, or takes the stream over.
    pub duplicate_publish: DuplicatePublish,
    /// Most payload bytes of the GOP cache of one stream; 0 disables the GOP cache.
    pub gop_max_bytes: usize,
    /// Most frames (audio and video) in the GOP cache of one stream; 0 disables it.
    pub gop_max_frames: usize,
    /// Backlog of one player above which it is lagging: non-key video is dropped until the
    /// next keyframe that fits (audio, metadata and sequence headers still go out).
    pub player_soft_bytes: usize,
    /// Backlog of one player above which it is disconnected.
    pub player_hard_bytes: usize,
    /// Age of a player's oldest queued frame above which it is lagging (like
    /// `player_soft_bytes`, for low-bitrate streams that never fill the byte bound).
    pub player_soft_age: Duration,
    /// Age of a player's oldest queued frame above which it is disconnected.
    pub player_max_age: Duration,
    /// Disconnect a player at its this-many-th lag event in a row (lag events are
    /// consecutive until the player plays a whole GOP without lagging, or, on audio-only
    /// streams, until its queue empties). 0 = never.
    pub max_consecutive_lag_events: u32,
    /// A `play` of a stream nobody publishes waits for the publisher (`true`, the default,
    /// as nginx-rtmp's `idle_streams`) instead of failing with
    /// `NetStream.Play.StreamNotFound` (`false`).
    pub wait_for_publisher: bool,
    /// How long a player may wait for its publisher before its stream is ended (`None`,
    /// the default: as long as its connection lives; `Some(ZERO)` refuses at once, like
    /// `wait_for_publisher = false`).
    pub max_play_wait: Option<Duration>,
    /// Most players waiting for one stream; a play beyond it is refused.
    pub max_waiting_per_stream: usize,
    /// Most players waiting for any stream, server-wide; a play beyond it is refused.
    pub max_waiting: usize,
    /// How long a stream's players are held after its publisher went away (however it
    /// went): if the stream is published again meanwhile they continue, timestamps rebased;
    /// after it they get the end of the stream. Zero ends them at once.
    pub publisher_grace: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            duplicate_publish: DuplicatePublish::Reject,
            gop_max_bytes: 8 * 1024 * 1024,
            gop_max_frames: 1024,
            player_soft_bytes: 2 * 1024 * 1024,
            player_hard_bytes: 16 * 1024 * 1024,
            player_soft_age: Duration::from_secs(3),
            player_max_age: Duration::from_secs(15),
            max_consecutive_lag_events: 5,
            wait_for_publisher: true,
            max_play_wait: None,
            max_waiting_per_stream: 1024,
            max_waiting: 8192,
            publisher_grace: Duration::from_secs(5),
        }
    }
}

impl RelayConfig {
    /// Whether a play of a stream that is not live waits for its publisher.
    pub fn players_wait(&self) -> bool {
        self.wait_for_publisher && self.max_play_wait != Some(Duration::ZERO)
    }

    /// Whether the GOP cache is on.
    pub fn gop_enabled(&self) -> bool {
        self.gop_max_bytes > 0 && self.gop_max_frames > 0
    }
}
