//! RTMP messages: the unit the chunk stream carries.
//!
//! [`RawMessage`] is a message as the chunk layer sees it: a header and an opaque payload.
//! The submodules give the payloads their types:
//! - [`control`]: Set Chunk Size, Abort, Acknowledgement, Window Ack Size, Set Peer Bandwidth.
//! - [`user_control`]: User Control events (StreamBegin, ping, ...).
//! - [`ack`]: when an Acknowledgement is due.
//! - [`aggregate`]: splitting and building aggregate messages.
//! - [`command`]: commands (`connect`, `publish`, ...) and the standard replies.
//! - [`data`]: data messages (metadata, `@setDataFrame`).
//! - [`status`]: the `onStatus` codes.
//!
//! [`Message::decode`] picks the right one from the type id.
//!
//! Audio, video and shared-object payloads stay raw `Bytes` here; media parsing lives in
//! [`crate::media`].

pub mod ack;
pub mod aggregate;
pub mod command;
pub mod control;
pub mod data;
mod encoding;
mod raw;
pub mod status;
mod typed;
pub mod user_control;
mod wire;

pub use ack::AckCounter;
pub use aggregate::{AggregateMessages, build_aggregate};
pub use command::Command;
pub use control::{ControlMessage, LimitType};
pub use data::DataMessage;
pub use encoding::Encoding;
pub use raw::{MessageType, RawMessage};
pub use typed::Message;
pub use user_control::UserControlEvent;

use crate::amf::AmfError;

/// A message payload that does not match its type's layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    #[error("message type {type_id}: payload too short ({len} bytes)")]
    Truncated { type_id: u8, len: usize },
    #[error("Set Chunk Size {0:#x} outside 1..=0x7FFFFFFF")]
    InvalidChunkSize(u32),
    #[error("Set Peer Bandwidth: unknown limit type {0}")]
    UnknownLimitType(u8),
    #[error("message type {type_id} given to the {expected} decoder")]
    WrongType { expected: &'static str, type_id: u8 },
    #[error("aggregate: sub-message at offset {offset} needs {needed} bytes, {available} remain")]
    AggregateTruncated {
        offset: usize,
        needed: usize,
        available: usize,
    },
    #[error("message type {type_id}: {error}")]
    Amf {
        type_id: u8,
        #[source]
        error: AmfError,
    },
    #[error("command does not start with a name string")]
    CommandName,
    #[error("command transaction id is not a number")]
    TransactionId,
}
