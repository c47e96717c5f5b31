//! AMF3 encoding with string and traits reference tables.
//!
//! Values are trees without identity, so objects are always written inline; repeated
//! strings and repeated class definitions are written as references, which is where AMF3
//! saves its bytes. The empty string is never a reference.

use std::collections::HashMap;

use bytes::{BufMut, BytesMut};

use super::marker;
use crate::amf::{AmfString, Object, Value};

/// Largest length or count a U29 header can carry (one bit goes to the inline flag).
const MAX_LEN: usize = (marker::U29_MAX >> 1) as usize;

/// A class definition already sent, matched by class name, dynamic flag and sealed names.
#[derive(Debug)]
struct SentTraits {
    class_name: AmfString,
    dynamic: bool,
    sealed: Vec<AmfString>,
}

/// Writes AMF3 values, keeping the reference tables across the values of one message.
///
/// Use one encoder per message: the peer's decoder starts every message with empty tables.
#[derive(Debug, Default)]
pub struct Encoder {
    strings: HashMap<AmfString, u32>,
    string_count: u32,
    traits: Vec<SentTraits>,
}

/// Writes a U29 (values above 29 bits are masked; callers keep within range).
pub(crate) fn write_u29(out: &mut BytesMut, v: u32) {
    let v = v & marker::U29_MAX;
    if v < 0x80 {
        out.put_u8(v as u8);
    } else if v < 0x4000 {
        out.put_slice(&[(v >> 7) as u8 | 0x80, (v & 0x7f) as u8]);
    } else if v < 0x20_0000 {
        out.put_slice(&[
            (v >> 14) as u8 | 0x80,
            ((v >> 7) & 0x7f) as u8 | 0x80,
            (v & 0x7f) as u8,
        ]);
    } else {
        out.put_slice(&[
            (v >> 22) as u8 | 0x80,
            ((v >> 15) & 0x7f) as u8 | 0x80,
            ((v >> 8) & 0x7f) as u8 | 0x80,
            (v & 0xff) as u8,
        ]);
    }
}

/// Writes an inline length or count header. Lengths beyond 2^28 - 1 cannot be expressed;
/// callers never get there within RTMP's 16 MiB message cap.
fn write_len(out: &mut BytesMut, len: usize) {
    write_u29(out, ((len.min(MAX_LEN) as u32) << 1) | 1);
}

/// Inline bytes that never enter the string table (XML, byte arrays).
fn write_inline(out: &mut BytesMut, bytes: &[u8]) {
    let bytes = bytes.get(..bytes.len().min(MAX_LEN)).unwrap_or_default();
    write_len(out, bytes.len());
    out.put_slice(bytes);
}

impl Encoder {
    /// An encoder with empty reference tables.
    pub fn new() -> Self {
        Encoder::default()
    }

    /// Forgets every reference (start of a new message).
    pub fn reset(&mut self) {
        self.strings.clear();
        self.string_count = 0;
        self.traits.clear();
    }

    /// Appends `value` to `out`.
    ///
    /// AMF0-only variants map to their AMF3 counterparts: an ECMA array becomes an array with
    /// only an associative part, a strict array a dense array, `Unsupported` becomes
    /// undefined, and a date loses its time zone. Integers outside the 29-bit range are
    /// written as doubles. Empty keys in associative or dynamic parts cannot be expressed in
    /// AMF3 (the empty key ends the list) and are skipped.
    pub fn encode(&mut self, value: &Value, out: &mut BytesMut) {
        match value {
            Value::Undefined | Value::Unsupported => out.put_u8(marker::UNDEFINED),
            Value::Null => out.put_u8(marker::NULL),
            Value::Boolean(false) => out.put_u8(marker::FALSE),
            Value::Boolean(true) => out.put_u8(marker::TRUE),
            Value::Integer(i) if (marker::INT_MIN..=marker::INT_MAX).contains(i) => {
                out.put_u8(marker::INTEGER);
                write_u29(out, *i as u32);
            }
            Value::Integer(i) => {
                out.put_u8(marker::DOUBLE);
                out.put_f64(f64::from(*i));
            }
            Value::Number(n) => {
                out.put_u8(marker::DOUBLE);
                out.put_f64(*n);
            }
            Value::String(s) => {
                out.put_u8(marker::STRING);
                self.string(s, out);
            }
            Value::XmlDocument(s) => {
                out.put_u8(marker::XML_DOC);
                write_inline(out, s.as_bytes());
            }
            Value::Xml(s) => {
                out.put_u8(marker::XML);
                write_inline(out, s.as_bytes());
            }
            Value::Date { millis, .. } => {
                out.put_u8(marker::DATE);
                write_u29(out, 1);
                out.put_f64(*millis);
            }
            Value::Array(a) => self.array(&a.dense, &a.assoc, out),
            Value::StrictArray(items) => self.array(items, &[], out),
            Value::EcmaArray(props) => self.array(&[], props, out),
            Value::Object(o) => self.object(o, out),
            Value::ByteArray(b) => {
                out.put_u8(marker::BYTE_ARRAY);
                write_inline(out, b);
            }
            Value::VectorInt(v) => {
                out.put_u8(marker::VECTOR_INT);
                write_len(out, v.items.len());
                out.put_u8(u8::from(v.fixed));
                v.items.iter().for_each(|i| out.put_i32(*i));
            }
            Value::VectorUint(v) => {
                out.put_u8(marker::VECTOR_UINT);
                write_len(out, v.items.len());
                out.put_u8(u8::from(v.fixed));
                v.items.iter().for_each(|i| out.put_u32(*i));
            }
            Value::VectorDouble(v) => {
                out.put_u8(marker::VECTOR_DOUBLE);
                write_len(out, v.items.len());
                out.put_u8(u8::from(v.fixed));
                v.items.iter().for_each(|i| out.put_f64(*i));
            }
            Value::VectorObject(v) => {
                out.put_u8(marker::VECTOR_OBJECT);
                write_len(out, v.items.len());
                out.put_u8(u8::from(v.fixed));
                self.string(&v.type_name, out);
                v.items.iter().for_each(|i| self.encode(i, out));
            }
            Value::Dictionary(d) => {
                out.put_u8(marker::DICTIONARY);
                write_len(out, d.entries.len());
                out.put_u8(u8::from(d.weak_keys));
                for (k, v) in &d.entries {
                    self.encode(k, out);
                    self.encode(v, out);
                }
            }
            Value::Amf3(inner) => self.encode(inner, out),
        }
    }

    /// A string-table string: a reference when already sent, else inline and remembered.
    fn string(&mut self, s: &AmfString, out: &mut BytesMut) {
        if s.is_empty() {
            write_len(out, 0);
            return;
        }
        if let Some(&index) = self.strings.get(s) {
            write_u29(out, index << 1);
            return;
        }
        if (self.string_count as usize) < MAX_LEN {
            self.strings.insert(s.clone(), self.string_count);
        }
        self.string_count = self.string_count.saturating_add(1);
        write_inline(out, s.as_bytes());
    }

    fn array(&mut self, dense: &[Value], assoc: &[(AmfString, Value)], out: &mut BytesMut) {
        out.put_u8(marker::ARRAY);
        write_len(out, dense.len());
        self.dynamic_members(assoc, out);
        dense.iter().for_each(|v| self.encode(v, out));
    }

    fn dynamic_members(&mut self, members: &[(AmfString, Value)], out: &mut BytesMut) {
        for (k, v) in members.iter().filter(|(k, _)| !k.is_empty()) {
            self.string(k, out);
            self.encode(v, out);
        }
        write_len(out, 0);
    }

    fn object(&mut self, o: &Object, out: &mut BytesMut) {
        out.put_u8(marker::OBJECT);
        let sealed_count = o.sealed_count.min(o.properties.len()).min(MAX_LEN >> 3);
        let (sealed, rest) = o.properties.split_at(sealed_count);
        // Properties beyond the sealed ones can only travel as dynamic members.
        let dynamic = o.dynamic || !rest.is_empty();
        let anonymous = AmfString::EMPTY;
        let class_name = o.class_name.as_ref().unwrap_or(&anonymous);
        let known = self.traits.iter().position(|t| {
            t.dynamic == dynamic
                && t.class_name == *class_name
                && t.sealed.len() == sealed.len()
                && t.sealed.iter().zip(sealed).all(|(a, (b, _))| a == b)
        });
        match known {
            Some(index) if index < MAX_LEN >> 2 => write_u29(out, ((index as u32) << 2) | 0b01),
            _ => {
                self.traits.push(SentTraits {
                    class_name: class_name.clone(),
                    dynamic,
                    sealed: sealed.iter().map(|(k, _)| k.clone()).collect(),
                });
                let header = ((sealed_count as u32) << 4) | (u32::from(dynamic) << 3) | 0b011;
                write_u29(out, header);
                self.string(class_name, out);
                sealed.iter().for_each(|(k, _)| self.string(k, out));
            }
        }
        sealed.iter().for_each(|(_, v)| self.encode(v, out));
        if dynamic {
            self.dynamic_members(rest, out);
        }
    }
}
