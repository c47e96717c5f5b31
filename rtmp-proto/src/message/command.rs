//! Commands (type 20, and type 17 for AMF3 peers): `connect`, `createStream`, `publish`,
//! `play`, their `_result`/`_error` answers and `onStatus` notifications.
//!
//! A command is a name, a transaction id, a command object and any further arguments, in
//! that order. Peers leave the trailing parts out (`onStatus` from some servers has no
//! command object, FMLE sends `FCPublish` without one), so missing ones decode as 0 and
//! null, and a null transaction id as 0; a body that does not start with a name string, or
//! a transaction id of another type, is an error.

use bytes::{Bytes, BytesMut};

use super::encoding::Encoding;
use super::{MessageError, RawMessage, status};
use crate::amf::{AmfString, DecodeLimits, Value, amf0};

/// One RTMP command.
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    /// The command name (`connect`, `_result`, `onStatus`, ...).
    pub name: AmfString,
    /// 0 for notifications that expect no answer; answers echo the request's id.
    pub transaction_id: f64,
    /// Usually an object (connect) or null.
    pub command_object: Value,
    /// The values after the command object: a stream name, a status information object.
    pub arguments: Vec<Value>,
}

impl Command {
    /// `fmsVer` sent in the connect `_result`, the value ffmpeg, OBS and Flash expect from a
    /// Flash Media Server compatible server.
    pub const FMS_VERSION: &'static str = "FMS/3,0,1,123";
    /// `capabilities` in the connect `_result` (NOTES 14).
    pub const FMS_CAPABILITIES: f64 = 31.0;

    /// A command from its parts.
    pub fn new(
        name: impl Into<AmfString>,
        transaction_id: f64,
        command_object: Value,
        arguments: Vec<Value>,
    ) -> Self {
        Command {
            name: name.into(),
            transaction_id,
            command_object,
            arguments,
        }
    }

    /// Decodes a command payload of type 20 ([`Encoding::Amf0`]) or 17 ([`Encoding::Amf3`]).
    pub fn decode(
        payload: &Bytes,
        encoding: Encoding,
        limits: &DecodeLimits,
    ) -> Result<Self, MessageError> {
        let type_id = Self::type_id(encoding);
        let body = encoding.body(payload);
        let mut values = amf0::Decoder::new(&body, limits);
        let amf = |error| MessageError::Amf { type_id, error };

        // The usual forms (an AMF0 string, an AMF0 number) are read without a `Value`.
        let name = match values.next_if_string() {
            Some(s) => s.map_err(amf)?,
            None => match values.next_value().transpose().map_err(amf)? {
                Some(v) => match v.as_amf_string() {
                    Some(s) => s.clone(),
                    None => return Err(MessageError::CommandName),
                },
                None => return Err(MessageError::CommandName),
            },
        };
        let transaction_id = match values.next_if_number() {
            Some(n) => n.map_err(amf)?,
            None => match values.next_value().transpose().map_err(amf)? {
                None => 0.0,
                Some(v) if v.is_null() || v.is_undefined() => 0.0,
                Some(v) => v.as_f64().ok_or(MessageError::TransactionId)?,
            },
        };
        let command_object = values.next_or_null().map_err(amf)?;
        let mut arguments = Vec::new();
        values.rest_into(&mut arguments).map_err(amf)?;
        Ok(Command {
            name,
            transaction_id,
            command_object,
            arguments,
        })
    }

    /// The message type id for this encoding: 20 or 17.
    pub fn type_id(encoding: Encoding) -> u8 {
        match encoding {
            Encoding::Amf0 => 20,
            Encoding::Amf3 => 17,
        }
    }

    /// Appends the payload for a message of this encoding.
    pub fn encode(&self, encoding: Encoding, out: &mut BytesMut) {
        encoding.write_prefix(out);
        let mut encoder = amf0::Encoder::new();
        encoder.encode(&Value::String(self.name.clone()), out);
        encoder.encode(&Value::Number(self.transaction_id), out);
        encoder.encode(&self.command_object, out);
        for arg in &self.arguments {
            encoder.encode(arg, out);
        }
    }

    /// The payload size [`encode`](Self::encode) writes (exact unless AMF3 values are in).
    pub(crate) fn encoded_len(&self, encoding: Encoding) -> usize {
        let prefix = usize::from(encoding == Encoding::Amf3);
        // The name is a string value: short form up to 65535 bytes, long form above.
        let name = match self.name.len() {
            n if n <= 0xFFFF => 3 + n,
            n => 5 + n,
        };
        let values: usize = std::iter::once(&self.command_object)
            .chain(&self.arguments)
            .map(amf0::encoded_len)
            .sum();
        prefix + name + 9 + values
    }

    /// The complete message. The payload buffer is sized up front: one allocation, and
    /// `freeze` keeps it as is (a buffer with spare room would cost a second one).
    pub fn to_raw(&self, encoding: Encoding, timestamp: u32, stream_id: u32) -> RawMessage {
        let mut out = BytesMut::with_capacity(self.encoded_len(encoding));
        self.encode(encoding, &mut out);
        RawMessage {
            timestamp,
            type_id: Self::type_id(encoding),
            stream_id,
            payload: out.freeze(),
        }
    }

    /// The command name.
    pub fn name(&self) -> &str {
        self.name.as_str()
    }

    /// The argument after the command object, counting from 0 (`publish`'s stream name is
    /// argument 0, its mode argument 1).
    pub fn argument(&self, index: usize) -> Option<&Value> {
        self.arguments.get(index)
    }

    /// An info object `{level, code, description}`.
    pub fn status_info(level: &str, code: &str, description: &str) -> Value {
        Value::object([
            ("level", Value::String(AmfString::copy_from_str(level))),
            ("code", Value::String(AmfString::copy_from_str(code))),
            (
                "description",
                Value::String(AmfString::copy_from_str(description)),
            ),
        ])
    }

    /// `_result` answering `transaction_id`, with a command object and one argument
    /// (`createStream` answers `Value::Null` and the stream id).
    pub fn result(transaction_id: f64, properties: Value, information: Value) -> Self {
        Command::new("_result", transaction_id, properties, vec![information])
    }

    /// `_error` answering `transaction_id`.
    pub fn error(transaction_id: f64, properties: Value, information: Value) -> Self {
        Command::new("_error", transaction_id, properties, vec![information])
    }

    /// `onStatus` with transaction id 0, a null command object and the info object.
    pub fn on_status(level: &str, code: &str, description: &str) -> Self {
        Self::on_status_info(Self::status_info(level, code, description))
    }

    /// `onStatus` carrying a ready-made info object (for extra fields such as `details`).
    pub fn on_status_info(information: Value) -> Self {
        Command::new("onStatus", 0.0, Value::Null, vec![information])
    }

    /// The connect `_result` of NOTES 14: properties {fmsVer, capabilities 31, mode 1}
    /// and info {level status, code NetConnection.Connect.Success, description,
    /// objectEncoding}. Sessions add E-RTMP capabilities to the properties afterwards.
    pub fn connect_success(transaction_id: f64, object_encoding: f64) -> Self {
        let properties = Value::object([
            ("fmsVer", Value::from(Self::FMS_VERSION)),
            ("capabilities", Value::from(Self::FMS_CAPABILITIES)),
            ("mode", Value::from(1.0)),
        ]);
        let information = Value::object([
            ("level", Value::from(status::LEVEL_STATUS)),
            ("code", Value::from(status::CONNECT_SUCCESS)),
            ("description", Value::from("Connection succeeded.")),
            ("objectEncoding", Value::from(object_encoding)),
        ]);
        Self::result(transaction_id, properties, information)
    }

    /// The connect rejection of NOTES 19: `_error` with {level error, code
    /// NetConnection.Connect.Rejected, description}.
    pub fn connect_rejected(transaction_id: f64, description: &str) -> Self {
        Self::error(
            transaction_id,
            Value::Null,
            Self::status_info(status::LEVEL_ERROR, status::CONNECT_REJECTED, description),
        )
    }

    /// A connect redirect (NOTES 19): the rejection plus `ex: {code: 302, redirect: url}`.
    pub fn connect_redirect(transaction_id: f64, tc_url: &str, description: &str) -> Self {
        let information = Value::object([
            ("level", Value::from(status::LEVEL_ERROR)),
            ("code", Value::from(status::CONNECT_REJECTED)),
            (
                "description",
                Value::String(AmfString::copy_from_str(description)),
            ),
            (
                "ex",
                Value::object([
                    ("code", Value::from(302.0)),
                    ("redirect", Value::String(AmfString::copy_from_str(tc_url))),
                ]),
            ),
        ]);
        Self::error(transaction_id, Value::Null, information)
    }

    /// The `_error` for an unknown or failed call (NOTES 18), so the client does not wait
    /// for an answer forever.
    pub fn call_failed(transaction_id: f64, description: &str) -> Self {
        Self::error(
            transaction_id,
            Value::Null,
            Self::status_info(status::LEVEL_ERROR, status::CALL_FAILED, description),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `to_raw` sizes its buffer exactly for the commands a session sends, in both forms.
    #[test]
    fn encoded_len_matches_the_payload() {
        let commands = [
            Command::connect_success(1.0, 0.0),
            Command::connect_redirect(1.0, "rtmp://example/live", "moved"),
            Command::on_status("status", "NetStream.Publish.Start", "Start publishing"),
            Command::result(4.0, Value::Null, Value::Number(1.0)),
            Command::new("x".repeat(70_000), 0.0, Value::Null, vec![]),
        ];
        for cmd in &commands {
            for encoding in [Encoding::Amf0, Encoding::Amf3] {
                let raw = cmd.to_raw(encoding, 0, 0);
                assert_eq!(cmd.encoded_len(encoding), raw.payload.len(), "{cmd:?}");
            }
        }
    }
}
