//! The two error families.
//!
//! [`ProtocolError`] is the peer's fault: it is fatal for the connection and the session
//! keeps it. [`UsageError`] is the caller's fault (a wrong id, a call in the wrong state):
//! nothing changes and the session goes on.

use crate::amf::AmfError;
use crate::chunk::ChunkError;
use crate::handshake::HandshakeError;
use crate::message::MessageError;

/// The peer sent something we cannot accept. Fatal for that connection only.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    #[error("handshake: {0}")]
    /// The handshake failed: the peer's version byte was not plain RTMP's 3.
    Handshake(#[from] HandshakeError),
    #[error("chunk stream: {0}")]
    /// The chunk stream was malformed or over a [`Limits`](crate::Limits) bound.
    Chunk(#[from] ChunkError),
    #[error("message: {0}")]
    /// A complete message had a payload its type does not allow.
    Message(#[from] MessageError),
    #[error("AMF: {0}")]
    /// A command or data message was not valid AMF.
    Amf(#[from] AmfError),
    #[error("too many {what} (limit {limit})")]
    /// The peer made a session hold more than its configuration allows.
    LimitExceeded {
        /// What was counted, e.g. `pending requests`.
        what: &'static str,
        /// The configured bound.
        limit: usize,
    },
    #[error("command {name:?} not allowed {state}")]
    /// A command the protocol does not allow at this point (anything before `connect`, a
    /// second `connect`).
    UnexpectedCommand {
        /// The command name.
        name: String,
        /// When it came, e.g. `before connect`.
        state: &'static str,
    },
}

/// The caller used the API wrongly; the session is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    #[error("unknown or already answered request id")]
    /// The request id was already answered, timed out, or belongs to another session.
    UnknownRequest,
    #[error("unknown stream id {0}")]
    /// No stream with this id (a message stream id, or a client's stream handle).
    UnknownStream(u32),
    #[error("not allowed in the current state: {0}")]
    /// The call does not fit what the session is doing (sending media on a stream that is
    /// not playing, publishing before `connect`); the text says what is missing.
    WrongState(&'static str),
    #[error("invalid argument: {0}")]
    /// An argument the protocol cannot carry (a payload longer than the 24-bit length
    /// field, a chunk size out of range); the text says which.
    InvalidArgument(&'static str),
    #[error("the session is closed")]
    /// The session has ended; nothing more can be sent.
    Closed,
    #[error("the outbound queue is full")]
    /// The outbound queue holds its configured maximum (`max_outbound_bytes`, or the
    /// client's pending-request limit): the peer is not reading fast enough. Retry after
    /// draining, or drop the message.
    QueueFull,
}
