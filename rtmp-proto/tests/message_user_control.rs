//! User Control events (type 4, NOTES 8): known answers and properties.

use bytes::Bytes;
use proptest::prelude::*;
use rtmp_proto::message::{MessageError, UserControlEvent};

fn decode(bytes: &'static [u8]) -> Result<UserControlEvent, MessageError> {
    UserControlEvent::decode(&Bytes::from_static(bytes))
}

#[test]
fn notes_8_known_answers() {
    use UserControlEvent::*;
    let cases: &[(UserControlEvent, &'static [u8])] = &[
        (StreamBegin { stream_id: 1 }, &[0, 0, 0, 0, 0, 1]),
        (StreamEof { stream_id: 1 }, &[0, 1, 0, 0, 0, 1]),
        (StreamDry { stream_id: 2 }, &[0, 2, 0, 0, 0, 2]),
        (
            SetBufferLength {
                stream_id: 1,
                buffer_ms: 3000,
            },
            &[0, 3, 0, 0, 0, 1, 0, 0, 0x0B, 0xB8],
        ),
        (StreamIsRecorded { stream_id: 1 }, &[0, 4, 0, 0, 0, 1]),
        (
            PingRequest {
                timestamp: 0x0102_0304,
            },
            &[0, 6, 1, 2, 3, 4],
        ),
        (
            PingResponse {
                timestamp: 0x0102_0304,
            },
            &[0, 7, 1, 2, 3, 4],
        ),
        (BufferEmpty { stream_id: 1 }, &[0, 31, 0, 0, 0, 1]),
        (BufferReady { stream_id: 1 }, &[0, 32, 0, 0, 0, 1]),
    ];
    for (event, bytes) in cases {
        let raw = event.to_raw(7);
        assert_eq!((raw.type_id, raw.stream_id), (4, 0), "{event:?}");
        assert_eq!(&raw.payload[..], *bytes, "{event:?}");
        assert_eq!(decode(bytes).as_ref(), Ok(event));
    }
}

#[test]
fn notes_8_unknown_events_are_kept_not_failed() {
    // librtmp's SWF verification request (26) with no data, and an event with data.
    assert_eq!(
        decode(&[0, 26]),
        Ok(UserControlEvent::Unknown {
            event_type: 26,
            data: Bytes::new()
        })
    );
    assert_eq!(
        decode(&[0x12, 0x34, 9, 9]),
        Ok(UserControlEvent::Unknown {
            event_type: 0x1234,
            data: Bytes::from_static(&[9, 9])
        })
    );
    // Event 5 is not defined by the spec.
    assert!(matches!(
        decode(&[0, 5, 0, 0, 0, 1]),
        Ok(UserControlEvent::Unknown { event_type: 5, .. })
    ));
}

#[test]
fn notes_8_truncated_known_events_are_errors() {
    assert_eq!(
        decode(&[0, 0, 0, 1]),
        Err(MessageError::Truncated { type_id: 4, len: 4 })
    );
    assert_eq!(
        decode(&[0]),
        Err(MessageError::Truncated { type_id: 4, len: 1 })
    );
}

const KNOWN: [u16; 9] = [0, 1, 2, 3, 4, 6, 7, 31, 32];

fn event() -> impl Strategy<Value = UserControlEvent> {
    use UserControlEvent::*;
    prop_oneof![
        any::<u32>().prop_map(|stream_id| StreamBegin { stream_id }),
        any::<u32>().prop_map(|stream_id| StreamEof { stream_id }),
        any::<u32>().prop_map(|stream_id| StreamDry { stream_id }),
        (any::<u32>(), any::<u32>()).prop_map(|(stream_id, buffer_ms)| SetBufferLength {
            stream_id,
            buffer_ms
        }),
        any::<u32>().prop_map(|stream_id| StreamIsRecorded { stream_id }),
        any::<u32>().prop_map(|timestamp| PingRequest { timestamp }),
        any::<u32>().prop_map(|timestamp| PingResponse { timestamp }),
        any::<u32>().prop_map(|stream_id| BufferEmpty { stream_id }),
        any::<u32>().prop_map(|stream_id| BufferReady { stream_id }),
        (
            any::<u16>().prop_filter("unknown type", |t| !KNOWN.contains(t)),
            proptest::collection::vec(any::<u8>(), 0..16)
        )
            .prop_map(|(event_type, data)| Unknown {
                event_type,
                data: data.into()
            }),
    ]
}

proptest! {
    #[test]
    fn round_trip(ev in event()) {
        prop_assert_eq!(UserControlEvent::decode(&ev.to_bytes()), Ok(ev));
    }

    #[test]
    fn arbitrary_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..16)) {
        let payload = Bytes::from(payload);
        match UserControlEvent::decode(&payload) {
            Ok(ev) => {
                let bytes = ev.to_bytes();
                prop_assert_eq!(&payload[..bytes.len()], &bytes[..]);
            }
            Err(e) => {
                let truncated = matches!(e, MessageError::Truncated { .. });
                prop_assert!(truncated, "unexpected error {:?}", e);
            }
        }
    }
}
