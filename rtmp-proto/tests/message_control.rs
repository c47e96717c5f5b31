//! Protocol control messages (types 1, 2, 3, 5, 6): known answers and properties.

use bytes::Bytes;
use proptest::prelude::*;
use rtmp_proto::message::{ControlMessage, LimitType, MessageError};

fn encoded(m: ControlMessage) -> (u8, Vec<u8>) {
    let raw = m.to_raw(0);
    assert_eq!(
        raw.stream_id, 0,
        "control messages travel on message stream 0"
    );
    (raw.type_id, raw.payload.to_vec())
}

#[test]
fn notes_4_set_chunk_size_known_answer() {
    assert_eq!(
        encoded(ControlMessage::SetChunkSize(4096)),
        (1, vec![0x00, 0x00, 0x10, 0x00])
    );
    assert_eq!(
        ControlMessage::decode(1, &[0x00, 0x00, 0x10, 0x00]),
        Ok(ControlMessage::SetChunkSize(4096))
    );
}

#[test]
fn notes_4_set_chunk_size_is_31_bits_and_non_zero() {
    assert_eq!(
        ControlMessage::decode(1, &[0x7F, 0xFF, 0xFF, 0xFF]),
        Ok(ControlMessage::SetChunkSize(0x7FFF_FFFF))
    );
    assert_eq!(
        ControlMessage::decode(1, &[0x80, 0x00, 0x10, 0x00]),
        Err(MessageError::InvalidChunkSize(0x8000_1000))
    );
    assert_eq!(
        ControlMessage::decode(1, &[0, 0, 0, 0]),
        Err(MessageError::InvalidChunkSize(0))
    );
}

#[test]
fn notes_5_abort_known_answer() {
    assert_eq!(
        encoded(ControlMessage::Abort { chunk_stream_id: 6 }),
        (2, vec![0, 0, 0, 6])
    );
    assert_eq!(
        ControlMessage::decode(2, &[0, 0, 0x01, 0x3F]),
        Ok(ControlMessage::Abort {
            chunk_stream_id: 319
        })
    );
}

#[test]
fn notes_6_acknowledgement_and_window_known_answer() {
    assert_eq!(
        encoded(ControlMessage::Acknowledgement {
            sequence_number: 0xFFFF_FFF0
        }),
        (3, vec![0xFF, 0xFF, 0xFF, 0xF0])
    );
    assert_eq!(
        encoded(ControlMessage::WindowAckSize(5_000_000)),
        (5, vec![0x00, 0x4C, 0x4B, 0x40])
    );
    assert_eq!(
        ControlMessage::decode(5, &[0x00, 0x26, 0x25, 0xA0]),
        Ok(ControlMessage::WindowAckSize(2_500_000))
    );
}

#[test]
fn notes_7_set_peer_bandwidth_known_answer() {
    for (byte, limit_type) in [
        (0, LimitType::Hard),
        (1, LimitType::Soft),
        (2, LimitType::Dynamic),
    ] {
        let m = ControlMessage::SetPeerBandwidth {
            window_size: 2_500_000,
            limit_type,
        };
        assert_eq!(encoded(m), (6, vec![0x00, 0x26, 0x25, 0xA0, byte]));
        assert_eq!(
            ControlMessage::decode(6, &[0x00, 0x26, 0x25, 0xA0, byte]),
            Ok(m)
        );
    }
    assert_eq!(
        ControlMessage::decode(6, &[0x00, 0x26, 0x25, 0xA0, 3]),
        Err(MessageError::UnknownLimitType(3))
    );
}

#[test]
fn trailing_bytes_are_ignored() {
    assert_eq!(
        ControlMessage::decode(5, &[0, 0, 0x10, 0, 0xAA, 0xBB]),
        Ok(ControlMessage::WindowAckSize(4096))
    );
}

fn control_message() -> impl Strategy<Value = ControlMessage> {
    prop_oneof![
        (1..=ControlMessage::MAX_CHUNK_SIZE).prop_map(ControlMessage::SetChunkSize),
        any::<u32>().prop_map(|chunk_stream_id| ControlMessage::Abort { chunk_stream_id }),
        any::<u32>()
            .prop_map(|sequence_number| ControlMessage::Acknowledgement { sequence_number }),
        any::<u32>().prop_map(ControlMessage::WindowAckSize),
        (
            any::<u32>(),
            prop_oneof![
                Just(LimitType::Hard),
                Just(LimitType::Soft),
                Just(LimitType::Dynamic)
            ]
        )
            .prop_map(
                |(window_size, limit_type)| ControlMessage::SetPeerBandwidth {
                    window_size,
                    limit_type
                }
            ),
    ]
}

proptest! {
    #[test]
    fn round_trip(m in control_message(), ts in any::<u32>()) {
        let raw = m.to_raw(ts);
        prop_assert_eq!(raw.timestamp, ts);
        prop_assert_eq!(ControlMessage::decode(raw.type_id, &raw.payload), Ok(m));
    }

    #[test]
    fn arbitrary_payloads_never_panic(type_id in any::<u8>(), payload in proptest::collection::vec(any::<u8>(), 0..12)) {
        let payload = Bytes::from(payload);
        if let Ok(m) = ControlMessage::decode(type_id, &payload) {
            // What decodes re-encodes to the same type and the same leading bytes.
            let raw = m.to_raw(0);
            prop_assert_eq!(raw.type_id, type_id);
            prop_assert_eq!(&payload[..raw.payload.len()], &raw.payload[..]);
        }
    }
}
