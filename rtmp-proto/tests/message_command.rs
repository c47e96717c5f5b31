//! Commands (types 20 and 17): decoding real-world shapes, the standard replies of
//! NOTES 14-19 byte for byte, and round-trip properties.

mod message_support;

use bytes::Bytes;
use message_support::*;
use proptest::prelude::*;
use rtmp_proto::amf::{AmfError, DecodeLimits, Value};
use rtmp_proto::message::{Command, Encoding, MessageError, status};

fn decode(bytes: Vec<u8>, encoding: Encoding) -> Result<Command, MessageError> {
    Command::decode(&Bytes::from(bytes), encoding, &DecodeLimits::default())
}

fn encoded(c: &Command, encoding: Encoding) -> Vec<u8> {
    c.to_raw(encoding, 0, 0).payload.to_vec()
}

fn status_object(out: &mut Vec<u8>, level: &str, code: &str, description: &str) {
    obj(out);
    key(out, "level");
    s(out, level);
    key(out, "code");
    s(out, code);
    key(out, "description");
    s(out, description);
    end(out);
}

#[test]
fn decodes_an_ffmpeg_connect() {
    let bytes = amf(|o| {
        s(o, "connect");
        n(o, 1.0);
        obj(o);
        key(o, "app");
        s(o, "live");
        key(o, "type");
        s(o, "nonprivate");
        key(o, "flashVer");
        s(o, "FMLE/3.0 (compatible; Lavf60.3.100)");
        key(o, "tcUrl");
        s(o, "rtmp://localhost:1935/live");
        end(o);
    });
    let c = decode(bytes.clone(), Encoding::Amf0).unwrap();
    assert_eq!(c.name(), "connect");
    assert_eq!(c.transaction_id, 1.0);
    assert_eq!(
        c.command_object.get("app").and_then(Value::as_str),
        Some("live")
    );
    assert_eq!(
        c.command_object.get("tcUrl").and_then(Value::as_str),
        Some("rtmp://localhost:1935/live")
    );
    assert!(c.arguments.is_empty());
    assert_eq!(
        encoded(&c, Encoding::Amf0),
        bytes,
        "re-encodes byte for byte"
    );
}

#[test]
fn notes_15_obs_fcpublish_and_publish_arguments() {
    let c = decode(
        amf(|o| {
            s(o, "FCPublish");
            n(o, 4.0);
            null(o);
            s(o, "streamkey");
        }),
        Encoding::Amf0,
    )
    .unwrap();
    assert_eq!((c.name(), c.transaction_id), ("FCPublish", 4.0));
    assert!(c.command_object.is_null());
    assert_eq!(c.argument(0).and_then(Value::as_str), Some("streamkey"));

    let c = decode(
        amf(|o| {
            s(o, "publish");
            n(o, 5.0);
            null(o);
            s(o, "streamkey");
            s(o, "live");
        }),
        Encoding::Amf0,
    )
    .unwrap();
    assert_eq!(c.argument(1).and_then(Value::as_str), Some("live"));
}

#[test]
fn missing_transaction_id_and_command_object_are_tolerated() {
    let c = decode(amf(|o| s(o, "onBWDone")), Encoding::Amf0).unwrap();
    assert_eq!(c, Command::new("onBWDone", 0.0, Value::Null, vec![]));
    let c = decode(
        amf(|o| {
            s(o, "onFCPublish");
            n(o, 0.0);
        }),
        Encoding::Amf0,
    )
    .unwrap();
    assert_eq!(c, Command::new("onFCPublish", 0.0, Value::Null, vec![]));
    let c = decode(
        amf(|o| {
            s(o, "onStatus");
            null(o);
            null(o);
        }),
        Encoding::Amf0,
    )
    .unwrap();
    assert_eq!(c, Command::new("onStatus", 0.0, Value::Null, vec![]));
}

#[test]
fn notes_9_type_17_has_a_format_byte_and_may_switch_to_amf3() {
    let mut bytes = vec![0x00];
    bytes.extend(amf(|o| {
        s(o, "play");
        n(o, 3.0);
        null(o);
    }));
    // 0x11: the next value is AMF3; 0x04 0x05 is the AMF3 integer 5.
    bytes.extend_from_slice(&[0x11, 0x04, 0x05]);
    let c = decode(bytes.clone(), Encoding::Amf3).unwrap();
    assert_eq!((c.name(), c.transaction_id), ("play", 3.0));
    assert_eq!(c.arguments, vec![Value::Amf3(Box::new(Value::Integer(5)))]);
    assert_eq!(c.argument(0).and_then(Value::as_f64), Some(5.0));
    assert_eq!(encoded(&c, Encoding::Amf3), bytes);
    assert_eq!(c.to_raw(Encoding::Amf3, 0, 1).type_id, 17);

    // A peer that leaves the format byte out is understood too.
    assert_eq!(decode(bytes[1..].to_vec(), Encoding::Amf3), Ok(c));
}

#[test]
fn malformed_commands_are_typed_errors() {
    assert_eq!(
        decode(vec![], Encoding::Amf0),
        Err(MessageError::CommandName)
    );
    assert_eq!(
        decode(amf(|o| n(o, 1.0)), Encoding::Amf0),
        Err(MessageError::CommandName)
    );
    assert_eq!(
        decode(
            amf(|o| {
                s(o, "connect");
                s(o, "one");
            }),
            Encoding::Amf0
        ),
        Err(MessageError::TransactionId)
    );
    assert_eq!(
        decode(vec![0x02, 0x00, 0x09, b'c'], Encoding::Amf0),
        Err(MessageError::Amf {
            type_id: 20,
            error: AmfError::LengthExceedsInput {
                length: 9,
                remaining: 1
            }
        })
    );
}

#[test]
fn notes_14_connect_result_known_answer() {
    let expected = amf(|o| {
        s(o, "_result");
        n(o, 1.0);
        obj(o);
        key(o, "fmsVer");
        s(o, "FMS/3,0,1,123");
        key(o, "capabilities");
        n(o, 31.0);
        key(o, "mode");
        n(o, 1.0);
        end(o);
        obj(o);
        key(o, "level");
        s(o, "status");
        key(o, "code");
        s(o, "NetConnection.Connect.Success");
        key(o, "description");
        s(o, "Connection succeeded.");
        key(o, "objectEncoding");
        n(o, 0.0);
        end(o);
    });
    let c = Command::connect_success(1.0, 0.0);
    assert_eq!(encoded(&c, Encoding::Amf0), expected);
    let raw = c.to_raw(Encoding::Amf0, 0, 0);
    assert_eq!((raw.type_id, raw.stream_id), (20, 0));
}

#[test]
fn notes_15_publish_start_on_status_known_answer() {
    let expected = amf(|o| {
        s(o, "onStatus");
        n(o, 0.0);
        null(o);
        status_object(
            o,
            "status",
            "NetStream.Publish.Start",
            "live/key is now published.",
        );
    });
    let c = Command::on_status(
        status::LEVEL_STATUS,
        status::PUBLISH_START,
        "live/key is now published.",
    );
    assert_eq!(encoded(&c, Encoding::Amf0), expected);
    let bad = Command::on_status(status::LEVEL_ERROR, status::PUBLISH_BAD_NAME, "in use");
    assert_eq!(
        bad.argument(0)
            .and_then(|i| i.get("code"))
            .and_then(Value::as_str),
        Some("NetStream.Publish.BadName")
    );
}

#[test]
fn notes_16_and_17_play_codes() {
    for (code, literal) in [
        (status::PLAY_RESET, "NetStream.Play.Reset"),
        (status::PLAY_START, "NetStream.Play.Start"),
        (status::PLAY_STOP, "NetStream.Play.Stop"),
        (
            status::PLAY_UNPUBLISH_NOTIFY,
            "NetStream.Play.UnpublishNotify",
        ),
        (status::PAUSE_NOTIFY, "NetStream.Pause.Notify"),
        (status::UNPAUSE_NOTIFY, "NetStream.Unpause.Notify"),
    ] {
        let expected = amf(|o| {
            s(o, "onStatus");
            n(o, 0.0);
            null(o);
            status_object(o, "status", literal, "d");
        });
        let c = Command::on_status(status::LEVEL_STATUS, code, "d");
        assert_eq!(encoded(&c, Encoding::Amf0), expected, "{literal}");
    }
}

#[test]
fn notes_18_unknown_call_gets_call_failed() {
    let expected = amf(|o| {
        s(o, "_error");
        n(o, 7.0);
        null(o);
        status_object(o, "error", "NetConnection.Call.Failed", "unknown command");
    });
    assert_eq!(
        encoded(
            &Command::call_failed(7.0, "unknown command"),
            Encoding::Amf0
        ),
        expected
    );
}

#[test]
fn notes_19_connect_rejection_and_redirect_known_answer() {
    let expected = amf(|o| {
        s(o, "_error");
        n(o, 1.0);
        null(o);
        status_object(o, "error", "NetConnection.Connect.Rejected", "bad key");
    });
    assert_eq!(
        encoded(&Command::connect_rejected(1.0, "bad key"), Encoding::Amf0),
        expected
    );

    let expected = amf(|o| {
        s(o, "_error");
        n(o, 1.0);
        null(o);
        obj(o);
        key(o, "level");
        s(o, "error");
        key(o, "code");
        s(o, "NetConnection.Connect.Rejected");
        key(o, "description");
        s(o, "moved");
        key(o, "ex");
        obj(o);
        key(o, "code");
        n(o, 302.0);
        key(o, "redirect");
        s(o, "rtmp://other/live");
        end(o);
        end(o);
    });
    let c = Command::connect_redirect(1.0, "rtmp://other/live", "moved");
    assert_eq!(encoded(&c, Encoding::Amf0), expected);
}

#[test]
fn create_stream_result_carries_the_stream_id() {
    let expected = amf(|o| {
        s(o, "_result");
        n(o, 4.0);
        null(o);
        n(o, 1.0);
    });
    let c = Command::result(4.0, Value::Null, Value::from(1.0));
    assert_eq!(encoded(&c, Encoding::Amf0), expected);
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![Just(Encoding::Amf0), Just(Encoding::Amf3)]
}

fn command() -> impl Strategy<Value = Command> {
    (
        ".{0,16}",
        any::<f64>().prop_filter("NaN != NaN", |f| !f.is_nan()),
        value(),
        proptest::collection::vec(value(), 0..4),
    )
        .prop_map(|(name, txn, object, args)| Command::new(name, txn, object, args))
}

proptest! {
    #[test]
    fn round_trip(c in command(), enc in encoding()) {
        let raw = c.to_raw(enc, 0, 1);
        prop_assert_eq!(Command::decode(&raw.payload, enc, &DecodeLimits::default()), Ok(c));
    }

    #[test]
    fn arbitrary_payloads_never_panic(payload in proptest::collection::vec(any::<u8>(), 0..64), enc in encoding()) {
        let _ = Command::decode(&Bytes::from(payload), enc, &DecodeLimits::default());
    }

    #[test]
    fn mutated_commands_never_panic(c in command(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = c.to_raw(Encoding::Amf0, 0, 0).payload.to_vec();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        let _ = Command::decode(&Bytes::from(bytes.clone()), Encoding::Amf0, &DecodeLimits::default());
        bytes.truncate(i);
        let _ = Command::decode(&Bytes::from(bytes), Encoding::Amf0, &DecodeLimits::default());
    }
}
