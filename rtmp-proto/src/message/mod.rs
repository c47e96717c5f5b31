//! RTMP messages: the unit the chunk stream carries.
//!
//! [`RawMessage`] is a message as the chunk layer sees it: a header and an opaque payload.
//! The submodules give the payloads their types.

mod raw;

pub use raw::{MessageType, RawMessage};

/// A message payload that does not match its type's layout.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    #[error("message type {type_id}: payload too short ({len} bytes)")]
    Truncated { type_id: u8, len: usize },
}
