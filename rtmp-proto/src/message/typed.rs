//! [`Message`]: every RTMP message type decoded into its typed form.

use bytes::{Bytes, BytesMut};

use super::{
    Command, ControlMessage, DataMessage, Encoding, MessageError, MessageType, RawMessage,
    UserControlEvent,
};
use crate::Limits;
use crate::amf::DecodeLimits;

/// A decoded message. Media, shared-object and aggregate payloads stay raw: media parsing
/// lives in [`crate::media`], and aggregates are split with
/// [`AggregateMessages`](super::AggregateMessages).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Message {
    /// Types 1, 2, 3, 5, 6.
    Control(ControlMessage),
    /// Type 4.
    UserControl(UserControlEvent),
    /// Type 8.
    Audio(Bytes),
    /// Type 9.
    Video(Bytes),
    /// Type 20 (`Amf0`) or 17 (`Amf3`).
    Command {
        /// The decoded command.
        command: Command,
        /// The AMF version it came in.
        encoding: Encoding,
    },
    /// Type 18 (`Amf0`) or 15 (`Amf3`).
    Data {
        /// The decoded values.
        data: DataMessage,
        /// The AMF version it came in.
        encoding: Encoding,
    },
    /// Type 19 (`Amf0`) or 16 (`Amf3`, payload including its format byte).
    SharedObject {
        /// The shared object message, undecoded.
        payload: Bytes,
        /// The AMF version of its values.
        encoding: Encoding,
    },
    /// Type 22, still in FLV tag form.
    Aggregate(Bytes),
    /// A type id RTMP does not define, kept as it came.
    Unknown {
        /// The type id.
        type_id: u8,
        /// The payload, untouched.
        payload: Bytes,
    },
}

impl Message {
    /// Decodes `raw` by its type id. AMF decoding is bounded by `limits`.
    pub fn decode(raw: &RawMessage, limits: &Limits) -> Result<Self, MessageError> {
        use MessageType as T;
        let payload = &raw.payload;
        let Some(message_type) = raw.message_type() else {
            return Ok(Message::Unknown {
                type_id: raw.type_id,
                payload: payload.clone(),
            });
        };
        Ok(match message_type {
            T::SetChunkSize
            | T::Abort
            | T::Acknowledgement
            | T::WindowAckSize
            | T::SetPeerBandwidth => {
                Message::Control(ControlMessage::decode(raw.type_id, payload)?)
            }
            T::UserControl => Message::UserControl(UserControlEvent::decode(payload)?),
            T::Audio => Message::Audio(payload.clone()),
            T::Video => Message::Video(payload.clone()),
            T::CommandAmf0 | T::CommandAmf3 => {
                let encoding = encoding_of(message_type);
                Message::Command {
                    command: Command::decode(payload, encoding, &DecodeLimits::from(limits))?,
                    encoding,
                }
            }
            T::DataAmf0 | T::DataAmf3 => {
                let encoding = encoding_of(message_type);
                Message::Data {
                    data: DataMessage::decode(payload, encoding, &DecodeLimits::from(limits))?,
                    encoding,
                }
            }
            T::SharedObjectAmf0 | T::SharedObjectAmf3 => Message::SharedObject {
                payload: payload.clone(),
                encoding: encoding_of(message_type),
            },
            T::Aggregate => Message::Aggregate(payload.clone()),
        })
    }

    /// The wire type id.
    pub fn type_id(&self) -> u8 {
        match self {
            Message::Control(c) => c.type_id(),
            Message::UserControl(_) => MessageType::UserControl.id(),
            Message::Audio(_) => MessageType::Audio.id(),
            Message::Video(_) => MessageType::Video.id(),
            Message::Command { encoding, .. } => Command::type_id(*encoding),
            Message::Data { encoding, .. } => DataMessage::type_id(*encoding),
            Message::SharedObject { encoding, .. } => match encoding {
                Encoding::Amf0 => MessageType::SharedObjectAmf0.id(),
                Encoding::Amf3 => MessageType::SharedObjectAmf3.id(),
            },
            Message::Aggregate(_) => MessageType::Aggregate.id(),
            Message::Unknown { type_id, .. } => *type_id,
        }
    }

    /// The payload: encoded for typed messages, the same `Bytes` (no copy) for raw ones.
    pub fn payload(&self) -> Bytes {
        match self {
            Message::Control(c) => c.to_bytes(),
            Message::UserControl(u) => u.to_bytes(),
            Message::Command { command, encoding } => {
                let mut out = BytesMut::new();
                command.encode(*encoding, &mut out);
                out.freeze()
            }
            Message::Data { data, encoding } => {
                let mut out = BytesMut::new();
                data.encode(*encoding, &mut out);
                out.freeze()
            }
            Message::Audio(p)
            | Message::Video(p)
            | Message::Aggregate(p)
            | Message::SharedObject { payload: p, .. }
            | Message::Unknown { payload: p, .. } => p.clone(),
        }
    }

    /// The complete message with this header. Protocol control and user control messages
    /// belong on message stream 0; the caller passes the stream id it means.
    pub fn into_raw(self, timestamp: u32, stream_id: u32) -> RawMessage {
        RawMessage {
            timestamp,
            type_id: self.type_id(),
            stream_id,
            payload: self.payload(),
        }
    }
}

fn encoding_of(t: MessageType) -> Encoding {
    match t {
        MessageType::CommandAmf3 | MessageType::DataAmf3 | MessageType::SharedObjectAmf3 => {
            Encoding::Amf3
        }
        _ => Encoding::Amf0,
    }
}
