//! RTMP-NOTES item 3: timestamps across 0xFFFFFF and 2^32, in both directions.

mod chunk_support;

use chunk_support::*;
use rtmp_proto::Limits;

/// Audio every 23 ms and video every 33 ms, starting just before `start`, with a message
/// longer than the chunk size every few frames.
fn session_around(start: u32) -> Vec<(u32, rtmp_proto::RawMessage)> {
    let mut v = Vec::new();
    for i in 0..40u32 {
        let ts = start.wrapping_add(i * 23);
        v.push((4, msg(ts, 8, 1, pattern(20, i as u8))));
        let len = if i % 5 == 0 { 700 } else { 90 };
        v.push((
            6,
            msg(start.wrapping_add(i * 33), 9, 1, pattern(len, i as u8)),
        ));
    }
    v
}

#[test]
fn round_trip_across_24_bit_boundary() {
    let sent = session_around(0xFF_FFFF - 200);
    let bytes = encode_all(&sent);
    for pieces in [&[][..], &[1], &[7, 300, 1]] {
        let got = decode_in_pieces(&Limits::default(), &bytes, pieces).unwrap();
        assert_eq!(got, sent.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>());
    }
}

#[test]
fn round_trip_across_2_pow_32() {
    let sent = session_around(u32::MAX - 300);
    let bytes = encode_all(&sent);
    for pieces in [&[][..], &[1], &[5, 129, 2]] {
        let got = decode_in_pieces(&Limits::default(), &bytes, pieces).unwrap();
        assert_eq!(got, sent.iter().map(|(_, m)| m.clone()).collect::<Vec<_>>());
    }
}

/// A peer's delta that carries the timestamp past 2^32 wraps, it never panics or saturates.
#[test]
fn decoder_wraps_deltas() {
    let mut b = vec![
        0x04, 0xFF, 0xFF, 0xFF, 0, 0, 1, 8, 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xF0, 1,
    ];
    b.extend([0x84, 0, 0, 0x20, 2]); // fmt 2, delta 0x20
    b.extend([0xC4, 3]); // fmt 3, delta 0x20 again
    b.extend([0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 4]); // delta 2^32-1: "minus one"
    b.extend([0xC4, 0xFF, 0xFF, 0xFF, 0xFF, 5]); // fmt 3 repeats it, with the extended field
    assert_eq!(
        decode_whole(&b).unwrap(),
        vec![
            msg(0xFFFF_FFF0, 8, 1, vec![1]),
            msg(0x10, 8, 1, vec![2]),
            msg(0x30, 8, 1, vec![3]),
            msg(0x2F, 8, 1, vec![4]),
            msg(0x2E, 8, 1, vec![5]),
        ]
    );
}

/// Large deltas (over 0xFFFFFF) use the extended field on fmt 2 and on the fmt 3 headers
/// that repeat them, and on every continuation chunk.
#[test]
fn large_deltas_round_trip() {
    let sent: Vec<_> = (0..6u32)
        .map(|i| {
            (
                5,
                msg(i.wrapping_mul(0x0100_0001), 9, 1, pattern(300, i as u8)),
            )
        })
        .collect();
    let bytes = encode_all(&sent);
    let got = decode_in_pieces(&Limits::default(), &bytes, &[3]).unwrap();
    assert_eq!(got, sent.into_iter().map(|(_, m)| m).collect::<Vec<_>>());
}

/// Backwards timestamps make the encoder fall back to fmt 0 (an absolute timestamp).
#[test]
fn backwards_timestamp_uses_fmt0() {
    let sent = [(4, msg(1000, 8, 1, vec![1])), (4, msg(900, 8, 1, vec![2]))];
    let bytes = encode_all(&sent);
    assert_eq!(bytes[13], 0x04, "second header: {:02x?}", &bytes[..]);
    assert_eq!(&bytes[14..17], &[0, 0x03, 0x84]);
    assert_eq!(
        decode_whole(&bytes).unwrap(),
        vec![sent[0].1.clone(), sent[1].1.clone()]
    );
}
