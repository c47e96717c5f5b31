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
    Handshake(#[from] HandshakeError),
    #[error("chunk stream: {0}")]
    Chunk(#[from] ChunkError),
    #[error("message: {0}")]
    Message(#[from] MessageError),
    #[error("AMF: {0}")]
    Amf(#[from] AmfError),
    #[error("too many {what} (limit {limit})")]
    LimitExceeded { what: &'static str, limit: usize },
    #[error("command {name:?} not allowed {state}")]
    UnexpectedCommand { name: String, state: &'static str },
}

/// The caller used the API wrongly; the session is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    #[error("unknown or already answered request id")]
    UnknownRequest,
    #[error("unknown stream id {0}")]
    UnknownStream(u32),
    #[error("not allowed in the current state: {0}")]
    WrongState(&'static str),
    #[error("invalid argument: {0}")]
    InvalidArgument(&'static str),
    #[error("the session is closed")]
    Closed,
    #[error("the outbound queue is full")]
    QueueFull,
}
