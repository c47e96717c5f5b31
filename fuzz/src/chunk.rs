//! Fuzz body for the `chunk` target.

use bytes::BytesMut;
use rtmp_proto::Limits;
use rtmp_proto::chunk::ChunkDecoder;

/// Chunk sizes the first input byte picks from: tiny sizes stress continuation chunks, large
/// ones whole-message chunks.
const CHUNK_SIZES: [u32; 8] = [1, 2, 7, 64, 128, 1000, 4096, 0x7FFF_FFFF];

/// Feeds arbitrary bytes to the decoder in pieces; must never panic or exceed the limits.
///
/// Byte 0 picks the initial chunk size, byte 1 the read size (1..=256); the rest is the
/// chunk stream.
pub fn run(data: &[u8]) {
    let [size_pick, read_pick, stream @ ..] = data else {
        return;
    };
    let mut limits = Limits::default();
    limits.max_message_len = 64 * 1024;
    limits.max_chunk_streams = 8;
    limits.max_partial_bytes = 128 * 1024;
    let mut dec = ChunkDecoder::new(&limits);
    let size = CHUNK_SIZES[usize::from(*size_pick) % CHUNK_SIZES.len()];
    dec.set_chunk_size(size)
        .expect("every listed chunk size is valid");
    let read = usize::from(*read_pick) + 1;

    let mut input = BytesMut::new();
    for piece in stream.chunks(read) {
        input.extend_from_slice(piece);
        loop {
            match dec.decode(&mut input) {
                Ok(Some(msg)) => assert!(msg.payload.len() <= limits.max_message_len as usize),
                Ok(None) => break,
                Err(_) => return,
            }
            assert!(dec.partial_bytes() <= limits.max_partial_bytes);
        }
    }
}
