//! AMF0 encoding.

use bytes::{BufMut, BytesMut};

use super::marker;
use crate::amf::{AmfString, Value, amf3};

/// Writes AMF0 values. The AMF3 values it switches into (marker 0x11) share one set of AMF3
/// reference tables, so use one encoder per message.
#[derive(Debug, Default)]
pub struct Encoder {
    amf3: amf3::Encoder,
}

/// A u16-length string (keys, class names, short strings), after `prefix` (a marker or
/// nothing). Longer input is cut at 65535 bytes; [`Value::String`]s never are (they switch
/// to the long form).
///
/// Short strings are assembled on the stack and appended with one copy: the per-call cost
/// of `put_slice` dominates encoding, not the bytes.
fn write_short(out: &mut BytesMut, prefix: &[u8], s: &AmfString) {
    let bytes = s.as_bytes();
    let bytes = bytes.get(..bytes.len().min(0xFFFF)).unwrap_or_default();
    let len = (bytes.len() as u16).to_be_bytes();
    let mut buf = [0u8; 32];
    let header = prefix.len() + 2;
    if let Some(dst) = buf.get_mut(header..header + bytes.len()) {
        dst.copy_from_slice(bytes);
        // In bounds: the `get_mut` above succeeded for a range ending past `header`.
        buf[..prefix.len()].copy_from_slice(prefix);
        buf[prefix.len()..header].copy_from_slice(&len);
        out.put_slice(&buf[..header + bytes.len()]);
    } else {
        out.put_slice(prefix);
        out.put_slice(&len);
        out.put_slice(bytes);
    }
}

/// A u32-length string (long strings, XML). Cut at 4 GiB, far above any RTMP message.
fn write_long(out: &mut BytesMut, s: &AmfString) {
    let bytes = s.as_bytes();
    let bytes = bytes
        .get(..bytes.len().min(u32::MAX as usize))
        .unwrap_or_default();
    out.put_u32(bytes.len() as u32);
    out.put_slice(bytes);
}

fn write_count(out: &mut BytesMut, len: usize) {
    out.put_u32(u32::try_from(len).unwrap_or(u32::MAX));
}

/// How many bytes [`Encoder::encode`] writes for `value`: exact for AMF0 values, a guess
/// for what goes behind the AMF3 switch marker (AMF3 references make that size depend on
/// what was written before). Sizes an output buffer up front, so encoding a command costs
/// one allocation instead of one per doubling of the buffer.
pub(crate) fn encoded_len(value: &Value) -> usize {
    match value {
        Value::Number(_) => 9,
        Value::Boolean(_) => 2,
        Value::String(s) if s.len() <= 0xFFFF => 3 + s.len(),
        Value::String(s) | Value::XmlDocument(s) => 5 + long_len(s),
        Value::Object(o) => {
            let head = o.class_name.as_ref().map_or(1, |c| 3 + short_len(c));
            head + properties_len(&o.properties)
        }
        Value::Null | Value::Undefined | Value::Unsupported => 1,
        Value::EcmaArray(props) => 5 + properties_len(props),
        Value::StrictArray(items) => 5 + items.iter().map(encoded_len).sum::<usize>(),
        Value::Date { .. } => 11,
        // The switch marker and a small AMF3 value; a bigger one grows the buffer.
        _ => 16,
    }
}

fn short_len(s: &AmfString) -> usize {
    s.len().min(0xFFFF)
}

fn long_len(s: &AmfString) -> usize {
    s.len().min(u32::MAX as usize)
}

fn properties_len(props: &[(AmfString, Value)]) -> usize {
    let fields: usize = props
        .iter()
        .map(|(k, v)| 2 + short_len(k) + encoded_len(v))
        .sum();
    fields + 3
}

impl Encoder {
    /// An encoder with empty AMF3 reference tables.
    pub fn new() -> Self {
        Encoder::default()
    }

    /// Forgets the AMF3 references (start of a new message).
    pub fn reset(&mut self) {
        self.amf3.reset();
    }

    /// Appends `value` to `out`.
    ///
    /// Strings longer than 65535 bytes use the long-string marker. AMF3-only values
    /// ([`Value::Integer`], [`Value::Array`], byte arrays, vectors, dictionaries, AMF3 XML)
    /// are written behind the AMF3 switch marker, like [`Value::Amf3`].
    pub fn encode(&mut self, value: &Value, out: &mut BytesMut) {
        match value {
            Value::Number(n) => {
                let mut buf = [marker::NUMBER; 9];
                buf[1..].copy_from_slice(&n.to_be_bytes());
                out.put_slice(&buf);
            }
            Value::Boolean(b) => out.put_slice(&[marker::BOOLEAN, u8::from(*b)]),
            Value::String(s) if s.len() <= 0xFFFF => write_short(out, &[marker::STRING], s),
            Value::String(s) => {
                out.put_u8(marker::LONG_STRING);
                write_long(out, s);
            }
            Value::Object(o) => {
                match &o.class_name {
                    None => out.put_u8(marker::OBJECT),
                    Some(class_name) => write_short(out, &[marker::TYPED_OBJECT], class_name),
                }
                self.properties(&o.properties, out);
            }
            Value::Null => out.put_u8(marker::NULL),
            Value::Undefined => out.put_u8(marker::UNDEFINED),
            Value::EcmaArray(props) => {
                out.put_u8(marker::ECMA_ARRAY);
                write_count(out, props.len());
                self.properties(props, out);
            }
            Value::StrictArray(items) => {
                out.put_u8(marker::STRICT_ARRAY);
                write_count(out, items.len());
                items.iter().for_each(|v| self.encode(v, out));
            }
            Value::Date { millis, timezone } => {
                out.put_u8(marker::DATE);
                out.put_f64(*millis);
                out.put_i16(*timezone);
            }
            Value::Unsupported => out.put_u8(marker::UNSUPPORTED),
            Value::XmlDocument(s) => {
                out.put_u8(marker::XML_DOCUMENT);
                write_long(out, s);
            }
            Value::Amf3(inner) => {
                out.put_u8(marker::AVMPLUS);
                self.amf3.encode(inner, out);
            }
            amf3_only => {
                out.put_u8(marker::AVMPLUS);
                self.amf3.encode(amf3_only, out);
            }
        }
    }

    fn properties(&mut self, props: &[(AmfString, Value)], out: &mut BytesMut) {
        for (k, v) in props {
            write_short(out, &[], k);
            self.encode(v, out);
        }
        out.put_slice(&[0, 0, marker::OBJECT_END]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `encoded_len` is what `encode` writes, for every AMF0 kind (nested, typed, long).
    #[test]
    fn encoded_len_is_exact_for_amf0_values() {
        let mut typed = crate::amf::Object::with_properties(vec![("a".into(), Value::Null)]);
        typed.class_name = Some("com.example.T".into());
        let values = [
            Value::Number(1.5),
            Value::Boolean(true),
            Value::from("short"),
            Value::from("x".repeat(70_000)),
            Value::Null,
            Value::Undefined,
            Value::Unsupported,
            Value::Date {
                millis: 1.0,
                timezone: -60,
            },
            Value::XmlDocument("<a/>".into()),
            Value::object([
                ("app", Value::from("live")),
                ("inner", Value::object([("n", Value::from(2.0))])),
            ]),
            Value::Object(Box::new(typed)),
            Value::EcmaArray(vec![("duration".into(), Value::from(0.0))]),
            Value::StrictArray(vec![Value::Null, Value::from("s"), Value::from(3.0)]),
        ];
        for v in &values {
            let mut out = BytesMut::new();
            Encoder::new().encode(v, &mut out);
            assert_eq!(encoded_len(v), out.len(), "{v:?}");
        }
    }
}
