//! Shared by the message tests: hand-written AMF0 bytes (independent of the crate's encoder)
//! and a strategy for AMF values that round-trip exactly.
#![allow(dead_code)]

use proptest::prelude::*;
use rtmp_proto::amf::Value;

/// AMF0 string: 0x02, u16 length, bytes.
pub fn s(out: &mut Vec<u8>, v: &str) {
    out.push(0x02);
    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
    out.extend_from_slice(v.as_bytes());
}

/// AMF0 number: 0x00, f64 big-endian.
pub fn n(out: &mut Vec<u8>, v: f64) {
    out.push(0x00);
    out.extend_from_slice(&v.to_be_bytes());
}

/// AMF0 boolean: 0x01, byte.
pub fn b(out: &mut Vec<u8>, v: bool) {
    out.extend_from_slice(&[0x01, v as u8]);
}

/// AMF0 null.
pub fn null(out: &mut Vec<u8>) {
    out.push(0x05);
}

/// An object property key: u16 length, bytes (no marker).
pub fn key(out: &mut Vec<u8>, k: &str) {
    out.extend_from_slice(&(k.len() as u16).to_be_bytes());
    out.extend_from_slice(k.as_bytes());
}

/// AMF0 object start.
pub fn obj(out: &mut Vec<u8>) {
    out.push(0x03);
}

/// AMF0 object end: empty key, 0x09.
pub fn end(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0x00, 0x00, 0x09]);
}

/// The bytes `build` writes.
pub fn amf(build: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut v = Vec::new();
    build(&mut v);
    v
}

fn key_strategy() -> impl Strategy<Value = String> {
    "[a-zA-Z@|._]{1,12}"
}

/// Values whose AMF0 encoding decodes back to an equal value: the AMF0 types, plus a few
/// AMF3 values behind the switch marker.
pub fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<f64>().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Boolean),
        ".{0,20}".prop_map(Value::from),
        Just(Value::Null),
        Just(Value::Undefined),
        (-(1i32 << 28)..(1i32 << 28)).prop_map(|i| Value::Amf3(Box::new(Value::Integer(i)))),
        ".{0,10}".prop_map(|s| Value::Amf3(Box::new(Value::from(s)))),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec((key_strategy(), inner.clone()), 0..5)
                .prop_map(Value::object),
            proptest::collection::vec((key_strategy(), inner.clone()), 0..5)
                .prop_map(Value::ecma_array),
            proptest::collection::vec(inner, 0..5).prop_map(Value::StrictArray),
        ]
    })
}
