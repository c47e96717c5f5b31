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
