//! Data messages (type 18, and type 15 for AMF3 peers): metadata and other notifications
//! that expect no answer.
//!
//! Publishers send their metadata as `@setDataFrame("onMetaData", {...})`: an instruction
//! to the server to keep `onMetaData({...})` for the stream. Players must get the unwrapped
//! form. [`set_data_frame_inner`] does that on the payload bytes, without decoding and
//! re-encoding, so the metadata is relayed exactly as the publisher wrote it.

use bytes::{BufMut, Bytes, BytesMut};

use super::encoding::Encoding;
use super::{MessageError, RawMessage};
use crate::amf::{DecodeLimits, Value, amf0};

/// The name of the metadata wrapper publishers send.
pub const SET_DATA_FRAME: &str = "@setDataFrame";
/// The name of the metadata notification players receive.
pub const ON_METADATA: &str = "onMetaData";
/// The name of the data message that lets Flash players read sample data (NOTES 16).
pub const RTMP_SAMPLE_ACCESS: &str = "|RtmpSampleAccess";

/// A data message: a list of AMF values, usually a name string first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataMessage {
    /// The values in wire order (`"onMetaData", {...}` or `"@setDataFrame", ...`).
    pub values: Vec<Value>,
}

impl DataMessage {
    /// A data message with these values.
    pub fn new(values: Vec<Value>) -> Self {
        DataMessage { values }
    }

    /// Decodes a data payload of type 18 ([`Encoding::Amf0`]) or 15 ([`Encoding::Amf3`]).
    pub fn decode(
        payload: &Bytes,
        encoding: Encoding,
        limits: &DecodeLimits,
    ) -> Result<Self, MessageError> {
        let type_id = Self::type_id(encoding);
        let values = amf0::decode_all(&encoding.body(payload), limits)
            .map_err(|error| MessageError::Amf { type_id, error })?;
        Ok(DataMessage { values })
    }

    /// The message type id for this encoding: 18 or 15.
    pub fn type_id(encoding: Encoding) -> u8 {
        match encoding {
            Encoding::Amf0 => 18,
            Encoding::Amf3 => 15,
        }
    }

    /// Appends the payload for a message of this encoding.
    pub fn encode(&self, encoding: Encoding, out: &mut BytesMut) {
        encoding.write_prefix(out);
        amf0::encode_all(&self.values, out);
    }

    /// The complete message, its payload buffer sized up front (one allocation).
    pub fn to_raw(&self, encoding: Encoding, timestamp: u32, stream_id: u32) -> RawMessage {
        let prefix = usize::from(encoding == Encoding::Amf3);
        let len = prefix + self.values.iter().map(amf0::encoded_len).sum::<usize>();
        let mut out = BytesMut::with_capacity(len);
        self.encode(encoding, &mut out);
        RawMessage {
            timestamp,
            type_id: Self::type_id(encoding),
            stream_id,
            payload: out.freeze(),
        }
    }

    /// The first value, when it is a string (the handler name).
    pub fn name(&self) -> Option<&str> {
        self.values.first().and_then(Value::as_str)
    }

    /// Whether this is `@setDataFrame(...)`.
    pub fn is_set_data_frame(&self) -> bool {
        self.name() == Some(SET_DATA_FRAME)
    }

    /// Whether this carries metadata: `onMetaData(..)` or `@setDataFrame("onMetaData", ..)`.
    pub fn is_metadata(&self) -> bool {
        match self.name() {
            Some(ON_METADATA) => true,
            Some(SET_DATA_FRAME) => self.values.get(1).and_then(Value::as_str) == Some(ON_METADATA),
            _ => false,
        }
    }

    /// The metadata object (usually an ECMA array) of either metadata form.
    pub fn metadata(&self) -> Option<&Value> {
        match self.name() {
            Some(ON_METADATA) => self.values.get(1),
            Some(SET_DATA_FRAME) if self.is_metadata() => self.values.get(2),
            _ => None,
        }
    }

    /// The message a player should receive: `@setDataFrame(x, ..)` becomes `x(..)`; any
    /// other message is returned unchanged.
    pub fn unwrap_set_data_frame(mut self) -> Self {
        if self.is_set_data_frame() {
            self.values.remove(0);
        }
        self
    }

    /// `|RtmpSampleAccess(audio, video)`, sent to players before the metadata (NOTES 16).
    pub fn sample_access(audio: bool, video: bool) -> Self {
        DataMessage::new(vec![
            Value::from(RTMP_SAMPLE_ACCESS),
            Value::from(audio),
            Value::from(video),
        ])
    }
}

/// The AMF0 encoding of the string `@setDataFrame`: marker, u16 length, the bytes.
fn set_data_frame_prefix() -> [u8; 16] {
    let mut prefix = [0u8; 16];
    let mut out = &mut prefix[..];
    out.put_u8(0x02);
    out.put_u16(SET_DATA_FRAME.len() as u16);
    out.put_slice(SET_DATA_FRAME.as_bytes());
    prefix
}

/// For a data message (type 18 or 15) whose first value is the AMF0 string
/// `@setDataFrame`, the payload without it: what a player gets as a type 18 message
/// (`onMetaData` and its object, byte for byte as the publisher wrote them). A zero-copy
/// slice of the message payload. `None` for other messages, including an AMF3-switched
/// name (decode those with [`DataMessage`] and use [`DataMessage::unwrap_set_data_frame`]).
///
/// The rest of a type 15 body is a valid type 18 payload: AMF0 with AMF3 switches.
pub fn set_data_frame_inner(raw: &RawMessage) -> Option<Bytes> {
    let encoding = match raw.type_id {
        18 => Encoding::Amf0,
        15 => Encoding::Amf3,
        _ => return None,
    };
    let body = encoding.body(&raw.payload);
    let prefix = set_data_frame_prefix();
    body.starts_with(&prefix)
        .then(|| body.slice(prefix.len()..))
}
