//! Hand-checked chunk stream bytes for RTMP-NOTES items 1-5 and 9, both directions.

mod chunk_support;

use bytes::BytesMut;
use chunk_support::*;
use rtmp_proto::Limits;
use rtmp_proto::chunk::{ChunkDecoder, ChunkEncoder};

/// The 11-byte fmt 0 header fields, big-endian except the stream id.
fn fmt0(ts: u32, len: u32, type_id: u8, sid: u32) -> Vec<u8> {
    let mut v = ts.to_be_bytes()[1..].to_vec();
    v.extend_from_slice(&len.to_be_bytes()[1..]);
    v.push(type_id);
    v.extend_from_slice(&sid.to_le_bytes());
    v
}

/// Item 1: a message on csid 2, 63, 64, 319, 320 and 65599 is written with the smallest
/// basic header and read back.
#[test]
fn item1_csid_forms_both_ways() {
    for (csid, basic) in [
        (2, vec![0x02]),
        (63, vec![0x3F]),
        (64, vec![0x00, 0x00]),
        (319, vec![0x00, 0xFF]),
        (320, vec![0x01, 0x00, 0x01]),
        (65599, vec![0x01, 0xFF, 0xFF]),
    ] {
        let m = msg(7, 20, 0, vec![0xAA, 0xBB]);
        let mut want = basic.clone();
        want.extend(fmt0(7, 2, 20, 0));
        want.extend([0xAA, 0xBB]);
        assert_eq!(
            &encode_all(&[(csid, m.clone())])[..],
            &want[..],
            "csid {csid}"
        );
        assert_eq!(decode_whole(&want).unwrap(), vec![m], "csid {csid}");
    }
    // 3-byte form for a csid the 2-byte form could carry: accepted (0x0100 + 64 = 320, and
    // 0x0005 + 64 = 69).
    let mut bytes = vec![0x01, 0x05, 0x00];
    bytes.extend(fmt0(1, 1, 8, 1));
    bytes.push(9);
    assert_eq!(decode_whole(&bytes).unwrap(), vec![msg(1, 8, 1, vec![9])]);
}

/// Item 2: the RTMP 1.0 spec's example 1 (§5.3.2.2): four 32-byte audio messages 20 ms apart
/// on csid 3 go out as fmt 0, fmt 2, fmt 3, fmt 3.
#[test]
fn item2_spec_example_audio_header_compression() {
    let msgs: Vec<_> = (0..4)
        .map(|i| (3, msg(1000 + 20 * i, 8, 12345, pattern(32, i as u8))))
        .collect();
    let mut want = vec![0x03];
    want.extend(fmt0(1000, 32, 8, 12345));
    want.extend_from_slice(&msgs[0].1.payload);
    want.extend([0x83, 0x00, 0x00, 20]);
    want.extend_from_slice(&msgs[1].1.payload);
    want.push(0xC3);
    want.extend_from_slice(&msgs[2].1.payload);
    want.push(0xC3);
    want.extend_from_slice(&msgs[3].1.payload);
    assert_eq!(&encode_all(&msgs)[..], &want[..]);
    let decoded = decode_whole(&want).unwrap();
    assert_eq!(
        decoded,
        msgs.into_iter().map(|(_, m)| m).collect::<Vec<_>>()
    );
}

/// Item 2: the spec's example 2: a 307-byte video message at chunk size 128 is a fmt 0
/// chunk and two fmt 3 chunks.
#[test]
fn item2_spec_example_video_split_in_chunks() {
    let m = msg(1000, 9, 12346, pattern(307, 5));
    let mut want = vec![0x04];
    want.extend(fmt0(1000, 307, 9, 12346));
    want.extend_from_slice(&m.payload[..128]);
    want.push(0xC4);
    want.extend_from_slice(&m.payload[128..256]);
    want.push(0xC4);
    want.extend_from_slice(&m.payload[256..]);
    assert_eq!(&encode_all(&[(4, m.clone())])[..], &want[..]);
    assert_eq!(decode_whole(&want).unwrap(), vec![m]);
}

/// Item 2: fmt 1 changes length and type and keeps the stream id; a fmt 3 chunk that
/// starts a message repeats the previous delta.
#[test]
fn item2_decode_each_format() {
    let mut b = vec![0x03];
    b.extend(fmt0(100, 2, 20, 1));
    b.extend([1, 2]);
    b.extend([0x43, 0, 0, 10, 0, 0, 3, 8, 3, 4, 5]); // fmt 1: delta 10, len 3, type 8
    b.extend([0x83, 0, 0, 20, 6, 7, 8]); // fmt 2: delta 20
    b.extend([0xC3, 9, 10, 11]); // fmt 3: delta 20 again
    assert_eq!(
        decode_whole(&b).unwrap(),
        vec![
            msg(100, 20, 1, vec![1, 2]),
            msg(110, 8, 1, vec![3, 4, 5]),
            msg(130, 8, 1, vec![6, 7, 8]),
            msg(150, 8, 1, vec![9, 10, 11]),
        ]
    );
}

/// Item 2: a fmt 3 chunk right after a fmt 0 header repeats the fmt 0 timestamp as the delta
/// (as ffmpeg and SRS read it); our encoder never writes that case.
#[test]
fn item2_fmt3_after_fmt0_repeats_the_timestamp() {
    let mut b = vec![0x05];
    b.extend(fmt0(40, 1, 9, 1));
    b.push(1);
    b.extend([0xC5, 2]);
    assert_eq!(
        decode_whole(&b).unwrap(),
        vec![msg(40, 9, 1, vec![1]), msg(80, 9, 1, vec![2])]
    );

    let sent = [(5, msg(40, 9, 1, vec![1])), (5, msg(80, 9, 1, vec![2]))];
    let enc = encode_all(&sent);
    assert_eq!(
        enc[13],
        0x85,
        "second message must be fmt 2, got {:02x?}",
        &enc[..]
    );
}

/// Item 3: timestamp 0x01000000 needs the extended field, and it is repeated on the
/// continuation chunk of a 200-byte message at chunk size 128.
#[test]
fn item3_extended_timestamp_on_continuation() {
    let m = msg(0x0100_0000, 9, 1, pattern(200, 3));
    let mut want = vec![0x06];
    want.extend(fmt0(0xFF_FFFF, 200, 9, 1));
    want.extend([0x01, 0, 0, 0]);
    want.extend_from_slice(&m.payload[..128]);
    want.extend([0xC6, 0x01, 0, 0, 0]);
    want.extend_from_slice(&m.payload[128..]);
    assert_eq!(&encode_all(&[(6, m.clone())])[..], &want[..]);
    assert_eq!(decode_whole(&want).unwrap(), vec![m.clone()]);

    // librtmp leaves it out on the continuation: still read correctly.
    let mut omitted = want[..want.len() - 72 - 4].to_vec();
    omitted.extend_from_slice(&m.payload[128..]);
    assert_eq!(omitted.len(), want.len() - 4);
    assert_eq!(decode_whole(&omitted).unwrap(), vec![m]);
}

/// Item 3: when the omitted field's place holds payload that starts like the extended
/// timestamp but differs, it is payload.
#[test]
fn item3_omitted_extended_timestamp_with_lookalike_payload() {
    let mut payload = pattern(200, 1).to_vec();
    payload[128..132].copy_from_slice(&[0x01, 0x00, 0x00, 0x07]);
    let m = msg(0x0100_0000, 9, 1, payload.clone());
    let mut b = vec![0x06];
    b.extend(fmt0(0xFF_FFFF, 200, 9, 1));
    b.extend([0x01, 0, 0, 0]);
    b.extend_from_slice(&payload[..128]);
    b.push(0xC6);
    b.extend_from_slice(&payload[128..]);
    for split in 0..b.len() {
        assert_eq!(
            decode_in_pieces(&Limits::default(), &b, &[split]).unwrap(),
            vec![m.clone()]
        );
    }
}

/// Item 4: Set Chunk Size is applied by the decoder from the very next chunk, which here is
/// already in the same input buffer, and the message is still returned.
#[test]
fn item4_set_chunk_size_applies_from_next_chunk() {
    let big = msg(5, 9, 1, pattern(3000, 9));
    let bytes = encode_all(&[(2, set_chunk_size(4096)), (6, big.clone())]);
    // The encoder applied it too: the big message is one chunk (1 + 11 header bytes).
    assert_eq!(bytes.len(), 12 + 4 + 12 + 3000);
    let mut dec = ChunkDecoder::new(&Limits::default());
    let mut input = BytesMut::from(&bytes[..]);
    assert_eq!(dec.decode(&mut input).unwrap(), Some(set_chunk_size(4096)));
    assert_eq!(dec.chunk_size(), 4096);
    assert_eq!(dec.decode(&mut input).unwrap(), Some(big));
    assert_eq!(dec.decode(&mut input).unwrap(), None);
}

/// Item 4: a Set Chunk Size between two chunks of another csid's message changes the size
/// of that message's remaining chunks, on both sides.
#[test]
fn item4_set_chunk_size_mid_message() {
    let mut enc = ChunkEncoder::new();
    let mut scratch = BytesMut::new();
    let video = msg(0, 9, 1, pattern(300, 4));
    let mut out = enc.begin(6, &video).unwrap();
    let mut wire = BytesMut::new();
    let (h, p) = enc.next_chunk(&mut out, &mut scratch).unwrap();
    assert_eq!(p.len(), 128);
    wire.extend_from_slice(&h);
    wire.extend_from_slice(&p);
    enc.encode_message(2, &set_chunk_size(1000), &mut wire)
        .unwrap();
    let (h, p) = enc.next_chunk(&mut out, &mut scratch).unwrap();
    assert_eq!((&h[..], p.len()), (&[0xC6][..], 172));
    wire.extend_from_slice(&h);
    wire.extend_from_slice(&p);
    assert!(enc.next_chunk(&mut out, &mut scratch).is_none());
    assert_eq!(
        decode_whole(&wire).unwrap(),
        vec![set_chunk_size(1000), video]
    );
}

/// Item 4: 0 and sizes with the top bit set are rejected; a short payload is an error.
#[test]
fn item4_invalid_chunk_sizes() {
    use rtmp_proto::chunk::ChunkError;
    for size in [0, 0x8000_0000, u32::MAX] {
        let bytes = encode_all(&[(2, set_chunk_size(size))]);
        assert_eq!(
            decode_whole(&bytes),
            Err(ChunkError::InvalidChunkSize(size))
        );
    }
    let bytes = encode_all(&[(2, set_chunk_size(0x7FFF_FFFF))]);
    assert!(decode_whole(&bytes).is_ok());
    let bytes = encode_all(&[(2, msg(0, 1, 0, vec![0, 0, 1]))]);
    assert_eq!(
        decode_whole(&bytes),
        Err(ChunkError::TruncatedControl { type_id: 1, len: 3 })
    );
    // On a non-zero message stream it is not protocol control: passed through untouched.
    let other = msg(0, 1, 5, vec![0, 0, 0, 0]);
    assert_eq!(
        decode_whole(&encode_all(&[(2, other.clone())])).unwrap(),
        vec![other]
    );
    let mut dec = ChunkDecoder::new(&Limits::default());
    assert_eq!(dec.set_chunk_size(0), Err(ChunkError::InvalidChunkSize(0)));
    assert!(ChunkEncoder::new().set_chunk_size(0x8000_0000).is_err());
}

/// Item 5: Abort discards the partial message of its csid; the csid's next message decodes
/// normally and the held bytes are released.
#[test]
fn item5_abort_discards_partial_message() {
    let mut enc = ChunkEncoder::new();
    let mut scratch = BytesMut::new();
    let mut wire = BytesMut::new();
    let mut out = enc.begin(6, &msg(0, 9, 1, pattern(300, 1))).unwrap();
    let (h, p) = enc.next_chunk(&mut out, &mut scratch).unwrap();
    wire.extend_from_slice(&h);
    wire.extend_from_slice(&p);

    let mut dec = ChunkDecoder::new(&Limits::default());
    assert_eq!(dec.decode(&mut wire).unwrap(), None);
    assert_eq!(dec.partial_bytes(), 300);

    enc.encode_message(2, &abort(6), &mut wire).unwrap();
    let next = msg(40, 9, 1, pattern(10, 2));
    // The abandoned message must not be continued: a fresh one on the same csid.
    enc.encode_message(6, &next, &mut wire).unwrap();
    assert_eq!(dec.decode(&mut wire).unwrap(), Some(abort(6)));
    assert_eq!(dec.partial_bytes(), 0);
    assert_eq!(dec.decode(&mut wire).unwrap(), Some(next));
    // Abort of an unknown csid is harmless.
    enc.encode_message(2, &abort(77), &mut wire).unwrap();
    assert_eq!(dec.decode(&mut wire).unwrap(), Some(abort(77)));
}

/// Item 9: control message types 1-6 and media types come through as raw messages with
/// their type ids; only 1 and 2 change chunk state.
#[test]
fn item9_message_types_pass_through() {
    let msgs: Vec<_> = [3u8, 4, 5, 6, 8, 9, 15, 17, 18, 20, 22]
        .iter()
        .enumerate()
        .map(|(i, &t)| (2 + i as u32, msg(i as u32, t, 0, pattern(6, t))))
        .collect();
    let got = decode_whole(&encode_all(&msgs)).unwrap();
    assert_eq!(got, msgs.into_iter().map(|(_, m)| m).collect::<Vec<_>>());
}
