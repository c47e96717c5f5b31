//! However the input is cut into reads, the decoder returns the same messages.

mod chunk_support;

use chunk_support::*;
use rtmp_proto::{Limits, RawMessage};

/// A stream with every csid form, every header format, extended timestamps, multi-chunk
/// messages and a chunk size change in the middle.
fn mixed_stream() -> Vec<(u32, RawMessage)> {
    let mut v = vec![
        (2, msg(0, 5, 0, vec![0, 0x26, 0x25, 0xA0])),
        (3, msg(0, 20, 0, pattern(150, 1))),
        (64, msg(10, 8, 1, pattern(40, 2))),
        (320, msg(0xFF_FFF0, 9, 1, pattern(300, 3))),
        (65599, msg(0x0100_0000, 9, 2, pattern(260, 4))),
        (2, set_chunk_size(77)),
    ];
    for i in 0..12u32 {
        v.push((319, msg(20 + i * 21, 8, 1, pattern(30, i as u8))));
        v.push((
            320,
            msg(
                0xFF_FFF0 + i * 40,
                9,
                1,
                pattern(if i % 3 == 0 { 400 } else { 60 }, i as u8),
            ),
        ));
        v.push((
            63,
            msg(
                (u32::MAX - 100).wrapping_add(i * 17),
                18,
                1,
                pattern(90, i as u8),
            ),
        ));
    }
    v.push((2, set_chunk_size(4096)));
    v.push((6, msg(5, 9, 1, pattern(5000, 7))));
    v
}

fn expected(v: &[(u32, RawMessage)]) -> Vec<RawMessage> {
    v.iter().map(|(_, m)| m.clone()).collect()
}

#[test]
fn every_two_piece_split() {
    let sent = mixed_stream();
    let bytes = encode_all(&sent);
    let want = expected(&sent);
    for cut in 1..bytes.len() {
        let got = decode_in_pieces(&Limits::default(), &bytes, &[cut, bytes.len()]).unwrap();
        assert!(got == want, "split at {cut}");
    }
}

#[test]
fn one_byte_at_a_time() {
    let sent = mixed_stream();
    let bytes = encode_all(&sent);
    assert_eq!(
        decode_in_pieces(&Limits::default(), &bytes, &[1]).unwrap(),
        expected(&sent)
    );
}

#[test]
fn seeded_random_splits() {
    let sent = mixed_stream();
    let bytes = encode_all(&sent);
    let want = expected(&sent);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..200 {
        let pieces: Vec<usize> = (0..64)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 300) as usize + 1
            })
            .collect();
        assert_eq!(
            decode_in_pieces(&Limits::default(), &bytes, &pieces).unwrap(),
            want
        );
    }
}
