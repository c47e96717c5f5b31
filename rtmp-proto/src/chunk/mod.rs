//! The chunk stream: splitting messages into chunks and reassembling them.

/// Malformed or over-limit chunk stream input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    #[error("message of {len} bytes exceeds the limit of {limit}")]
    MessageTooLong { len: u32, limit: u32 },
}
