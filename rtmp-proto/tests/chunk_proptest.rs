//! Property tests: encode → decode is the identity under any interleaving, chunk size and
//! input split; arbitrary bytes never panic and never exceed the limits.

mod chunk_support;

use bytes::BytesMut;
use chunk_support::*;
use proptest::prelude::*;
use rtmp_proto::chunk::{ChunkDecoder, ChunkEncoder, OutboundMessage};
use rtmp_proto::{Limits, RawMessage};

const CSIDS: [u32; 8] = [2, 3, 4, 63, 64, 319, 320, 65599];

#[derive(Debug, Clone)]
enum Op {
    Send { csid: u32, message: RawMessage },
    SetChunkSize(u32),
}

fn timestamp() -> impl Strategy<Value = u32> {
    prop_oneof![
        0..2000u32,
        0xFF_FF00..0x100_0100u32,
        (u32::MAX - 200)..=u32::MAX,
        any::<u32>(),
    ]
}

fn chunk_size() -> impl Strategy<Value = u32> {
    prop_oneof![1..12u32, Just(128u32), Just(4096u32), Just(0x7FFF_FFFFu32)]
}

fn op() -> impl Strategy<Value = Op> {
    let send = (
        prop::sample::select(&CSIDS[..]),
        timestamp(),
        prop_oneof![Just(8u8), Just(9u8), Just(18u8), Just(20u8)],
        0..3u32,
        prop_oneof![4 => 0..300usize, 1 => 300..3000usize],
        any::<u8>(),
    )
        .prop_map(|(csid, ts, type_id, sid, len, seed)| Op::Send {
            csid,
            message: msg(ts, type_id, sid, pattern(len, seed)),
        });
    prop_oneof![8 => send, 1 => chunk_size().prop_map(Op::SetChunkSize)]
}

/// Sends `ops` chunk by chunk, `schedule` choosing which csid goes next (or dropping a
/// message that has not started), and returns the wire bytes and the messages in the order
/// their last chunk went out.
fn send_interleaved(ops: &[Op], schedule: &[u8]) -> (BytesMut, Vec<RawMessage>) {
    let mut enc = ChunkEncoder::new();
    let mut scratch = BytesMut::new();
    let mut wire = BytesMut::new();
    // Per csid: messages waiting, and the one whose chunks are going out.
    let mut queues: Vec<(
        u32,
        std::collections::VecDeque<RawMessage>,
        Option<OutboundMessage>,
    )> = Vec::new();
    for op in ops {
        let (csid, m) = match op {
            Op::Send { csid, message } => (*csid, message.clone()),
            Op::SetChunkSize(size) => (2, set_chunk_size(*size)),
        };
        match queues.iter_mut().find(|q| q.0 == csid) {
            Some(q) => q.1.push_back(m),
            None => queues.push((csid, [m].into(), None)),
        }
    }
    let mut done = Vec::new();
    let mut step = 0;
    loop {
        let live: Vec<usize> = (0..queues.len())
            .filter(|&i| queues[i].2.is_some() || !queues[i].1.is_empty())
            .collect();
        if live.is_empty() {
            break;
        }
        let pick = schedule
            .get(step % schedule.len().max(1))
            .copied()
            .unwrap_or(0);
        step += 1;
        let q = &mut queues[live[pick as usize % live.len()]];
        if q.2.is_none() {
            let m = q.1.pop_front().unwrap();
            // Dropping a droppable frame before its first chunk must be harmless.
            if pick >= 240 && m.type_id == 9 {
                continue;
            }
            q.2 = Some(enc.begin(q.0, &m).unwrap());
        }
        let out = q.2.as_mut().unwrap();
        // Both outbound forms: zero-copy slices and copied chunks.
        if pick % 2 == 0 {
            let (h, p) = enc.next_chunk(out, &mut scratch).unwrap();
            wire.extend_from_slice(&h);
            wire.extend_from_slice(&p);
        } else {
            assert!(enc.next_chunk_into(out, &mut wire));
        }
        if out.is_finished() {
            done.push(out.message().clone());
            q.2 = None;
        }
    }
    (wire, done)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn interleaved_round_trip_under_any_split(
        ops in prop::collection::vec(op(), 0..40),
        schedule in prop::collection::vec(any::<u8>(), 1..64),
        pieces in prop::collection::vec(1..400usize, 1..16),
    ) {
        let (wire, sent) = send_interleaved(&ops, &schedule);
        let got = decode_in_pieces(&Limits::default(), &wire, &pieces).unwrap();
        prop_assert_eq!(got, sent);
    }

    #[test]
    fn sequential_round_trip(
        ops in prop::collection::vec(op(), 0..30),
        pieces in prop::collection::vec(1..100usize, 1..8),
    ) {
        let mut enc = ChunkEncoder::new();
        let mut wire = BytesMut::new();
        let mut sent = Vec::new();
        for op in &ops {
            let (csid, m) = match op {
                Op::Send { csid, message } => (*csid, message.clone()),
                Op::SetChunkSize(size) => (2, set_chunk_size(*size)),
            };
            enc.encode_message(csid, &m, &mut wire).unwrap();
            sent.push(m);
        }
        prop_assert_eq!(decode_in_pieces(&Limits::default(), &wire, &pieces).unwrap(), sent);
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..3000),
        size in chunk_size(),
        pieces in prop::collection::vec(1..300usize, 1..8),
    ) {
        check_bounded(&bytes, size, &pieces);
    }

    /// Mutating a valid stream reaches deeper states than random bytes.
    #[test]
    fn mutated_streams_never_panic(
        ops in prop::collection::vec(op(), 1..20),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        pieces in prop::collection::vec(1..300usize, 1..8),
    ) {
        let (mut wire, _) = send_interleaved(&ops, &[0, 1, 2]);
        if !wire.is_empty() {
            for (at, byte) in flips {
                let i = at.index(wire.len());
                wire[i] = byte;
            }
        }
        check_bounded(&wire, 128, &pieces);
    }
}

/// Decodes until an error or the end, checking the bounds after every call.
fn check_bounded(bytes: &[u8], size: u32, pieces: &[usize]) {
    let mut limits = Limits::default();
    limits.max_message_len = 4000;
    limits.max_chunk_streams = 4;
    limits.max_partial_bytes = 6000;
    let mut dec = ChunkDecoder::new(&limits);
    dec.set_chunk_size(size).unwrap();
    let mut input = BytesMut::new();
    let mut at = 0;
    let mut i = 0;
    while at < bytes.len() {
        let end = (at + pieces[i % pieces.len()]).min(bytes.len());
        i += 1;
        input.extend_from_slice(&bytes[at..end]);
        at = end;
        loop {
            match dec.decode(&mut input) {
                Ok(Some(m)) => assert!(m.payload.len() <= 4000),
                Ok(None) => break,
                Err(_) => return,
            }
            assert!(dec.partial_bytes() <= limits.max_partial_bytes);
        }
        assert!(dec.partial_bytes() <= limits.max_partial_bytes);
    }
}
