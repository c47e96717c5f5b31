//! The fixed-shape commands a server answers with most, encoded straight to AMF0 bytes:
//! `_result` of releaseStream, FCPublish and createStream, `onStatus`, `onFCPublish`.
//!
//! As [`Command`](crate::message::Command) values each cost a command, two vectors and a
//! boxed object, a walk to size them and one to encode; here they are a few stores into
//! one exactly sized buffer. The tests check every form byte for byte against the
//! `Command` encoding, which stays the path for everything else.
//!
//! The buffer is a `Vec<u8>`, not a `BytesMut`: its small fixed-size appends inline to a
//! store or two, where each `BytesMut::put_*` is a call (a dozen per reply). An exactly
//! sized `Vec` becomes [`Bytes`](bytes::Bytes) without a copy or another allocation.

use crate::amf::amf0::marker;
use crate::message::status::{StatusCode, StatusLevel};
use crate::message::{Command, Encoding, RawMessage};

/// What follows the null command object.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// Nothing.
    None,
    Undefined,
    Number(f64),
    /// An information object `{level, code, description}`.
    Info {
        level: StatusLevel,
        code: &'a StatusCode,
        description: &'a str,
    },
}

/// `name(txn, null, arg)` as a command message on `stream_id`.
pub(crate) fn command(
    name: &str,
    txn: f64,
    arg: Arg<'_>,
    encoding: Encoding,
    stream_id: u32,
) -> RawMessage {
    let arg_len = match arg {
        Arg::None => 0,
        Arg::Undefined => 1,
        Arg::Number(_) => 9,
        Arg::Info {
            level,
            code,
            description,
        } => {
            let fields = [
                ("level", level.as_str()),
                ("code", code.as_str()),
                ("description", description),
            ];
            1 + fields
                .iter()
                .map(|(k, v)| 2 + k.len() + string_len(v))
                .sum::<usize>()
                + 3
        }
    };
    let mut out = head(encoding, string_len(name) + 9 + 1 + arg_len);
    string(&mut out, name);
    number(&mut out, txn);
    out.push(marker::NULL);
    match arg {
        Arg::None => {}
        Arg::Undefined => out.push(marker::UNDEFINED),
        Arg::Number(n) => number(&mut out, n),
        Arg::Info {
            level,
            code,
            description,
        } => {
            out.push(marker::OBJECT);
            for (k, value) in [
                ("level", level.as_str()),
                ("code", code.as_str()),
                ("description", description),
            ] {
                key(&mut out, k);
                string(&mut out, value);
            }
            object_end(&mut out);
        }
    }
    message(out, encoding, stream_id)
}

/// A buffer for a command payload of `len` bytes after the encoding prefix, with the prefix
/// (a zero byte for type 17) already in.
pub(crate) fn head(encoding: Encoding, len: usize) -> Vec<u8> {
    let prefix = usize::from(encoding == Encoding::Amf3);
    let mut out = Vec::with_capacity(prefix + len);
    if prefix == 1 {
        out.push(0);
    }
    out
}

/// The command message carrying `payload` on `stream_id`.
pub(crate) fn message(payload: Vec<u8>, encoding: Encoding, stream_id: u32) -> RawMessage {
    RawMessage {
        timestamp: 0,
        type_id: Command::type_id(encoding),
        stream_id,
        payload: payload.into(),
    }
}

/// Bytes of a string value: the short form up to 65535 bytes, the long form above.
pub(crate) fn string_len(s: &str) -> usize {
    match s.len() {
        n if n <= 0xFFFF => 3 + n,
        n => 5 + n.min(u32::MAX as usize),
    }
}

/// Bytes of an object key: u16 length, cut at 65535 bytes like the `Value` encoder does.
pub(crate) fn key_len(k: &str) -> usize {
    2 + k.len().min(0xFFFF)
}

/// A string value.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if bytes.len() <= 0xFFFF {
        out.push(marker::STRING);
        out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
        out.extend_from_slice(bytes);
    } else {
        let bytes = bytes
            .get(..bytes.len().min(u32::MAX as usize))
            .unwrap_or_default();
        out.push(marker::LONG_STRING);
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(bytes);
    }
}

/// An object key (no marker).
pub(crate) fn key(out: &mut Vec<u8>, k: &str) {
    let bytes = k.as_bytes();
    let bytes = bytes.get(..bytes.len().min(0xFFFF)).unwrap_or_default();
    out.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// A number value.
pub(crate) fn number(out: &mut Vec<u8>, n: f64) {
    let mut buf = [marker::NUMBER; 9];
    buf[1..].copy_from_slice(&n.to_be_bytes());
    out.extend_from_slice(&buf);
}

/// The empty key and end marker closing an object.
pub(crate) fn object_end(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0, 0, marker::OBJECT_END]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amf::Value;

    /// Every form is byte for byte what the `Command` encoding writes, in both encodings,
    /// with short and long strings.
    #[test]
    fn same_bytes_as_the_command_encoding() {
        let long = "n".repeat(70_000);
        let other = StatusCode::from(long.as_str());
        let info = |level: StatusLevel, code: &str, description: &str| {
            Command::status_info(level.as_str(), code, description)
        };
        let cases: Vec<(Arg<'_>, Vec<Value>)> = vec![
            (Arg::None, vec![]),
            (Arg::Undefined, vec![Value::Undefined]),
            (Arg::Number(3.0), vec![Value::Number(3.0)]),
            (
                Arg::Info {
                    level: StatusLevel::Status,
                    code: &StatusCode::PublishStart,
                    description: "Start publishing",
                },
                vec![info(
                    StatusLevel::Status,
                    "NetStream.Publish.Start",
                    "Start publishing",
                )],
            ),
            (
                Arg::Info {
                    level: StatusLevel::Error,
                    code: &other,
                    description: &long,
                },
                vec![info(StatusLevel::Error, &long, &long)],
            ),
        ];
        for (arg, args) in cases {
            for encoding in [Encoding::Amf0, Encoding::Amf3] {
                for (name, txn) in [("_result", 4.0), ("onStatus", 0.0), (long.as_str(), 1.0)] {
                    let expected = Command::new(name.to_owned(), txn, Value::Null, args.clone())
                        .to_raw(encoding, 0, 7);
                    assert_eq!(
                        command(name, txn, arg, encoding, 7),
                        expected,
                        "{name} {arg:?}"
                    );
                }
            }
        }
    }
}
