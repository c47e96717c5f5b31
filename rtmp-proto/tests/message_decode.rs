//! [`Message`]: dispatch on the type id, raw kinds kept zero-copy, round trips for every
//! message type, and no panics on any (type, payload).

mod message_support;

use bytes::Bytes;
use proptest::prelude::*;
use rtmp_proto::message::{
    Command, ControlMessage, DataMessage, Encoding, LimitType, Message, MessageError,
    UserControlEvent,
};
use rtmp_proto::{Limits, RawMessage};

fn raw(type_id: u8, payload: &'static [u8]) -> RawMessage {
    RawMessage {
        timestamp: 40,
        type_id,
        stream_id: 1,
        payload: Bytes::from_static(payload),
    }
}

fn decode(m: &RawMessage) -> Result<Message, MessageError> {
    Message::decode(m, &Limits::default())
}

#[test]
fn notes_9_every_type_id_goes_to_its_decoder() {
    assert_eq!(
        decode(&raw(1, &[0, 0, 0x10, 0])),
        Ok(Message::Control(ControlMessage::SetChunkSize(4096)))
    );
    assert_eq!(
        decode(&raw(4, &[0, 6, 0, 0, 0, 9])),
        Ok(Message::UserControl(UserControlEvent::PingRequest {
            timestamp: 9
        }))
    );
    let audio = raw(8, &[0xAF, 0x01, 0x21]);
    match decode(&audio).unwrap() {
        Message::Audio(p) => assert_eq!(p.as_ptr(), audio.payload.as_ptr(), "zero-copy"),
        other => panic!("expected audio, got {other:?}"),
    }
    assert_eq!(
        decode(&raw(9, &[0x17])),
        Ok(Message::Video(Bytes::from_static(&[0x17])))
    );
    assert_eq!(
        decode(&raw(19, &[1, 2])),
        Ok(Message::SharedObject {
            payload: Bytes::from_static(&[1, 2]),
            encoding: Encoding::Amf0
        })
    );
    assert_eq!(
        decode(&raw(16, &[0, 1, 2])),
        Ok(Message::SharedObject {
            payload: Bytes::from_static(&[0, 1, 2]),
            encoding: Encoding::Amf3
        })
    );
    assert_eq!(decode(&raw(22, &[])), Ok(Message::Aggregate(Bytes::new())));
    for type_id in [0, 7, 10, 14, 21, 23, 255] {
        assert_eq!(
            decode(&raw(type_id, &[1, 2, 3])),
            Ok(Message::Unknown {
                type_id,
                payload: Bytes::from_static(&[1, 2, 3])
            })
        );
    }
    // "connect" command, AMF0 and with a format byte as type 17.
    let connect: &[u8] = &[
        0x02, 0x00, 0x07, b'c', b'o', b'n', b'n', b'e', b'c', b't', 0x00, 0x3F, 0xF0, 0, 0, 0, 0,
        0, 0, 0x05,
    ];
    let expected = Command::new("connect", 1.0, rtmp_proto::amf::Value::Null, vec![]);
    assert_eq!(
        decode(&raw(20, connect)),
        Ok(Message::Command {
            command: expected.clone(),
            encoding: Encoding::Amf0
        })
    );
    let mut with_format = vec![0u8];
    with_format.extend_from_slice(connect);
    let m = RawMessage {
        payload: with_format.into(),
        ..raw(17, &[])
    };
    assert_eq!(
        decode(&m),
        Ok(Message::Command {
            command: expected,
            encoding: Encoding::Amf3
        })
    );
}

#[test]
fn errors_carry_their_cause() {
    assert_eq!(
        decode(&raw(6, &[0, 0, 0, 1, 9])),
        Err(MessageError::UnknownLimitType(9))
    );
    assert!(matches!(
        decode(&raw(18, &[0x02, 0xFF])),
        Err(MessageError::Amf { type_id: 18, .. })
    ));
}

fn message() -> impl Strategy<Value = Message> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..32).prop_map(Bytes::from);
    let encoding = || prop_oneof![Just(Encoding::Amf0), Just(Encoding::Amf3)];
    prop_oneof![
        (1..=ControlMessage::MAX_CHUNK_SIZE)
            .prop_map(|n| Message::Control(ControlMessage::SetChunkSize(n))),
        any::<u32>().prop_map(|n| Message::Control(ControlMessage::SetPeerBandwidth {
            window_size: n,
            limit_type: LimitType::Soft
        })),
        any::<u32>()
            .prop_map(|n| Message::UserControl(UserControlEvent::StreamBegin { stream_id: n })),
        bytes().prop_map(Message::Audio),
        bytes().prop_map(Message::Video),
        bytes().prop_map(Message::Aggregate),
        (bytes(), encoding())
            .prop_map(|(payload, encoding)| Message::SharedObject { payload, encoding }),
        (
            ".{0,8}",
            0.0..1e6f64,
            message_support::value(),
            proptest::collection::vec(message_support::value(), 0..3),
            encoding()
        )
            .prop_map(|(name, txn, obj, args, encoding)| Message::Command {
                command: Command::new(name, txn, obj, args),
                encoding
            }),
        (
            proptest::collection::vec(message_support::value(), 0..4),
            encoding()
        )
            .prop_map(|(values, encoding)| Message::Data {
                data: DataMessage::new(values),
                encoding
            }),
        (
            any::<u8>().prop_filter("undefined type", |t| {
                rtmp_proto::message::MessageType::from_id(*t).is_none()
            }),
            bytes()
        )
            .prop_map(|(type_id, payload)| Message::Unknown { type_id, payload }),
    ]
}

proptest! {
    #[test]
    fn round_trip(m in message(), ts in any::<u32>(), stream_id in any::<u32>()) {
        let raw = m.clone().into_raw(ts, stream_id);
        prop_assert_eq!((raw.timestamp, raw.stream_id), (ts, stream_id));
        prop_assert_eq!(raw.type_id, m.type_id());
        prop_assert_eq!(decode(&raw), Ok(m));
    }

    #[test]
    fn arbitrary_messages_never_panic(type_id in any::<u8>(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let m = RawMessage { timestamp: 0, type_id, stream_id: 0, payload: payload.into() };
        if let Ok(decoded) = decode(&m) {
            prop_assert_eq!(decoded.type_id(), type_id);
        }
    }
}
