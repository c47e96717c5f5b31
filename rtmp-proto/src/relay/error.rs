//! Refusals of the registry, each able to produce the status the peer should see.

use super::key::{ConnId, StreamKey};
use crate::session::{Rejection, StatusCode};

/// Status code for a duplicate publish (RTMP-NOTES 15): `NetStream.Publish.BadName`.
pub const CODE_PUBLISH_BAD_NAME: StatusCode = StatusCode::PublishBadName;
/// Status code for a play of a stream that is not live: `NetStream.Play.StreamNotFound`.
pub const CODE_PLAY_STREAM_NOT_FOUND: StatusCode = StatusCode::PlayStreamNotFound;

/// A publish refused because the stream is live and the policy is
/// [`DuplicatePublish::Reject`](super::DuplicatePublish::Reject).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stream {key} is already published by connection {}", current.0)]
#[non_exhaustive]
pub struct PublishRefused {
    /// The stream that is already live.
    pub key: StreamKey,
    /// The publisher that keeps the stream.
    pub current: ConnId,
}

impl PublishRefused {
    /// The rejection to pass to `ServerSession::reject`: `NetStream.Publish.BadName`.
    pub fn rejection(&self) -> Rejection {
        Rejection::with_code(
            CODE_PUBLISH_BAD_NAME,
            format!("{} is already publishing", self.key),
        )
    }
}

/// A frame from a connection that does not (or no longer) publish the stream, e.g. the
/// last frames of a publisher that was just replaced. The adapter drops the frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("connection {} does not publish {key}", conn.0)]
#[non_exhaustive]
pub struct NotPublisher {
    /// The stream the frame was offered to.
    pub key: StreamKey,
    /// The connection that offered it.
    pub conn: ConnId,
}

/// The rejection for a play of a stream that is not live ([`Join::NotFound`]):
/// `NetStream.Play.StreamNotFound`.
///
/// [`Join::NotFound`]: super::Join::NotFound
pub fn stream_not_found(key: &StreamKey) -> Rejection {
    Rejection::with_code(CODE_PLAY_STREAM_NOT_FOUND, format!("{key} is not live"))
}
