//! Property tests: `decode(encode(x)) == x`, `encode(decode(b)) == b` for encoder output,
//! and arbitrary bytes never panic (RTMP-NOTES items 10 and 11).

use bytes::{Bytes, BytesMut};
use proptest::collection::vec as pvec;
use proptest::prelude::*;
use rtmp_proto::amf::{
    AmfString, Array, DecodeLimits, Dictionary, Object, ObjectVector, Properties, Value, Vector,
    amf0, amf3,
};

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

/// Limits under which re-decoding our own output of an accepted input cannot fail:
/// expanded references may need more table entries than the original.
fn relaxed() -> DecodeLimits {
    let mut limits = DecodeLimits::default();
    limits.max_references = usize::MAX;
    limits
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn amf0_round_trips(values in pvec(amf0_value(), 1..4)) {
        let bytes = enc0(&values);
        let back = amf0::decode_all(&bytes, &DecodeLimits::default()).unwrap();
        prop_assert_eq!(&back, &values);
        prop_assert_eq!(enc0(&back), bytes);
    }

    #[test]
    fn amf3_round_trips(values in pvec(amf3_value(), 1..4)) {
        let bytes = enc3(&values);
        let back = amf3::decode_all(&bytes, &DecodeLimits::default()).unwrap();
        prop_assert_eq!(&back, &values);
        prop_assert_eq!(enc3(&back), bytes);
    }

    #[test]
    fn amf0_incremental_decoder_matches_decode_all(values in pvec(amf0_value(), 1..4)) {
        let bytes = enc0(&values);
        let mut decoder = amf0::Decoder::new(&bytes, &DecodeLimits::default());
        let mut got = Vec::new();
        while let Some(v) = decoder.next_value() {
            got.push(v.unwrap());
        }
        prop_assert_eq!(decoder.remaining(), 0);
        prop_assert_eq!(got, values);
    }

    #[test]
    fn amf0_arbitrary_bytes_never_panic(data in pvec(any::<u8>(), 0..256)) {
        if let Ok(values) = amf0::decode_all(&Bytes::from(data), &DecodeLimits::default()) {
            let again = amf0::decode_all(&enc0(&values), &relaxed()).unwrap();
            prop_assert_eq!(again, values);
        }
    }

    #[test]
    fn amf3_arbitrary_bytes_never_panic(data in pvec(any::<u8>(), 0..256)) {
        if let Ok(values) = amf3::decode_all(&Bytes::from(data), &DecodeLimits::default()) {
            let again = amf3::decode_all(&enc3(&values), &relaxed()).unwrap();
            prop_assert_eq!(again, values);
        }
    }

    /// Mutating valid encodings reaches deeper decoder paths than random bytes.
    #[test]
    fn amf0_mutated_encodings_never_panic(
        values in pvec(amf0_value(), 1..3),
        flips in pvec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut data = enc0(&values).to_vec();
        for (at, byte) in flips {
            let i = at.index(data.len());
            data[i] = byte;
        }
        if let Ok(values) = amf0::decode_all(&Bytes::from(data), &DecodeLimits::default()) {
            let again = amf0::decode_all(&enc0(&values), &relaxed()).unwrap();
            prop_assert_eq!(again, values);
        }
    }

    #[test]
    fn amf3_mutated_encodings_never_panic(
        values in pvec(amf3_value(), 1..3),
        flips in pvec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut data = enc3(&values).to_vec();
        for (at, byte) in flips {
            let i = at.index(data.len());
            data[i] = byte;
        }
        if let Ok(values) = amf3::decode_all(&Bytes::from(data), &DecodeLimits::default()) {
            let again = amf3::decode_all(&enc3(&values), &relaxed()).unwrap();
            prop_assert_eq!(again, values);
        }
    }
}

// ---- strategies: values as the decoders produce them ----

fn string() -> impl Strategy<Value = AmfString> {
    prop_oneof![
        // Few distinct short strings, so the AMF3 string table gets reused.
        prop::sample::select(vec!["", "app", "live", "a", "tcUrl", "é✓"]).prop_map(AmfString::from),
        ".{0,12}".prop_map(AmfString::from),
    ]
}

fn non_empty_string() -> impl Strategy<Value = AmfString> {
    string().prop_filter("non-empty", |s| !s.is_empty())
}

fn f64_any() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(-0.0),
        any::<u64>().prop_map(f64::from_bits)
    ]
}

/// AMF3 values as an AMF3 decoder produces them.
fn amf3_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Undefined),
        Just(Value::Null),
        any::<bool>().prop_map(Value::Boolean),
        (-(1 << 28)..(1 << 28)).prop_map(Value::Integer),
        f64_any().prop_map(Value::Number),
        string().prop_map(Value::String),
        string().prop_map(Value::XmlDocument),
        string().prop_map(Value::Xml),
        f64_any().prop_map(|millis| Value::Date {
            millis,
            timezone: 0
        }),
        pvec(any::<u8>(), 0..16).prop_map(|b| Value::ByteArray(Bytes::from(b))),
        (any::<bool>(), pvec(any::<i32>(), 0..6))
            .prop_map(|(fixed, items)| Value::VectorInt(Vector { fixed, items })),
        (any::<bool>(), pvec(any::<u32>(), 0..6))
            .prop_map(|(fixed, items)| Value::VectorUint(Vector { fixed, items })),
        (any::<bool>(), pvec(f64_any(), 0..6))
            .prop_map(|(fixed, items)| Value::VectorDouble(Vector { fixed, items })),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let dynamic_props = pvec((non_empty_string(), inner.clone()), 0..5).boxed();
        prop_oneof![
            (pvec(inner.clone(), 0..5), dynamic_props.clone())
                .prop_map(|(dense, assoc)| Value::Array(Box::new(Array { dense, assoc }))),
            (
                prop::option::of(non_empty_string()),
                pvec((string(), inner.clone()), 0..4),
                any::<bool>(),
                dynamic_props,
            )
                .prop_map(|(class_name, sealed, dynamic, extra)| {
                    let sealed_count = sealed.len();
                    let mut properties: Properties = sealed;
                    if dynamic {
                        properties.extend(extra);
                    }
                    Value::Object(Box::new(Object {
                        class_name,
                        properties,
                        sealed_count,
                        dynamic,
                    }))
                }),
            (any::<bool>(), string(), pvec(inner.clone(), 0..4)).prop_map(
                |(fixed, type_name, items)| {
                    Value::VectorObject(Box::new(ObjectVector {
                        fixed,
                        type_name,
                        items,
                    }))
                }
            ),
            (any::<bool>(), pvec((inner.clone(), inner), 0..4)).prop_map(|(weak_keys, entries)| {
                Value::Dictionary(Box::new(Dictionary { weak_keys, entries }))
            }),
        ]
    })
}

/// AMF0 values as an AMF0 decoder produces them, AMF3 values behind the switch included.
fn amf0_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        f64_any().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        string().prop_map(Value::String),
        Just(Value::Null),
        Just(Value::Undefined),
        Just(Value::Unsupported),
        (f64_any(), any::<i16>()).prop_map(|(millis, timezone)| Value::Date { millis, timezone }),
        string().prop_map(Value::XmlDocument),
        amf3_value().prop_map(|v| Value::Amf3(Box::new(v))),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        let props = pvec((string(), inner.clone()), 0..6).boxed();
        prop_oneof![
            (prop::option::of(string()), props.clone()).prop_map(|(class_name, properties)| {
                Value::Object(Box::new(Object {
                    class_name,
                    ..Object::with_properties(properties)
                }))
            }),
            props.prop_map(Value::EcmaArray),
            pvec(inner, 0..6).prop_map(Value::StrictArray),
        ]
    })
}

/// The committed fuzz seeds are valid messages (so the fuzzer starts from deep paths), and
/// survive encode + decode.
#[test]
fn fuzz_seeds_decode_and_round_trip() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus");
    for (dir, amf0_format) in [("amf0", true), ("amf3", false)] {
        let mut seen = 0;
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let bytes = Bytes::from(std::fs::read(&path).unwrap());
            let values = if amf0_format {
                amf0::decode_all(&bytes, &DecodeLimits::default())
            } else {
                amf3::decode_all(&bytes, &DecodeLimits::default())
            };
            let values = values.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let again = if amf0_format {
                amf0::decode_all(&enc0(&values), &relaxed())
            } else {
                amf3::decode_all(&enc3(&values), &relaxed())
            };
            assert_eq!(again.unwrap(), values, "{}", path.display());
            seen += 1;
        }
        assert!(seen >= 3, "{dir} seeds");
    }
}
