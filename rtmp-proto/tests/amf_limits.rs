//! Limits: nesting depth, untrusted lengths, reference tables and reference-chain expansion
//! (RTMP-NOTES items 10 and 11: "bound the tables and the nesting depth").

use std::time::{Duration, Instant};

use bytes::Bytes;
use rtmp_proto::Limits;
use rtmp_proto::amf::{AmfError, DecodeLimits, Value, amf0, amf3};

fn limits() -> DecodeLimits {
    DecodeLimits::default()
}

fn nested(prefix: &[u8], levels: usize, leaf: u8) -> Bytes {
    let mut b = prefix.repeat(levels);
    b.push(leaf);
    Bytes::from(b)
}

#[test]
fn limits_come_from_the_shared_config() {
    let mut shared = Limits::default();
    shared.max_amf_depth = 7;
    shared.max_amf_references = 9;
    let l = DecodeLimits::from(&shared);
    assert_eq!((l.max_depth, l.max_references), (7, 9));
    assert_eq!(
        DecodeLimits::default().max_depth,
        Limits::default().max_amf_depth
    );
}

#[test]
fn amf0_depth_limit() {
    let strict = [0x0a, 0, 0, 0, 1];
    assert!(amf0::decode_all(&nested(&strict, 64, 0x05), &limits()).is_ok());
    assert_eq!(
        amf0::decode_all(&nested(&strict, 65, 0x05), &limits()),
        Err(AmfError::DepthExceeded { limit: 64 })
    );
    // Objects nest the same way: {"": {"": ... null}}
    let object = [0x03, 0, 1, b'k'];
    assert!(amf0::decode_all(&nested(&object, 64, 0x05), &limits()).is_ok());
    assert_eq!(
        amf0::decode_all(&nested(&object, 65, 0x05), &limits()),
        Err(AmfError::DepthExceeded { limit: 64 })
    );
}

#[test]
fn amf3_depth_limit_also_across_the_amf0_switch() {
    let array = [0x09, 0x03, 0x01];
    assert!(amf3::decode_all(&nested(&array, 64, 0x01), &limits()).is_ok());
    assert_eq!(
        amf3::decode_all(&nested(&array, 65, 0x01), &limits()),
        Err(AmfError::DepthExceeded { limit: 64 })
    );
    // 32 AMF0 strict arrays, then the switch, then 33 AMF3 arrays: 65 levels.
    let mut b = [0x0a, 0, 0, 0, 1].repeat(32);
    b.push(0x11);
    b.extend(array.repeat(33));
    b.push(0x01);
    assert_eq!(
        amf0::decode_all(&Bytes::from(b), &limits()),
        Err(AmfError::DepthExceeded { limit: 64 })
    );
}

#[test]
fn huge_lengths_fail_before_allocating() {
    let too_long = |r: Result<Vec<Value>, AmfError>| {
        assert!(
            matches!(r, Err(AmfError::LengthExceedsInput { .. })),
            "got {r:?}"
        )
    };
    let d0 = |b: &'static [u8]| amf0::decode_all(&Bytes::from_static(b), &limits());
    let d3 = |b: &'static [u8]| amf3::decode_all(&Bytes::from_static(b), &limits());
    too_long(d0(b"\x0a\xff\xff\xff\xff\x05"));
    too_long(d0(b"\x0c\xff\xff\xff\xffabc"));
    too_long(d0(b"\x0f\xff\xff\xff\xffabc"));
    too_long(d0(b"\x02\xff\xffabc"));
    // U29 maximum (2^28 - 1) as an inline length.
    too_long(d3(b"\x06\xff\xff\xff\xff"));
    too_long(d3(b"\x09\xff\xff\xff\xff\x01"));
    too_long(d3(b"\x0c\xff\xff\xff\xff"));
    too_long(d3(b"\x0d\xff\xff\xff\xff\x00"));
    too_long(d3(b"\x0f\xff\xff\xff\xff\x00"));
    too_long(d3(b"\x10\xff\xff\xff\xff\x00\x01"));
    too_long(d3(b"\x11\xff\xff\xff\xff\x00"));
    // 2^25 sealed member names announced, none sent.
    too_long(d3(b"\x0a\xff\xff\xff\xf3\x01"));
    // An ECMA array count is only a hint: 0xFFFFFFFF with an empty body is fine.
    assert_eq!(
        d0(b"\x08\xff\xff\xff\xff\x00\x00\x09").unwrap(),
        [Value::EcmaArray(vec![])]
    );
}

#[test]
fn amf0_reference_chain_cannot_blow_up() {
    // A strict array of 40 strict arrays, each holding two references to the previous
    // one: 2^40 nodes if expanded naively.
    let mut b = vec![0x0a, 0, 0, 0, 40];
    b.extend([0x0a, 0, 0, 0, 2, 0x05, 0x05]); // reference index 1
    for i in 2u16..=40 {
        b.extend([0x0a, 0, 0, 0, 2, 0x07]);
        b.extend((i - 1).to_be_bytes());
        b.push(0x07);
        b.extend((i - 1).to_be_bytes());
    }
    let started = Instant::now();
    let r = amf0::decode_all(&Bytes::from(b), &limits());
    assert_eq!(
        r,
        Err(AmfError::TooManyValues {
            limit: DecodeLimits::DEFAULT_MAX_VALUES
        })
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn amf3_reference_chain_cannot_blow_up() {
    // Dense array of 40 arrays, each holding two object references to the previous one.
    let mut b = vec![0x09, 40 << 1 | 1, 0x01];
    b.extend([0x09, 0x05, 0x01, 0x01, 0x01]); // object 1
    for i in 2u8..=40 {
        b.extend([0x09, 0x05, 0x01, 0x09, (i - 1) << 1, 0x09, (i - 1) << 1]);
    }
    let r = amf3::decode_all(&Bytes::from(b), &limits());
    assert!(matches!(r, Err(AmfError::TooManyValues { .. })), "{r:?}");
}

#[test]
fn reference_tables_are_bounded() {
    let mut small = limits();
    small.max_references = 4;
    // Five AMF0 objects.
    let five = Bytes::from([0x03, 0, 0, 0x09].repeat(5));
    assert_eq!(
        amf0::decode_all(&five, &small),
        Err(AmfError::TooManyReferences { limit: 4 })
    );
    assert!(amf0::decode_all(&five.slice(..16), &small).is_ok());
    // Five distinct AMF3 strings.
    let strings = Bytes::from_static(b"\x06\x03a\x06\x03b\x06\x03c\x06\x03d\x06\x03e");
    assert_eq!(
        amf3::decode_all(&strings, &small),
        Err(AmfError::TooManyReferences { limit: 4 })
    );
    // The empty string is never added: any number is fine.
    assert!(amf3::decode_all(&Bytes::from([0x06, 0x01].repeat(10)), &small).is_ok());
}

#[test]
fn value_budget_bounds_plain_input_too() {
    let mut small = limits();
    small.max_values = 10;
    let nulls = Bytes::from(vec![0x05; 11]);
    assert_eq!(
        amf0::decode_all(&nulls, &small),
        Err(AmfError::TooManyValues { limit: 10 })
    );
    assert_eq!(
        amf0::decode_all(&nulls.slice(..10), &small).unwrap().len(),
        10
    );
}

#[test]
fn incremental_decoder_stops_after_an_error() {
    let bytes = Bytes::from_static(b"\x05\x12\x05");
    let mut d = amf0::Decoder::new(&bytes, &limits());
    assert_eq!(d.next_value(), Some(Ok(Value::Null)));
    assert_eq!(d.remaining(), 2);
    assert_eq!(d.rest(), Bytes::from_static(b"\x12\x05"));
    assert_eq!(d.next_value(), Some(Err(AmfError::UnknownAmf0Marker(0x12))));
    assert_eq!(d.next_value(), None);
}

#[test]
fn truncated_input_is_eof() {
    assert_eq!(
        amf0::decode_all(&Bytes::from_static(b"\x00\x3f\xf0"), &limits()),
        Err(AmfError::Eof)
    );
    assert_eq!(
        amf3::decode_all(&Bytes::from_static(b"\x04\xff\xff"), &limits()),
        Err(AmfError::Eof)
    );
}
