//! The fixed-shape commands a server answers with most, encoded straight to AMF0 bytes:
//! `_result` of releaseStream, FCPublish and createStream, `onStatus`, `onFCPublish`.
//!
//! As [`Command`](crate::message::Command) values each cost a command, two vectors and a
//! boxed object, a walk to size them and one to encode; here they are a few stores into
//! one exactly sized buffer. The tests check every form byte for byte against the
//! `Command` encoding, which stays the path for everything else.

use bytes::{BufMut, BytesMut};

use crate::amf::amf0::marker;
use crate::message::{Command, Encoding, RawMessage};

/// `onStatus` / `_result` level of a successful operation.
pub(crate) const LEVEL_STATUS: &str = "status";
/// `onStatus` / `_error` level of a failure.
pub(crate) const LEVEL_ERROR: &str = "error";

/// What follows the null command object.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// Nothing.
    None,
    Undefined,
    Number(f64),
    /// An information object `{level, code, description}`.
    Info {
        level: &'a str,
        code: &'a str,
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
                ("level", level),
                ("code", code),
                ("description", description),
            ];
            1 + fields
                .iter()
                .map(|(k, v)| 2 + k.len() + string_len(v))
                .sum::<usize>()
                + 3
        }
    };
    let prefix = usize::from(encoding == Encoding::Amf3);
    let mut out = BytesMut::with_capacity(prefix + string_len(name) + 9 + 1 + arg_len);
    encoding.write_prefix(&mut out);
    string(&mut out, name);
    number(&mut out, txn);
    out.put_u8(marker::NULL);
    match arg {
        Arg::None => {}
        Arg::Undefined => out.put_u8(marker::UNDEFINED),
        Arg::Number(n) => number(&mut out, n),
        Arg::Info {
            level,
            code,
            description,
        } => {
            out.put_u8(marker::OBJECT);
            for (key, value) in [
                ("level", level),
                ("code", code),
                ("description", description),
            ] {
                out.put_u16(key.len() as u16);
                out.put_slice(key.as_bytes());
                string(&mut out, value);
            }
            out.put_slice(&[0, 0, marker::OBJECT_END]);
        }
    }
    RawMessage {
        timestamp: 0,
        type_id: Command::type_id(encoding),
        stream_id,
        payload: out.freeze(),
    }
}

/// Bytes of a string value: the short form up to 65535 bytes, the long form above.
fn string_len(s: &str) -> usize {
    match s.len() {
        n if n <= 0xFFFF => 3 + n,
        n => 5 + n.min(u32::MAX as usize),
    }
}

fn string(out: &mut BytesMut, s: &str) {
    let bytes = s.as_bytes();
    if bytes.len() <= 0xFFFF {
        out.put_u8(marker::STRING);
        out.put_u16(bytes.len() as u16);
        out.put_slice(bytes);
    } else {
        let bytes = bytes
            .get(..bytes.len().min(u32::MAX as usize))
            .unwrap_or_default();
        out.put_u8(marker::LONG_STRING);
        out.put_u32(bytes.len() as u32);
        out.put_slice(bytes);
    }
}

fn number(out: &mut BytesMut, n: f64) {
    out.put_u8(marker::NUMBER);
    out.put_f64(n);
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
        let info = |level, code, description: &str| Command::status_info(level, code, description);
        let cases: Vec<(Arg<'_>, Vec<Value>)> = vec![
            (Arg::None, vec![]),
            (Arg::Undefined, vec![Value::Undefined]),
            (Arg::Number(3.0), vec![Value::Number(3.0)]),
            (
                Arg::Info {
                    level: LEVEL_STATUS,
                    code: "NetStream.Publish.Start",
                    description: "Start publishing",
                },
                vec![info(
                    LEVEL_STATUS,
                    "NetStream.Publish.Start",
                    "Start publishing",
                )],
            ),
            (
                Arg::Info {
                    level: LEVEL_ERROR,
                    code: "NetStream.Publish.Start",
                    description: &long,
                },
                vec![info(LEVEL_ERROR, "NetStream.Publish.Start", &long)],
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
