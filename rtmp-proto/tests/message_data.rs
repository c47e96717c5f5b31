//! Data messages (types 18 and 15): metadata forms, zero-copy `@setDataFrame` unwrapping,
//! `|RtmpSampleAccess`, and round-trip properties.

mod message_support;

use bytes::Bytes;
use message_support::*;
use proptest::prelude::*;
use rtmp_proto::RawMessage;
use rtmp_proto::amf::{DecodeLimits, Value};
use rtmp_proto::message::data::{self, set_data_frame_inner};
use rtmp_proto::message::{DataMessage, Encoding};

fn metadata_body(o: &mut Vec<u8>) {
    s(o, "onMetaData");
    // ECMA array with 2 entries.
    o.push(0x08);
    o.extend_from_slice(&2u32.to_be_bytes());
    key(o, "width");
    n(o, 1280.0);
    key(o, "videocodecid");
    n(o, 7.0);
    end(o);
}

fn raw(type_id: u8, payload: Vec<u8>) -> RawMessage {
    RawMessage {
        timestamp: 0,
        type_id,
        stream_id: 1,
        payload: payload.into(),
    }
}

#[test]
fn notes_16_set_data_frame_is_unwrapped_without_copying() {
    let inner = amf(metadata_body);
    let mut payload = amf(|o| s(o, "@setDataFrame"));
    payload.extend_from_slice(&inner);
    let m = raw(18, payload);

    let unwrapped = set_data_frame_inner(&m).unwrap();
    assert_eq!(&unwrapped[..], &inner[..]);
    assert_eq!(
        unwrapped.as_ptr(),
        m.payload[16..].as_ptr(),
        "zero-copy slice"
    );

    // The decoded view agrees.
    let d = DataMessage::decode(&m.payload, Encoding::Amf0, &DecodeLimits::default()).unwrap();
    assert!(d.is_set_data_frame() && d.is_metadata());
    assert_eq!(
        d.metadata()
            .and_then(|v| v.get("width"))
            .and_then(Value::as_f64),
        Some(1280.0)
    );
    let plain = d.unwrap_set_data_frame();
    assert_eq!(plain.name(), Some(data::ON_METADATA));
    assert!(!plain.is_set_data_frame() && plain.is_metadata());
    assert_eq!(plain.to_raw(Encoding::Amf0, 0, 1).payload, unwrapped);

    // onMetaData itself is not a @setDataFrame.
    assert_eq!(set_data_frame_inner(&raw(18, inner)), None);
    // Neither is a non-data message.
    assert_eq!(set_data_frame_inner(&raw(20, m.payload.to_vec())), None);
}

#[test]
fn notes_9_type_15_format_byte_is_skipped() {
    let mut payload = vec![0x00];
    payload.extend(amf(|o| s(o, "@setDataFrame")));
    payload.extend(amf(metadata_body));
    let m = raw(15, payload.clone());
    assert_eq!(
        &set_data_frame_inner(&m).unwrap()[..],
        &amf(metadata_body)[..]
    );
    let d = DataMessage::decode(&m.payload, Encoding::Amf3, &DecodeLimits::default()).unwrap();
    assert!(d.is_metadata());
    assert_eq!(d.to_raw(Encoding::Amf3, 0, 1).payload, Bytes::from(payload));
}

#[test]
fn notes_16_sample_access_known_answer() {
    let expected = amf(|o| {
        s(o, "|RtmpSampleAccess");
        b(o, false);
        b(o, false);
    });
    let m = DataMessage::sample_access(false, false).to_raw(Encoding::Amf0, 0, 1);
    assert_eq!((m.type_id, &m.payload[..]), (18, &expected[..]));
}

#[test]
fn other_data_messages_are_not_metadata() {
    let d = DataMessage::new(vec![
        Value::from("onTextData"),
        Value::object([("text", "hi")]),
    ]);
    assert!(!d.is_metadata() && !d.is_set_data_frame());
    assert_eq!(d.metadata(), None);
    assert_eq!(d.clone().unwrap_set_data_frame(), d);
    assert_eq!(DataMessage::default().name(), None);
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![Just(Encoding::Amf0), Just(Encoding::Amf3)]
}

proptest! {
    #[test]
    fn round_trip(values in proptest::collection::vec(value(), 0..5), enc in encoding()) {
        let d = DataMessage::new(values);
        let raw = d.to_raw(enc, 0, 1);
        prop_assert_eq!(DataMessage::decode(&raw.payload, enc, &DecodeLimits::default()), Ok(d));
    }

    #[test]
    fn unwrapped_payload_decodes_to_the_unwrapped_message(values in proptest::collection::vec(value(), 0..4), enc in encoding()) {
        let mut all = vec![Value::from(data::SET_DATA_FRAME), Value::from(data::ON_METADATA)];
        all.extend(values);
        let d = DataMessage::new(all);
        let inner = set_data_frame_inner(&d.to_raw(enc, 0, 1)).unwrap();
        let back = DataMessage::decode(&inner, Encoding::Amf0, &DecodeLimits::default());
        prop_assert_eq!(back, Ok(d.unwrap_set_data_frame()));
    }

    #[test]
    fn arbitrary_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..64), type_id in prop_oneof![Just(15u8), Just(18)]) {
        let m = raw(type_id, payload);
        let _ = set_data_frame_inner(&m);
        let enc = if type_id == 15 { Encoding::Amf3 } else { Encoding::Amf0 };
        let _ = DataMessage::decode(&m.payload, enc, &DecodeLimits::default());
    }
}
