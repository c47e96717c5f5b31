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

mod bounds;
mod decoder;
mod encoded;
mod encoder;
mod header;
mod slots;

pub use bounds::{MessageBound, MessagePhase};
pub use decoder::ChunkDecoder;
pub use encoded::EncodedMessage;
pub use encoder::{ChunkEncoder, OutboundMessage};
pub(crate) use header::MAX_HEADER_LEN;
pub use header::{DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, MAX_CSID, MAX_WIRE_MESSAGE_LEN, MIN_CSID};

/// Malformed or over-limit chunk stream input. Every variant is fatal for the connection:
/// a chunk stream cannot be resynchronised.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChunkError {
    #[error("message of {len} bytes exceeds the {bound} limit of {limit}")]
    /// A message header announces a length above the bound in force for its phase and
    /// type ([`MessageBound`]): checked on the header, before any payload is held.
    MessageTooLong {
        /// The announced length.
        len: u32,
        /// The limit it exceeds.
        limit: u32,
        /// Which limit that is.
        bound: MessageBound,
    },
    #[error("more than {limit} chunk streams open")]
    /// A new chunk stream id beyond
    /// [`Limits::max_chunk_streams`](crate::Limits::max_chunk_streams): each one keeps
    /// header state.
    TooManyChunkStreams {
        /// The configured limit.
        limit: usize,
    },
    #[error("{held} bytes in partially received messages exceed the limit of {limit}")]
    /// Messages started on many chunk streams at once would hold more than
    /// [`Limits::max_partial_bytes`](crate::Limits::max_partial_bytes) for reassembly.
    PartialBytesExceeded {
        /// Bytes the partial messages would hold.
        held: usize,
        /// The configured limit.
        limit: usize,
    },
    #[error("fmt {fmt} chunk on chunk stream {csid}, which has no previous header")]
    /// A compressed header (fmt 1, 2 or 3) on a chunk stream that never had a full one
    /// (fmt 0) to fill in the missing fields from.
    NoPreviousHeader {
        /// The chunk stream id.
        csid: u32,
        /// The header format (1, 2 or 3).
        fmt: u8,
    },
    #[error("fmt {fmt} chunk on chunk stream {csid} while a message is still incomplete there")]
    /// A header that starts a new message (fmt 0, 1 or 2) where the chunk stream's
    /// previous message still expects continuation chunks (fmt 3).
    HeaderMidMessage {
        /// The chunk stream id.
        csid: u32,
        /// The header format (0, 1 or 2).
        fmt: u8,
    },
    #[error("invalid chunk size {0} (must be 1..=0x7FFFFFFF)")]
    /// Set Chunk Size of 0 or with the top bit set.
    InvalidChunkSize(u32),
    #[error("protocol control message type {type_id} too short ({len} bytes, need 4)")]
    /// Set Chunk Size or Abort without its 4-byte value: the decoder must apply them and
    /// cannot.
    TruncatedControl {
        /// 1 (Set Chunk Size) or 2 (Abort).
        type_id: u8,
        /// The payload length received.
        len: usize,
    },
}
