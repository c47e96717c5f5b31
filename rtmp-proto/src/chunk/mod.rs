//! The chunk stream: splitting messages into chunks and reassembling them.
//!
//! RTMP multiplexes messages over one connection by cutting them into chunks of at most the
//! current chunk size, each tagged with a chunk stream id (csid) and a header compressed
//! against the previous header on that csid (RTMP 1.0 §5.3).
//!
//! - [`ChunkDecoder`] reads the peer's chunks from the caller's `BytesMut` and returns whole
//!   [`RawMessage`](crate::RawMessage)s, zero-copy when a message fits one chunk.
//! - [`ChunkEncoder`] turns outbound messages into chunks one at a time
//!   ([`ChunkEncoder::begin`] + [`ChunkEncoder::next_chunk`]): a small header `Bytes` and a
//!   zero-copy slice of the payload per chunk.
//!
//! Both apply Set Chunk Size themselves, at the chunk where the peer does.

mod decoder;
mod encoder;
mod header;
mod slots;

pub use decoder::ChunkDecoder;
pub use encoder::{ChunkEncoder, OutboundMessage};
pub(crate) use header::MAX_HEADER_LEN;
pub use header::{DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MAX_CSID, MAX_WIRE_MESSAGE_LEN, MIN_CSID};

/// Malformed or over-limit chunk stream input. Every variant is fatal for the connection:
/// a chunk stream cannot be resynchronised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    #[error("message of {len} bytes exceeds the limit of {limit}")]
    MessageTooLong { len: u32, limit: u32 },
    #[error("more than {limit} chunk streams open")]
    TooManyChunkStreams { limit: usize },
    #[error("{held} bytes in partially received messages exceed the limit of {limit}")]
    PartialBytesExceeded { held: usize, limit: usize },
    #[error("fmt {fmt} chunk on chunk stream {csid}, which has no previous header")]
    NoPreviousHeader { csid: u32, fmt: u8 },
    #[error("fmt {fmt} chunk on chunk stream {csid} while a message is still incomplete there")]
    HeaderMidMessage { csid: u32, fmt: u8 },
    #[error("invalid chunk size {0} (must be 1..=0x7FFFFFFF)")]
    InvalidChunkSize(u32),
    #[error("protocol control message type {type_id} too short ({len} bytes, need 4)")]
    TruncatedControl { type_id: u8, len: usize },
}
