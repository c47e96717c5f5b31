//! Every limit the chunk decoder enforces, and the typed errors for impossible headers.

mod chunk_support;

use bytes::BytesMut;
use chunk_support::*;
use rtmp_proto::Limits;
use rtmp_proto::chunk::{ChunkDecoder, ChunkError, MessageBound};

fn limits(f: impl FnOnce(&mut Limits)) -> Limits {
    let mut l = Limits::default();
    f(&mut l);
    l
}

/// The length in a header is checked when the header arrives, before any payload.
#[test]
fn message_too_long_at_header_time() {
    let l = limits(|l| l.max_message_len = 1000);
    let bytes = encode_all(&[(3, msg(0, 9, 1, pattern(1001, 0)))]);
    let mut dec = ChunkDecoder::new(&l);
    let mut input = BytesMut::from(&bytes[..12]); // the header alone
    assert_eq!(
        dec.decode(&mut input),
        Err(ChunkError::MessageTooLong {
            len: 1001,
            limit: 1000,
            bound: MessageBound::Message,
        })
    );
    // Exactly at the limit is fine.
    let ok = encode_all(&[(3, msg(0, 9, 1, pattern(1000, 0)))]);
    assert_eq!(decode_in_pieces(&l, &ok, &[]).unwrap().len(), 1);
    // A fmt 1 header changing the length is checked too.
    let bytes = encode_all(&[
        (3, msg(0, 9, 1, pattern(10, 0))),
        (3, msg(1, 9, 1, pattern(1001, 0))),
    ]);
    assert_eq!(
        decode_in_pieces(&l, &bytes, &[]),
        Err(ChunkError::MessageTooLong {
            len: 1001,
            limit: 1000,
            bound: MessageBound::Message,
        })
    );
}

/// The largest length the wire can express passes the default limit (16 MiB cap), and a
/// header alone allocates nothing.
#[test]
fn largest_wire_length_accepted_by_default() {
    let l = limits(|l| l.max_message_len = u32::MAX);
    let b = [0x03, 0, 0, 0, 0xFF, 0xFF, 0xFF, 9, 1, 0, 0, 0];
    let mut dec = ChunkDecoder::new(&l);
    assert_eq!(dec.decode(&mut BytesMut::from(&b[..])), Ok(None));
    assert_eq!(dec.partial_bytes(), 0);
}

#[test]
fn too_many_chunk_streams() {
    let l = limits(|l| l.max_chunk_streams = 3);
    let three: Vec<_> = (2..5).map(|c| (c, msg(0, 8, 1, vec![1]))).collect();
    assert_eq!(
        decode_in_pieces(&l, &encode_all(&three), &[])
            .unwrap()
            .len(),
        3
    );
    let four: Vec<_> = (2..6).map(|c| (c, msg(0, 8, 1, vec![1]))).collect();
    assert_eq!(
        decode_in_pieces(&l, &encode_all(&four), &[]),
        Err(ChunkError::TooManyChunkStreams { limit: 3 })
    );
    // Reusing a known csid is not a new chunk stream.
    let reuse: Vec<_> = (0..10)
        .map(|i| (2 + i % 3, msg(i, 8, 1, vec![1])))
        .collect();
    assert_eq!(
        decode_in_pieces(&l, &encode_all(&reuse), &[])
            .unwrap()
            .len(),
        10
    );
}

/// Two messages being reassembled at once on different csids together exceed the bound.
#[test]
fn partial_bytes_exceeded_across_chunk_streams() {
    let l = limits(|l| l.max_partial_bytes = 1000);
    let mut enc = rtmp_proto::chunk::ChunkEncoder::new();
    let mut scratch = BytesMut::new();
    let mut wire = BytesMut::new();
    let mut a = enc.begin(4, &msg(0, 9, 1, pattern(600, 1))).unwrap();
    let mut b = enc.begin(5, &msg(0, 9, 1, pattern(600, 2))).unwrap();
    for out in [&mut a, &mut b] {
        let (h, p) = enc.next_chunk(out, &mut scratch).unwrap();
        wire.extend_from_slice(&h);
        wire.extend_from_slice(&p);
    }
    let mut dec = ChunkDecoder::new(&l);
    assert_eq!(
        dec.decode(&mut wire),
        Err(ChunkError::PartialBytesExceeded {
            held: 1200,
            limit: 1000
        })
    );
    assert_eq!(dec.partial_bytes(), 600);

    // One after the other they fit: finished messages release their bytes, and a message
    // that fits one chunk never counts.
    let seq = [
        (4, msg(0, 9, 1, pattern(600, 1))),
        (5, msg(0, 9, 1, pattern(600, 2))),
    ];
    assert_eq!(
        decode_in_pieces(&l, &encode_all(&seq), &[]).unwrap().len(),
        2
    );
}

#[test]
fn compressed_header_without_previous_header() {
    for fmt in 1..=3u8 {
        let b = [fmt << 6 | 3, 0, 0, 0, 0, 0, 1, 8, 0, 0, 0, 0];
        let mut dec = ChunkDecoder::new(&Limits::default());
        assert_eq!(
            dec.decode(&mut BytesMut::from(&b[..])),
            Err(ChunkError::NoPreviousHeader { csid: 3, fmt })
        );
    }
}

#[test]
fn new_header_while_message_incomplete() {
    let bytes = encode_all(&[(3, msg(0, 9, 1, pattern(200, 0)))]);
    let mut wire = bytes[..1 + 11 + 128].to_vec();
    wire.extend([0x83, 0, 0, 1]);
    assert_eq!(
        decode_whole(&wire),
        Err(ChunkError::HeaderMidMessage { csid: 3, fmt: 2 })
    );
}

/// An incomplete chunk stays in the caller's buffer byte for byte, and nothing is held.
#[test]
fn partial_chunk_left_untouched() {
    let bytes = encode_all(&[(3, msg(0, 9, 1, pattern(100, 0)))]);
    let mut dec = ChunkDecoder::new(&Limits::default());
    for cut in 0..bytes.len() {
        let mut input = BytesMut::from(&bytes[..cut]);
        assert_eq!(dec.decode(&mut input), Ok(None));
        assert_eq!(&input[..], &bytes[..cut]);
        assert_eq!(dec.partial_bytes(), 0);
    }
}
