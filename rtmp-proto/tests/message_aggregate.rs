//! Aggregate messages (type 22, NOTES 9): splitting, timestamps, building.

use bytes::Bytes;
use proptest::prelude::*;
use rtmp_proto::RawMessage;
use rtmp_proto::message::{AggregateMessages, MessageError, build_aggregate};

fn aggregate(timestamp: u32, stream_id: u32, payload: Vec<u8>) -> RawMessage {
    RawMessage {
        timestamp,
        type_id: 22,
        stream_id,
        payload: payload.into(),
    }
}

/// One FLV tag: header, payload and back-pointer (when `back_pointer`).
fn tag(type_id: u8, ts: u32, payload: &[u8], back_pointer: bool) -> Vec<u8> {
    let size = payload.len() as u32;
    let mut v = vec![type_id];
    v.extend_from_slice(&size.to_be_bytes()[1..]);
    v.extend_from_slice(&ts.to_be_bytes()[1..]);
    v.push((ts >> 24) as u8);
    v.extend_from_slice(&[0, 0, 0]);
    v.extend_from_slice(payload);
    if back_pointer {
        v.extend_from_slice(&(size + 11).to_be_bytes());
    }
    v
}

fn split(m: &RawMessage) -> Vec<Result<RawMessage, MessageError>> {
    AggregateMessages::new(m).collect()
}

fn sub(timestamp: u32, type_id: u8, stream_id: u32, payload: &'static [u8]) -> RawMessage {
    RawMessage {
        timestamp,
        type_id,
        stream_id,
        payload: Bytes::from_static(payload),
    }
}

#[test]
fn notes_9_aggregate_known_answer() {
    #[rustfmt::skip]
    let bytes = vec![
        // audio, 2 bytes, ts 5000 (0x001388), stream id field 0
        0x08, 0x00, 0x00, 0x02, 0x00, 0x13, 0x88, 0x00, 0x00, 0x00, 0x00,
        0xAF, 0x01,
        0x00, 0x00, 0x00, 0x0D,
        // video, 3 bytes, ts 5040 (0x0013B0)
        0x09, 0x00, 0x00, 0x03, 0x00, 0x13, 0xB0, 0x00, 0x00, 0x00, 0x00,
        0x17, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x0E,
    ];
    let m = aggregate(1000, 1, bytes);
    let subs = split(&m);
    assert_eq!(
        subs,
        vec![
            Ok(sub(1000, 8, 1, &[0xAF, 0x01])),
            Ok(sub(1040, 9, 1, &[0x17, 0x01, 0x00])),
        ]
    );
    // Zero-copy: the sub-message payloads point into the aggregate's payload.
    let first = subs[0].as_ref().unwrap();
    assert_eq!(first.payload.as_ptr(), m.payload[11..].as_ptr());
    // Building gives the same bytes back from messages with absolute timestamps 5000/5040.
    let rebuilt = build_aggregate(&[
        sub(5000, 8, 1, &[0xAF, 0x01]),
        sub(5040, 9, 1, &[0x17, 0x01, 0x00]),
    ])
    .unwrap();
    assert_eq!(
        (rebuilt.timestamp, rebuilt.type_id, rebuilt.stream_id),
        (5000, 22, 1)
    );
    assert_eq!(rebuilt.payload, m.payload);
}

#[test]
fn notes_9_sub_timestamps_use_the_extended_byte_and_wrap() {
    // Sub-message timestamps 0xFFFF_FFF0 and 0x0000_0010 are 0x20 ms apart across 2^32.
    let mut bytes = tag(8, 0xFFFF_FFF0, &[1], true);
    bytes.extend(tag(8, 0x0000_0010, &[2], true));
    let subs = split(&aggregate(100, 3, bytes.clone()));
    assert_eq!(
        subs,
        vec![Ok(sub(100, 8, 3, &[1])), Ok(sub(132, 8, 3, &[2]))]
    );
    // And the aggregate's own timestamp wraps too.
    let subs = split(&aggregate(0xFFFF_FFFF, 3, bytes));
    assert_eq!(
        subs,
        vec![Ok(sub(0xFFFF_FFFF, 8, 3, &[1])), Ok(sub(0x1F, 8, 3, &[2]))]
    );
    // A sub-message older than the first one goes backwards (wrapping), no panic.
    let mut bytes = tag(9, 0x0100_0000, &[1], true);
    bytes.extend(tag(9, 0x00FF_FFFF, &[2], true));
    let subs = split(&aggregate(0, 1, bytes));
    assert_eq!(
        subs,
        vec![Ok(sub(0, 9, 1, &[1])), Ok(sub(u32::MAX, 9, 1, &[2]))]
    );
}

#[test]
fn notes_9_missing_final_back_pointer_is_tolerated() {
    let mut bytes = tag(8, 10, &[1, 2], true);
    bytes.extend(tag(9, 20, &[3], false));
    assert_eq!(
        split(&aggregate(0, 1, bytes)),
        vec![Ok(sub(0, 8, 1, &[1, 2])), Ok(sub(10, 9, 1, &[3]))]
    );
}

#[test]
fn notes_9_truncated_sub_message_is_an_error_after_the_complete_ones() {
    let mut bytes = tag(8, 10, &[1, 2], true);
    let second = tag(9, 20, &[3, 4, 5], true);
    bytes.extend_from_slice(&second[..13]); // header + 2 of 3 payload bytes
    assert_eq!(
        split(&aggregate(0, 1, bytes)),
        vec![
            Ok(sub(0, 8, 1, &[1, 2])),
            Err(MessageError::AggregateTruncated {
                offset: 17,
                needed: 14,
                available: 13
            })
        ]
    );
    // A partial header, and a partial back-pointer.
    let mut bytes = tag(8, 10, &[1], true);
    bytes.extend_from_slice(&[9, 0, 0]);
    let subs = split(&aggregate(0, 1, bytes));
    assert_eq!(subs.len(), 2);
    assert!(matches!(
        subs[1],
        Err(MessageError::AggregateTruncated { offset: 16, .. })
    ));
    let mut bytes = tag(8, 10, &[1], false);
    bytes.extend_from_slice(&[0, 0]);
    let subs = split(&aggregate(0, 1, bytes));
    assert_eq!(subs.len(), 2);
    assert!(matches!(
        subs[1],
        Err(MessageError::AggregateTruncated { offset: 12, .. })
    ));
}

#[test]
fn empty_aggregate_has_no_messages() {
    assert!(split(&aggregate(0, 1, vec![])).is_empty());
    assert_eq!(build_aggregate(&[]), None);
}

fn message() -> impl Strategy<Value = RawMessage> {
    (
        any::<u32>(),
        prop_oneof![Just(8u8), Just(9), Just(18), any::<u8>()],
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(timestamp, type_id, payload)| RawMessage {
            timestamp,
            type_id,
            stream_id: 0,
            payload: payload.into(),
        })
}

proptest! {
    #[test]
    fn round_trip(mut messages in proptest::collection::vec(message(), 1..8), stream_id in any::<u32>()) {
        for m in &mut messages {
            m.stream_id = stream_id;
        }
        let agg = build_aggregate(&messages).unwrap();
        let back: Result<Vec<_>, _> = AggregateMessages::new(&agg).collect();
        prop_assert_eq!(back, Ok(messages));
    }

    #[test]
    fn arbitrary_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..128), ts in any::<u32>()) {
        let m = aggregate(ts, 1, payload);
        let mut count = 0usize;
        let mut errors = 0usize;
        let mut it = AggregateMessages::new(&m);
        for r in it.by_ref() {
            count += 1;
            match r {
                Ok(sub) => prop_assert_eq!(sub.stream_id, 1),
                Err(_) => errors += 1,
            }
        }
        // Each yielded message consumed at least a header; an error ends the iteration.
        prop_assert!(count <= m.payload.len() / 11 + 1);
        prop_assert!(errors <= 1);
        prop_assert!(it.next().is_none(), "fused");
    }
}
