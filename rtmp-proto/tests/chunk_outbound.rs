//! The chunk-at-a-time encoder: zero-copy slices, interleaving, dropping unstarted
//! messages, and the zero-copy single-chunk decode.

mod chunk_support;

use bytes::{Bytes, BytesMut};
use chunk_support::*;
use rtmp_proto::chunk::{ChunkDecoder, ChunkEncoder, OutboundMessage};
use rtmp_proto::{Limits, UsageError};

fn emit_all(
    enc: &mut ChunkEncoder,
    out: &mut OutboundMessage,
    scratch: &mut BytesMut,
) -> Vec<(Bytes, Bytes)> {
    std::iter::from_fn(|| enc.next_chunk(out, scratch)).collect()
}

#[test]
fn payload_chunks_are_slices_of_the_callers_bytes() {
    let m = msg(0, 9, 1, pattern(1000, 1));
    let base = m.payload.as_ptr() as usize;
    let mut enc = ChunkEncoder::new();
    let mut scratch = BytesMut::new();
    let mut out = enc.begin(6, &m).unwrap();
    assert!(!out.is_started());
    let chunks = emit_all(&mut enc, &mut out, &mut scratch);
    assert!(out.is_finished());
    assert_eq!(chunks.len(), 8);
    let mut offset = 0;
    for (i, (h, p)) in chunks.iter().enumerate() {
        assert_eq!(
            p.as_ptr() as usize,
            base + offset,
            "chunk {i} is not a slice"
        );
        assert_eq!(h.len(), if i == 0 { 12 } else { 1 });
        offset += p.len();
    }
    assert_eq!(offset, 1000);
}

/// One-byte continuation headers are static: they take nothing from the scratch buffer.
#[test]
fn one_byte_headers_leave_the_scratch_alone() {
    let m = msg(0, 9, 1, pattern(1000, 1));
    let mut enc = ChunkEncoder::new();
    let mut scratch = BytesMut::new();
    let mut out = enc.begin(6, &m).unwrap();
    let (first, _) = enc.next_chunk(&mut out, &mut scratch).unwrap();
    assert_eq!(first.len(), 12);
    let spare = scratch.capacity();
    for (h, _) in emit_all(&mut enc, &mut out, &mut scratch) {
        assert_eq!(&h[..], &[0xC6]);
    }
    assert_eq!(scratch.capacity(), spare);
}

/// Headers go into one scratch allocation, back to back, instead of one allocation each.
#[test]
fn headers_share_the_scratch_allocation() {
    let m = msg(0x0100_0000, 9, 1, pattern(128 * 200, 1));
    let mut enc = ChunkEncoder::new();
    let mut scratch = BytesMut::new();
    let mut out = enc.begin(6, &m).unwrap();
    let chunks = emit_all(&mut enc, &mut out, &mut scratch);
    assert_eq!(chunks.len(), 200);
    let adjacent = chunks
        .windows(2)
        .filter(|w| w[0].0.as_ptr() as usize + w[0].0.len() == w[1].0.as_ptr() as usize)
        .count();
    // 5-byte continuation headers (extended timestamp): one refill of 4096 bytes at most.
    assert!(
        adjacent >= 198,
        "only {adjacent} of 199 headers were adjacent"
    );
}

/// Header compression is decided when the first chunk goes out: a message dropped before
/// that leaves no trace, and the next one is compressed against what the peer saw.
#[test]
fn dropping_an_unstarted_message_keeps_compression_in_step() {
    let mut enc = ChunkEncoder::new();
    let mut scratch = BytesMut::new();
    let mut wire = BytesMut::new();
    enc.encode_message(6, &msg(0, 9, 1, vec![1]), &mut wire)
        .unwrap();
    let a = enc.begin(6, &msg(33, 9, 1, vec![2])).unwrap();
    let mut b = enc.begin(6, &msg(66, 9, 1, vec![3])).unwrap();
    drop(a);
    let chunks = emit_all(&mut enc, &mut b, &mut scratch);
    assert_eq!(&chunks[0].0[..], &[0x86, 0, 0, 66]);
    for (h, p) in &chunks {
        wire.extend_from_slice(h);
        wire.extend_from_slice(p);
    }
    assert_eq!(
        decode_whole(&wire).unwrap(),
        vec![msg(0, 9, 1, vec![1]), msg(66, 9, 1, vec![3])]
    );
}

/// A control message slips between the chunks of a large keyframe.
#[test]
fn control_message_between_keyframe_chunks() {
    let mut enc = ChunkEncoder::new();
    enc.set_chunk_size(4096).unwrap();
    let mut scratch = BytesMut::new();
    let mut wire = BytesMut::new();
    let key = msg(1000, 9, 1, pattern(64 * 1024, 3));
    let ack = msg(1000, 3, 0, 123_456u32.to_be_bytes().to_vec());
    let mut out = enc.begin(6, &key).unwrap();
    let mut n = 0;
    while let Some((h, p)) = enc.next_chunk(&mut out, &mut scratch) {
        wire.extend_from_slice(&h);
        wire.extend_from_slice(&p);
        n += 1;
        if n == 3 {
            enc.encode_message(2, &ack, &mut wire).unwrap();
        }
    }
    assert_eq!(n, 16);
    let mut dec = ChunkDecoder::new(&Limits::default());
    dec.set_chunk_size(4096).unwrap();
    let mut input = wire;
    assert_eq!(dec.decode(&mut input).unwrap(), Some(ack));
    assert_eq!(dec.decode(&mut input).unwrap(), Some(key));
}

#[test]
fn empty_payload_is_one_header_only_chunk() {
    let mut enc = ChunkEncoder::new();
    let mut scratch = BytesMut::new();
    let m = msg(5, 20, 0, Bytes::new());
    let mut out = enc.begin(3, &m).unwrap();
    let chunks = emit_all(&mut enc, &mut out, &mut scratch);
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].0.len(), 12);
    assert!(chunks[0].1.is_empty());
    assert!(enc.next_chunk(&mut out, &mut scratch).is_none());
    let mut wire = BytesMut::new();
    wire.extend_from_slice(&chunks[0].0);
    assert_eq!(decode_whole(&wire).unwrap(), vec![m]);
}

#[test]
fn begin_rejects_what_the_wire_cannot_carry() {
    let enc = ChunkEncoder::new();
    let small = msg(0, 8, 1, vec![1]);
    for csid in [0, 1, 65600, u32::MAX] {
        assert!(matches!(
            enc.begin(csid, &small),
            Err(UsageError::InvalidArgument(_))
        ));
    }
    let huge = msg(0, 9, 1, vec![0; 0x100_0000]);
    assert!(matches!(
        enc.begin(3, &huge),
        Err(UsageError::InvalidArgument(_))
    ));
    let mut out = BytesMut::new();
    assert!(
        ChunkEncoder::new()
            .encode_message(1, &small, &mut out)
            .is_err()
    );
    assert!(out.is_empty());
}

/// A message in one chunk is a slice of the input buffer, not a copy.
#[test]
fn single_chunk_message_is_a_slice_of_the_input() {
    let bytes = encode_all(&[
        (3, msg(0, 8, 1, pattern(100, 1))),
        (3, msg(20, 8, 1, pattern(100, 2))),
    ]);
    let mut input = BytesMut::from(&bytes[..]);
    let base = input.as_ptr() as usize;
    let mut dec = ChunkDecoder::new(&Limits::default());
    let first = dec.decode(&mut input).unwrap().unwrap();
    assert_eq!(first.payload.as_ptr() as usize, base + 12);
    let second = dec.decode(&mut input).unwrap().unwrap();
    assert_eq!(second.payload.as_ptr() as usize, base + 12 + 100 + 4);
    assert_eq!(second.payload, pattern(100, 2));
}
