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
//! - [`status`]: the `onStatus` levels and codes, as text and as typed values.
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
    /// Shorter than the fixed layout of its type.
    Truncated {
        /// The message type id.
        type_id: u8,
        /// The payload length received.
        len: usize,
    },
    #[error("Set Chunk Size {0:#x} outside 1..=0x7FFFFFFF")]
    /// Set Chunk Size with 0 or the high bit set: the spec's range is 1..=0x7FFFFFFF.
    InvalidChunkSize(u32),
    #[error("Set Peer Bandwidth: unknown limit type {0}")]
    /// Set Peer Bandwidth's limit type is not 0 (hard), 1 (soft) or 2 (dynamic).
    UnknownLimitType(u8),
    #[error("message type {type_id} given to the {expected} decoder")]
    /// A decoder was handed a message of another type (a caller bug, not the peer's).
    WrongType {
        /// The kind of message the decoder reads.
        expected: &'static str,
        /// The type id it was given.
        type_id: u8,
    },
    #[error("aggregate: sub-message at offset {offset} needs {needed} bytes, {available} remain")]
    /// An aggregate's sub-message header or body runs past the end of the payload.
    AggregateTruncated {
        /// Where the sub-message starts in the aggregate payload.
        offset: usize,
        /// Bytes the sub-message needs.
        needed: usize,
        /// Bytes left from `offset`.
        available: usize,
    },
    #[error("message type {type_id}: {error}")]
    /// A command or data message payload is not valid AMF.
    Amf {
        /// The message type id (20/17 command, 18/15 data).
        type_id: u8,
        /// What the AMF decoder refused.
        #[source]
        error: AmfError,
    },
    #[error("command does not start with a name string")]
    /// A command's first value is not a string: the spec puts the command name there.
    CommandName,
    #[error("command transaction id is not a number")]
    /// A command's second value is not a number: the spec puts the transaction id there.
    TransactionId,
}
