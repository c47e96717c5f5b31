//! The connect `_result`, encoded straight to AMF0 bytes.
//!
//! Built as a [`Command`](crate::message::Command) it costs two boxed objects, seven
//! properties with their keys, the application's fields cloned in, a walk to size it, one to
//! encode it and one to drop it: the largest reply of the setup. Here the fixed fields are
//! written from constants and the application's [`Value`]s are encoded where they stand.
//!
//! The object semantics stay those of [`Object::insert`](crate::amf::Object::insert) on the
//! default objects: a field whose key is already there replaces the earlier value at the
//! earlier position, and among repeated keys the last value wins. The tests compare the
//! bytes with the `Command` form for overrides, repeats, AMF3 values and both encodings.

use bytes::BytesMut;

use super::reply;
use crate::amf::Value;
use crate::amf::amf0::{self, marker};
use crate::message::status::CONNECT_SUCCESS;
use crate::message::status::StatusLevel;
use crate::message::{Command, Encoding, RawMessage};

/// One property of an object being written.
#[derive(Debug, Clone, Copy)]
enum Field<'a> {
    Str(&'a str),
    Number(f64),
    Value(&'a Value),
}

/// Our fixed properties followed by the application's, as one indexable list.
struct Fields<'a> {
    fixed: &'a [(&'a str, Field<'a>)],
    extra: &'a [(String, Value)],
}

impl<'a> Fields<'a> {
    fn len(&self) -> usize {
        self.fixed.len() + self.extra.len()
    }

    fn get(&self, i: usize) -> Option<(&'a str, Field<'a>)> {
        match self.fixed.get(i) {
            Some(&(k, f)) => Some((k, f)),
            None => {
                let (k, v) = self.extra.get(i - self.fixed.len())?;
                Some((k.as_str(), Field::Value(v)))
            }
        }
    }

    fn key(&self, i: usize) -> Option<&'a str> {
        self.get(i).map(|(k, _)| k)
    }

    /// An upper bound of the encoded object (exact without repeated keys or AMF3 values).
    fn encoded_len(&self) -> usize {
        let fields: usize = (0..self.len())
            .filter_map(|i| self.get(i))
            .map(|(k, f)| reply::key_len(k) + field_len(f))
            .sum();
        1 + fields + 3
    }

    /// `{...}` with `insert` semantics: each key once, at its first position, with its
    /// last value. Repeats are rare and lists short, so the scans cost nothing in practice.
    fn write(&self, out: &mut Vec<u8>, enc: &mut Amf0Values) {
        out.push(marker::OBJECT);
        if self.extra.is_empty() {
            // The usual reply: our own keys are distinct, nothing to merge.
            for &(k, field) in self.fixed {
                reply::key(out, k);
                write_field(out, enc, field);
            }
            reply::object_end(out);
            return;
        }
        for i in 0..self.len() {
            let Some(k) = self.key(i) else { continue };
            if (0..i).any(|j| self.key(j) == Some(k)) {
                continue;
            }
            let last = (i..self.len())
                .rev()
                .find(|&j| self.key(j) == Some(k))
                .and_then(|j| self.get(j));
            let Some((_, field)) = last else { continue };
            reply::key(out, k);
            write_field(out, enc, field);
        }
        reply::object_end(out);
    }
}

fn write_field(out: &mut Vec<u8>, enc: &mut Amf0Values, field: Field<'_>) {
    match field {
        Field::Str(s) => reply::string(out, s),
        Field::Number(n) => reply::number(out, n),
        Field::Value(v) => enc.write(v, out),
    }
}

fn field_len(f: Field<'_>) -> usize {
    match f {
        Field::Str(s) => reply::string_len(s),
        Field::Number(_) => 9,
        Field::Value(v) => amf0::encoded_len(v),
    }
}

/// Encodes the application's values with one AMF0 encoder for the whole message (the AMF3
/// values behind switch markers share reference tables, as in `Command::encode`).
struct Amf0Values {
    encoder: amf0::Encoder,
    scratch: BytesMut,
}

impl Amf0Values {
    fn write(&mut self, v: &Value, out: &mut Vec<u8>) {
        self.scratch.clear();
        self.encoder.encode(v, &mut self.scratch);
        out.extend_from_slice(&self.scratch);
    }
}

/// `_result(txn, {fmsVer, capabilities, mode, ..properties}, {level, code, description,
/// objectEncoding, ..information})` on stream 0.
pub(crate) fn encode(
    txn: f64,
    fms_version: &str,
    object_encoding: f64,
    properties: &[(String, Value)],
    information: &[(String, Value)],
    encoding: Encoding,
) -> RawMessage {
    let props = Fields {
        fixed: &[
            ("fmsVer", Field::Str(fms_version)),
            ("capabilities", Field::Number(Command::FMS_CAPABILITIES)),
            ("mode", Field::Number(1.0)),
        ],
        extra: properties,
    };
    let info = Fields {
        fixed: &[
            ("level", Field::Str(StatusLevel::Status.as_str())),
            ("code", Field::Str(CONNECT_SUCCESS)),
            ("description", Field::Str("Connection succeeded.")),
            ("objectEncoding", Field::Number(object_encoding)),
        ],
        extra: information,
    };
    let name = "_result";
    let len = reply::string_len(name) + 9 + props.encoded_len() + info.encoded_len();
    let mut out = reply::head(encoding, len);
    reply::string(&mut out, name);
    reply::number(&mut out, txn);
    let mut enc = Amf0Values {
        encoder: amf0::Encoder::new(),
        scratch: BytesMut::new(),
    };
    props.write(&mut out, &mut enc);
    info.write(&mut out, &mut enc);
    reply::message(out, encoding, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amf::{AmfString, Value};

    /// The connect `_result` as a `Command`, the way the session built it before.
    fn reference(
        txn: f64,
        fms_version: &str,
        object_encoding: f64,
        properties: &[(String, Value)],
        information: &[(String, Value)],
    ) -> Command {
        let mut cmd = Command::connect_success(txn, object_encoding);
        if let Value::Object(props) = &mut cmd.command_object {
            props.insert(
                "fmsVer",
                Value::String(AmfString::copy_from_str(fms_version)),
            );
            for (k, v) in properties {
                props.insert(k.clone(), v.clone());
            }
        }
        if let Some(Value::Object(info)) = cmd.arguments.first_mut() {
            for (k, v) in information {
                info.insert(k.clone(), v.clone());
            }
        }
        cmd
    }

    fn props(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn same_bytes_as_the_command_form() {
        let long = "x".repeat(70_000);
        let long_value = Value::String(AmfString::copy_from_str(&long));
        let nested = Value::object([("a", Value::from(1.0)), ("b", Value::from("c"))]);
        type Pairs = Vec<(String, Value)>;
        let cases: Vec<(Pairs, Pairs)> = vec![
            (vec![], vec![]),
            (
                // New keys, an override of a fixed key, a repeat (the last wins, in place).
                props(&[
                    ("capsEx", Value::from(3.0)),
                    ("capabilities", Value::from(255.0)),
                    ("fourCcList", Value::strict_array([Value::from("hvc1")])),
                    ("capsEx", Value::from(1.0)),
                    ("map", nested.clone()),
                ]),
                props(&[
                    ("objectEncoding", Value::from(3.0)),
                    ("data", nested.clone()),
                    ("level", Value::from("status")),
                    ("data", Value::from(true)),
                ]),
            ),
            (
                // AMF3-only values go behind switch markers sharing reference tables.
                props(&[
                    ("i", Value::Integer(7)),
                    ("j", Value::Integer(8)),
                    ("s", Value::Amf3(Box::new(Value::from("same")))),
                    ("t", Value::Amf3(Box::new(Value::from("same")))),
                ]),
                props(&[("u", Value::Amf3(Box::new(Value::from("same"))))]),
            ),
            (
                props(&[(long.as_str(), long_value.clone()), ("", Value::Null)]),
                props(&[("description", long_value.clone())]),
            ),
        ];
        for (p, i) in &cases {
            for encoding in [Encoding::Amf0, Encoding::Amf3] {
                for fms in ["FMS/3,0,1,123", "rtmp-proto"] {
                    let expected = reference(5.0, fms, 3.0, p, i).to_raw(encoding, 0, 0);
                    assert_eq!(
                        encode(5.0, fms, 3.0, p, i, encoding),
                        expected,
                        "{p:?} {i:?}"
                    );
                }
            }
        }
    }
}
