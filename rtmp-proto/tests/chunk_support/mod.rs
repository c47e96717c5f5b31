//! Helpers shared by the `chunk_*` integration tests.
#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use rtmp_proto::chunk::{ChunkDecoder, ChunkEncoder, ChunkError};
use rtmp_proto::{Limits, RawMessage};

pub fn msg(timestamp: u32, type_id: u8, stream_id: u32, payload: impl Into<Bytes>) -> RawMessage {
    RawMessage {
        timestamp,
        type_id,
        stream_id,
        payload: payload.into(),
    }
}

/// A payload whose bytes differ from position to position, so misplaced slices show.
pub fn pattern(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect::<Vec<_>>()
        .into()
}

/// Set Chunk Size, as a session would send it.
pub fn set_chunk_size(size: u32) -> RawMessage {
    msg(0, 1, 0, size.to_be_bytes().to_vec())
}

/// Abort for `csid`.
pub fn abort(csid: u32) -> RawMessage {
    msg(0, 2, 0, csid.to_be_bytes().to_vec())
}

/// Encodes `(csid, message)` pairs with one encoder, in order.
pub fn encode_all(messages: &[(u32, RawMessage)]) -> BytesMut {
    let mut enc = ChunkEncoder::new();
    let mut out = BytesMut::new();
    for (csid, m) in messages {
        enc.encode_message(*csid, m, &mut out)
            .expect("valid test message");
    }
    out
}

/// Feeds `bytes` to a fresh decoder in pieces of the given sizes (cycled; the rest in one
/// piece when `pieces` is empty) and collects every message, or the first error.
pub fn decode_in_pieces(
    limits: &Limits,
    bytes: &[u8],
    pieces: &[usize],
) -> Result<Vec<RawMessage>, ChunkError> {
    let mut dec = ChunkDecoder::new(limits);
    let mut input = BytesMut::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < bytes.len() {
        let n = pieces
            .get(i % pieces.len().max(1))
            .copied()
            .unwrap_or(bytes.len())
            .max(1);
        i += 1;
        let end = (at + n).min(bytes.len());
        input.extend_from_slice(&bytes[at..end]);
        at = end;
        while let Some(m) = dec.decode(&mut input)? {
            out.push(m);
        }
        assert!(dec.partial_bytes() <= limits.max_partial_bytes);
    }
    assert!(input.is_empty(), "{} bytes left undecoded", input.len());
    Ok(out)
}

pub fn decode_whole(bytes: &[u8]) -> Result<Vec<RawMessage>, ChunkError> {
    decode_in_pieces(&Limits::default(), bytes, &[])
}
