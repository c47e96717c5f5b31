//! Fuzz body for the `amf3` target.

use bytes::{Bytes, BytesMut};
use rtmp_proto::amf::{DecodeLimits, amf3};

/// Decodes arbitrary bytes as an AMF3 message; must never panic. Whatever decodes must
/// survive encode + decode unchanged (references come back expanded, so the second decode
/// gets unbounded reference tables; the value budget is the same for both).
pub fn run(data: &[u8]) {
    let input = Bytes::copy_from_slice(data);
    let limits = DecodeLimits::default();
    let Ok(values) = amf3::decode_all(&input, &limits) else {
        return;
    };
    for v in &values {
        let _ = v.to_string();
    }
    let mut out = BytesMut::new();
    amf3::encode_all(&values, &mut out);
    let mut relaxed = limits;
    relaxed.max_references = usize::MAX;
    let again = amf3::decode_all(&out.freeze(), &relaxed);
    assert_eq!(
        again.as_deref(),
        Ok(&values[..]),
        "AMF3 re-encoding changed the values"
    );
}
