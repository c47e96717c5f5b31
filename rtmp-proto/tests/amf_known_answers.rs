//! Known-answer tests: hand-written bytes from the AMF0 and AMF3 specs and from captures of
//! real peers (RTMP-NOTES items 10 and 11).

use bytes::{Bytes, BytesMut};
use rtmp_proto::amf::{
    AmfError, AmfString, Array, DecodeLimits, Object, Value, Vector, amf0, amf3,
};

fn hex(s: &str) -> Bytes {
    let s: String = s.split_whitespace().collect();
    Bytes::from(
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect::<Vec<u8>>(),
    )
}

/// AMF0 short string body: u16 length + bytes.
fn s0(text: &str) -> Vec<u8> {
    let mut v = (text.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(text.as_bytes());
    v
}

fn enc0(values: &[Value]) -> Bytes {
    let mut out = BytesMut::new();
    amf0::encode_all(values, &mut out);
    out.freeze()
}

fn enc3(values: &[Value]) -> Bytes {
    let mut out = BytesMut::new();
    amf3::encode_all(values, &mut out);
    out.freeze()
}

fn dec0(bytes: &Bytes) -> Result<Vec<Value>, AmfError> {
    amf0::decode_all(bytes, &DecodeLimits::default())
}

fn dec3(bytes: &Bytes) -> Result<Vec<Value>, AmfError> {
    amf3::decode_all(bytes, &DecodeLimits::default())
}

/// The connect command ffmpeg 5.1 (Lavf59.27.100) sends when publishing, laid out by hand
/// from the AMF0 spec: string marker 02, number marker 00, object marker 03, end 00 00 09.
fn ffmpeg_connect_bytes() -> Bytes {
    let mut b = vec![0x02];
    b.extend(s0("connect"));
    b.push(0x00);
    b.extend(1.0f64.to_be_bytes()); // 3F F0 00 00 00 00 00 00
    b.push(0x03);
    for (k, v) in [
        ("app", "live"),
        ("type", "nonprivate"),
        ("flashVer", "FMLE/3.0 (compatible; Lavf59.27.100)"),
        ("tcUrl", "rtmp://localhost:1935/live"),
    ] {
        b.extend(s0(k));
        b.push(0x02);
        b.extend(s0(v));
    }
    b.extend([0x00, 0x00, 0x09]);
    Bytes::from(b)
}

#[test]
fn item10_ffmpeg_connect_decodes_and_reencodes_identically() {
    let bytes = ffmpeg_connect_bytes();
    assert_eq!(
        &bytes[..19],
        &hex("02 0007 636f6e6e656374 00 3ff0000000000000")[..]
    );
    let values = dec0(&bytes).unwrap();
    assert_eq!(values.len(), 3);
    assert_eq!(values[0].as_str(), Some("connect"));
    assert_eq!(values[1].as_f64(), Some(1.0));
    let obj = &values[2];
    assert_eq!(obj.get("app").and_then(Value::as_str), Some("live"));
    assert_eq!(obj.get("type").and_then(Value::as_str), Some("nonprivate"));
    assert_eq!(
        obj.get("flashVer").and_then(Value::as_str),
        Some("FMLE/3.0 (compatible; Lavf59.27.100)")
    );
    assert_eq!(
        obj.get("tcUrl").and_then(Value::as_str),
        Some("rtmp://localhost:1935/live")
    );
    let keys: Vec<&str> = obj
        .properties()
        .unwrap()
        .iter()
        .map(|(k, _)| &**k)
        .collect();
    assert_eq!(
        keys,
        ["app", "type", "flashVer", "tcUrl"],
        "insertion order kept"
    );
    assert_eq!(enc0(&values), bytes);

    // Built with the ergonomic constructors, it encodes to the same bytes.
    let built = [
        Value::from("connect"),
        Value::from(1),
        rtmp_proto::amf_object! {
            "app" => "live",
            "type" => "nonprivate",
            "flashVer" => "FMLE/3.0 (compatible; Lavf59.27.100)",
            "tcUrl" => "rtmp://localhost:1935/live",
        },
    ];
    assert_eq!(enc0(&built), bytes);
    assert_eq!(built, values[..]);
}

#[test]
fn item10_decoded_strings_share_the_payload() {
    let bytes = ffmpeg_connect_bytes();
    let values = dec0(&bytes).unwrap();
    let app = values[2]
        .get("tcUrl")
        .and_then(Value::as_amf_string)
        .unwrap();
    let range = bytes.as_ptr_range();
    assert!(
        range.contains(&app.as_bytes().as_ptr()),
        "zero-copy slice of the input"
    );
}

#[test]
fn item10_every_amf0_marker() {
    let cases: Vec<(&str, Value)> = vec![
        ("00 4045000000000000", Value::Number(42.0)),
        ("01 01", Value::Boolean(true)),
        ("01 00", Value::Boolean(false)),
        ("02 0002 6869", Value::from("hi")),
        ("03 0001 61 05 000009", Value::object([("a", Value::Null)])),
        ("05", Value::Null),
        ("06", Value::Undefined),
        (
            "08 00000001 0001 6b 0101 000009",
            Value::ecma_array([("k", true)]),
        ),
        (
            "0a 00000002 00 3ff0000000000000 05",
            Value::strict_array([Value::Number(1.0), Value::Null]),
        ),
        (
            "0b 4000000000000000 ffc4",
            Value::Date {
                millis: 2.0,
                timezone: -60,
            },
        ),
        ("0d", Value::Unsupported),
        ("0f 00000003 3c612f", Value::XmlDocument("<a/".into())),
        (
            "10 0001 50 0001 78 0101 000009",
            Value::typed_object("P", [("x", true)]),
        ),
        ("11 04 7f", Value::Amf3(Box::new(Value::Integer(127)))),
    ];
    for (text, value) in cases {
        let bytes = hex(text);
        assert_eq!(
            dec0(&bytes).unwrap(),
            std::slice::from_ref(&value),
            "decoding {text}"
        );
        assert_eq!(enc0(&[value]), bytes, "encoding {text}");
    }
    assert_eq!(dec0(&hex("04")), Err(AmfError::ReservedMarker(0x04)));
    assert_eq!(dec0(&hex("0e")), Err(AmfError::ReservedMarker(0x0e)));
    assert_eq!(dec0(&hex("09")), Err(AmfError::UnexpectedObjectEnd));
    assert_eq!(dec0(&hex("12")), Err(AmfError::UnknownAmf0Marker(0x12)));
}

#[test]
fn item10_long_string_chosen_by_length() {
    let short = "x".repeat(0xFFFF);
    let long = "y".repeat(0x10000);
    let bytes = enc0(&[Value::from(short.clone()), Value::from(long.clone())]);
    assert_eq!(&bytes[..3], &[0x02, 0xFF, 0xFF]);
    let at = 3 + 0xFFFF;
    assert_eq!(&bytes[at..at + 5], &[0x0C, 0x00, 0x01, 0x00, 0x00]);
    let back = dec0(&bytes).unwrap();
    assert_eq!(back[0].as_str(), Some(short.as_str()));
    assert_eq!(back[1].as_str(), Some(long.as_str()));
    // A long-string marker with a short string decodes to the same value.
    assert_eq!(dec0(&hex("0c 00000002 6869")).unwrap(), [Value::from("hi")]);
}

#[test]
fn item10_ecma_array_with_wrong_count_and_missing_end_marker() {
    // onMetaData as some encoders send it: count says 0, two entries, no end marker.
    let mut b = vec![0x02];
    b.extend(s0("onMetaData"));
    b.extend([0x08, 0, 0, 0, 0]);
    b.extend(s0("width"));
    b.push(0x00);
    b.extend(1280.0f64.to_be_bytes());
    b.extend(s0("height"));
    b.push(0x00);
    b.extend(720.0f64.to_be_bytes());
    let values = dec0(&Bytes::from(b.clone())).unwrap();
    let meta = &values[1];
    assert!(matches!(meta, Value::EcmaArray(p) if p.len() == 2));
    assert_eq!(meta.get("height").and_then(Value::as_f64), Some(720.0));

    // Count too large (5) but the end marker is there: ends at the marker.
    b[1 + 12 + 4] = 5;
    b.extend([0x00, 0x00, 0x09, 0x05]);
    let values = dec0(&Bytes::from(b)).unwrap();
    assert_eq!(values.len(), 3);
    assert_eq!(values[2], Value::Null);
    // Written back with the real count and an end marker.
    let again = enc0(&values);
    assert_eq!(&again[13..18], &[0x08, 0, 0, 0, 2]);
}

#[test]
fn item10_object_references_expand() {
    // [obj {a: 1}, ref 0] : strict array (index 0), object (index 1), reference to 1.
    let bytes = hex("0a 00000002 03 0001 61 00 3ff0000000000000 000009 07 0001");
    let values = dec0(&bytes).unwrap();
    let obj = Value::object([("a", 1.0)]);
    assert_eq!(values, [Value::strict_array([obj.clone(), obj])]);
    // Out of range, and a reference to the array still being decoded (a cycle).
    assert!(matches!(
        dec0(&hex("07 0000")),
        Err(AmfError::BadReference { .. })
    ));
    assert!(matches!(
        dec0(&hex("0a 00000001 07 0000")),
        Err(AmfError::BadReference { .. })
    ));
}

#[test]
fn item10_amf3_values_inside_amf0_keep_the_switch() {
    // An AMF0 command whose argument is an AMF3 object: 11 0a 0b 01 03 61 04 05 01
    let bytes = hex("02 0004 74657374 11 0a0b01 0361 0405 01 11 06 00");
    let values = dec0(&bytes).unwrap();
    assert_eq!(values[1].get("a").and_then(Value::as_f64), Some(5.0));
    // The AMF3 string table is shared across switches in one message: "a" is string 0.
    assert_eq!(values[2], Value::Amf3(Box::new(Value::from("a"))));
    assert_eq!(enc0(&values), bytes);
}

#[test]
fn item11_u29_boundaries() {
    let cases = [
        ("04 00", 0),
        ("04 7f", 0x7f),
        ("04 8100", 0x80),
        ("04 ff7f", 0x3fff),
        ("04 818000", 0x4000),
        ("04 ffff7f", 0x1f_ffff),
        ("04 80c08000", 0x20_0000),
        ("04 bfffffff", (1 << 28) - 1),
        ("04 c0808000", -(1 << 28)),
        ("04 ffffffff", -1),
    ];
    for (text, n) in cases {
        let bytes = hex(text);
        assert_eq!(dec3(&bytes).unwrap(), [Value::Integer(n)], "{text}");
        assert_eq!(enc3(&[Value::Integer(n)]), bytes, "{text}");
    }
    // Outside 29 bits: written as a double.
    assert_eq!(enc3(&[Value::Integer(1 << 28)]), hex("05 41b0000000000000"));
}

#[test]
fn item11_string_references_and_empty_string() {
    // "ab", "", "ab" (reference 0), "cd", "cd" (reference 1)
    let values: Vec<Value> = ["ab", "", "ab", "cd", "cd"]
        .into_iter()
        .map(Value::from)
        .collect();
    let bytes = hex("06 05 6162  06 01  06 00  06 05 6364  06 02");
    assert_eq!(enc3(&values), bytes);
    assert_eq!(dec3(&bytes).unwrap(), values);
    assert!(matches!(
        dec3(&hex("06 02")),
        Err(AmfError::BadReference { .. })
    ));
}

#[test]
fn item11_traits_and_object_references() {
    // From a PHP AMF3 encoder: [t1, t2, t1] of a sealed class `test1 {a, b, c}`, the third a
    // reference to the first object; the second object reuses the traits by reference.
    let bytes = hex("0907010a330b74657374310361036203630602060562620607636363\
         0a010605613206076262320609636363320a02");
    let values = dec3(&bytes).unwrap();
    let t = |a: &'static str, b: &'static str, c: &'static str| {
        Value::Object(Box::new(Object {
            class_name: Some("test1".into()),
            properties: vec![
                ("a".into(), a.into()),
                ("b".into(), b.into()),
                ("c".into(), c.into()),
            ],
            sealed_count: 3,
            dynamic: false,
        }))
    };
    let t1 = t("a", "bb", "ccc");
    let expected = Value::Array(Box::new(Array {
        dense: vec![t1.clone(), t("a2", "bb2", "ccc2"), t1],
        assoc: vec![],
    }));
    assert_eq!(values, std::slice::from_ref(&expected));
    // Our encoder writes the third object inline, the rest byte for byte the same.
    let ours = enc3(&[expected]);
    assert_eq!(&ours[..bytes.len() - 2], &bytes[..bytes.len() - 2]);
    assert_eq!(dec3(&ours).unwrap(), values);

    // {prop: {a: 1}}: anonymous dynamic traits sent once, then by reference.
    let bytes = hex("0a0b010970726f700a01036104010101");
    let inner = Value::object([("a", Value::Integer(1))]);
    let expected = Value::object([("prop", inner)]);
    assert_eq!(dec3(&bytes).unwrap(), std::slice::from_ref(&expected));
    assert_eq!(enc3(&[expected]), bytes);
}

#[test]
fn item11_every_amf3_marker() {
    let cases: Vec<(&str, Value)> = vec![
        ("00", Value::Undefined),
        ("01", Value::Null),
        ("02", Value::Boolean(false)),
        ("03", Value::Boolean(true)),
        ("05 3ff8000000000000", Value::Number(1.5)),
        ("07 07 3c612f", Value::XmlDocument("<a/".into())),
        (
            "08 01 4000000000000000",
            Value::Date {
                millis: 2.0,
                timezone: 0,
            },
        ),
        (
            "09 05 036b 03 01 04 01 02",
            Value::Array(Box::new(Array {
                dense: vec![Value::Integer(1), Value::Boolean(false)],
                assoc: vec![("k".into(), Value::Boolean(true))],
            })),
        ),
        ("0b 07 3c622f", Value::Xml("<b/".into())),
        ("0c 05 0102", Value::ByteArray(Bytes::from_static(&[1, 2]))),
        (
            "0d 05 00 00000001 ffffffff",
            Value::VectorInt(Vector::new(vec![1, -1])),
        ),
        (
            "0e 03 01 ffffffff",
            Value::VectorUint(Vector {
                fixed: true,
                items: vec![u32::MAX],
            }),
        ),
        (
            "0f 03 00 3ff0000000000000",
            Value::VectorDouble(Vector::new(vec![1.0])),
        ),
        (
            "10 03 00 03 2a 01",
            Value::VectorObject(Box::new(rtmp_proto::amf::ObjectVector {
                fixed: false,
                type_name: AmfString::from("*"),
                items: vec![Value::Null],
            })),
        ),
        (
            "11 03 00 06 036b 04 07",
            Value::Dictionary(Box::new(rtmp_proto::amf::Dictionary {
                weak_keys: false,
                entries: vec![(Value::from("k"), Value::Integer(7))],
            })),
        ),
    ];
    for (text, value) in cases {
        let bytes = hex(text);
        assert_eq!(
            dec3(&bytes).unwrap(),
            std::slice::from_ref(&value),
            "decoding {text}"
        );
        assert_eq!(enc3(&[value]), bytes, "encoding {text}");
    }
    assert_eq!(dec3(&hex("12")), Err(AmfError::UnknownAmf3Marker(0x12)));
}

#[test]
fn item11_externalizable_is_a_clear_error() {
    // Traits header 0x07: inline traits, externalizable; class "flex.messaging.io.ArrayCollection".
    let mut b = vec![0x0a, 0x07];
    let class = "flex.messaging.io.ArrayCollection";
    b.push(((class.len() as u8) << 1) | 1);
    b.extend_from_slice(class.as_bytes());
    b.extend([0x09, 0x01, 0x01]);
    let err = dec3(&Bytes::from(b)).unwrap_err();
    assert_eq!(
        err,
        AmfError::Externalizable {
            class_name: class.to_owned()
        }
    );
    assert!(err.to_string().contains("ArrayCollection"));
}

#[test]
fn item11_date_and_byte_array_references() {
    // [date, bytes, ref 1 (date), ref 2 (bytes)]; the array itself is object 0.
    let bytes = hex("09 09 01  08 01 4000000000000000  0c 03 ff  08 02  0c 04");
    let date = Value::Date {
        millis: 2.0,
        timezone: 0,
    };
    let blob = Value::ByteArray(Bytes::from_static(&[0xff]));
    let expected = Value::Array(Box::new(Array {
        dense: vec![date.clone(), blob.clone(), date, blob],
        assoc: vec![],
    }));
    assert_eq!(dec3(&bytes).unwrap(), [expected]);
}
