//! [`EncodedMessage`]: a message cut into chunks once, written to many peers.
//!
//! A relay sends the same frame to every player. Chunking it per player costs a header per
//! chunk and a payload slice per chunk for each of them, and hands the writer one segment
//! per chunk. Players that share a chunk size, a message stream id and the frame's
//! timestamp receive byte-identical chunks, provided the first header does not depend on
//! what each of them got before on that chunk stream: so the first chunk carries a full
//! (fmt 0) header, and the whole chunked message is one contiguous buffer. Each player's
//! session then queues a reference to it, and its writer hands the kernel one segment.
//!
//! The cost is one copy of the payload per frame and group of players (never per player),
//! and 4 to 8 bytes more per message than the compressed header a session would pick.

use bytes::{Bytes, BytesMut};

use super::encoder::ChunkEncoder;
use crate::error::UsageError;
use crate::message::RawMessage;

/// A message chunked at one chunk size with a full first header, shareable by every peer
/// whose session writes at that chunk size (see the module docs).
///
/// Clone it freely: a clone is two reference-count bumps.
#[derive(Debug, Clone)]
pub struct EncodedMessage {
    csid: u32,
    chunk_size: u32,
    message: RawMessage,
    wire: Bytes,
}

impl EncodedMessage {
    /// Chunks `message` for chunk stream `csid` at `chunk_size`, copying its payload once.
    pub fn new(csid: u32, chunk_size: u32, message: RawMessage) -> Result<Self, UsageError> {
        let mut encoder = ChunkEncoder::new();
        encoder.set_chunk_size(chunk_size)?;
        let chunks = message.payload.len().div_ceil(chunk_size as usize).max(1);
        // A full header is at most 16 bytes; continuation headers at most 7.
        let mut out = BytesMut::with_capacity(message.payload.len() + 16 + chunks * 7);
        encoder.encode_message(csid, &message, &mut out)?;
        Ok(EncodedMessage {
            csid,
            chunk_size,
            message,
            wire: out.freeze(),
        })
    }

    /// The chunk stream id it is encoded for.
    pub fn csid(&self) -> u32 {
        self.csid
    }

    /// The chunk size it is cut at: a session writing at another size encodes
    /// [`message`](Self::message) itself instead.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// The message it carries.
    pub fn message(&self) -> &RawMessage {
        &self.message
    }

    /// Its chunks, headers included, as they go on the wire.
    pub fn wire(&self) -> &Bytes {
        &self.wire
    }

    /// The same message with its chunks replaced by `f(chunks)`, which must hold the same
    /// bytes: how a server wraps the buffer to account for it (`Bytes::from_owner`).
    pub fn map_wire(mut self, f: impl FnOnce(Bytes) -> Bytes) -> Self {
        self.wire = f(self.wire);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunk::ChunkDecoder;

    fn message(ts: u32, len: usize) -> RawMessage {
        RawMessage {
            timestamp: ts,
            type_id: 9,
            stream_id: 1,
            payload: Bytes::from((0..len).map(|i| i as u8).collect::<Vec<u8>>()),
        }
    }

    /// Whatever a peer decoded before on the csid, the encoded message decodes as itself.
    #[test]
    fn decodes_after_any_previous_header() {
        for (ts, len) in [
            (0, 0),
            (40, 10),
            (40, 4096),
            (0x00FF_FFFF, 9000),
            (u32::MAX, 5000),
        ] {
            let m = message(ts, len);
            let e = EncodedMessage::new(6, 4096, m.clone()).unwrap();
            let mut d = ChunkDecoder::new(&crate::Limits::default());
            d.set_chunk_size(4096).unwrap();
            // A different previous message on the same csid.
            let mut prev = BytesMut::new();
            ChunkEncoder::new()
                .encode_message(6, &message(7, 3), &mut prev)
                .unwrap();
            let mut wire = BytesMut::new();
            wire.extend_from_slice(&prev);
            wire.extend_from_slice(e.wire());
            let mut got = Vec::new();
            while let Some(msg) = d.decode(&mut wire).unwrap() {
                got.push(msg);
            }
            assert_eq!(got.len(), 2, "ts {ts} len {len}");
            assert_eq!(got[1], m);
        }
    }

    #[test]
    fn refuses_what_the_wire_cannot_carry() {
        assert!(EncodedMessage::new(1, 4096, message(0, 1)).is_err());
        assert!(EncodedMessage::new(6, 0, message(0, 1)).is_err());
    }
}
