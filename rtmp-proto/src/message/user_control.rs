//! User Control messages (type 4, RTMP 1.0 §6.2 and §7.1.7): a u16 event type then the
//! event data.
//!
//! Peers send events beyond the spec (librtmp's SWF verification 26/27, and others), so an
//! unknown event type is kept as raw bytes instead of failing the connection (NOTES 8). A
//! known event whose data is too short is an error: its fields cannot be read.

use bytes::{BufMut, Bytes, BytesMut};

use super::wire::{be_u16, be_u32};
use super::{MessageError, MessageType, RawMessage};

/// One User Control event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserControlEvent {
    /// 0: the stream is ready for use (sent before media, after publish/play).
    StreamBegin {
        /// The message stream that became functional.
        stream_id: u32,
    },
    /// 1: playback of the stream is over.
    StreamEof {
        /// The message stream whose playback ended.
        stream_id: u32,
    },
    /// 2: no more data on the stream for now.
    StreamDry {
        /// The message stream that ran dry.
        stream_id: u32,
    },
    /// 3: the client's buffer length for the stream, in milliseconds.
    SetBufferLength {
        /// The message stream the client buffers.
        stream_id: u32,
        /// The buffer length, in milliseconds.
        buffer_ms: u32,
    },
    /// 4: the stream is a recording, not live.
    StreamIsRecorded {
        /// The recorded message stream.
        stream_id: u32,
    },
    /// 6: the server probes the client; it echoes the timestamp in a `PingResponse`.
    PingRequest {
        /// The server's local time, to be echoed back.
        timestamp: u32,
    },
    /// 7: the answer to a `PingRequest`.
    PingResponse {
        /// The timestamp of the `PingRequest` it answers.
        timestamp: u32,
    },
    /// 31: the client's buffer ran empty (Flash Media Server extension, seen in the wild).
    BufferEmpty {
        /// The message stream whose buffer ran empty.
        stream_id: u32,
    },
    /// 32: the client's buffer is full again.
    BufferReady {
        /// The message stream whose buffer refilled.
        stream_id: u32,
    },
    /// Any other event type, kept as sent. Encoding `Unknown` with a known event type gives
    /// bytes that decode as that known event.
    Unknown {
        /// The event type from the first two bytes.
        event_type: u16,
        /// The event data after them.
        data: Bytes,
    },
}

impl UserControlEvent {
    /// Decodes a type 4 payload. Bytes after the event's fields are ignored.
    pub fn decode(payload: &Bytes) -> Result<Self, MessageError> {
        let truncated = || MessageError::Truncated {
            type_id: MessageType::UserControl.id(),
            len: payload.len(),
        };
        let event_type = be_u16(payload, 0).ok_or_else(truncated)?;
        let field = |i: usize| be_u32(payload, 2 + 4 * i).ok_or_else(truncated);
        use UserControlEvent::*;
        Ok(match event_type {
            0 => StreamBegin {
                stream_id: field(0)?,
            },
            1 => StreamEof {
                stream_id: field(0)?,
            },
            2 => StreamDry {
                stream_id: field(0)?,
            },
            3 => SetBufferLength {
                stream_id: field(0)?,
                buffer_ms: field(1)?,
            },
            4 => StreamIsRecorded {
                stream_id: field(0)?,
            },
            6 => PingRequest {
                timestamp: field(0)?,
            },
            7 => PingResponse {
                timestamp: field(0)?,
            },
            31 => BufferEmpty {
                stream_id: field(0)?,
            },
            32 => BufferReady {
                stream_id: field(0)?,
            },
            _ => Unknown {
                event_type,
                data: payload.slice(2..),
            },
        })
    }

    /// The wire event type.
    pub fn event_type(&self) -> u16 {
        use UserControlEvent::*;
        match self {
            StreamBegin { .. } => 0,
            StreamEof { .. } => 1,
            StreamDry { .. } => 2,
            SetBufferLength { .. } => 3,
            StreamIsRecorded { .. } => 4,
            PingRequest { .. } => 6,
            PingResponse { .. } => 7,
            BufferEmpty { .. } => 31,
            BufferReady { .. } => 32,
            Unknown { event_type, .. } => *event_type,
        }
    }

    /// Appends the payload to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        use UserControlEvent::*;
        out.put_u16(self.event_type());
        match self {
            StreamBegin { stream_id }
            | StreamEof { stream_id }
            | StreamDry { stream_id }
            | StreamIsRecorded { stream_id }
            | BufferEmpty { stream_id }
            | BufferReady { stream_id } => out.put_u32(*stream_id),
            SetBufferLength {
                stream_id,
                buffer_ms,
            } => {
                out.put_u32(*stream_id);
                out.put_u32(*buffer_ms);
            }
            PingRequest { timestamp } | PingResponse { timestamp } => out.put_u32(*timestamp),
            Unknown { data, .. } => out.put_slice(data),
        }
    }

    /// The payload as its own buffer.
    pub fn to_bytes(&self) -> Bytes {
        // Exactly sized: `freeze` of a buffer with spare room costs a second allocation.
        let body = match self {
            UserControlEvent::SetBufferLength { .. } => 8,
            UserControlEvent::Unknown { data, .. } => data.len(),
            _ => 4,
        };
        let mut out = BytesMut::with_capacity(2 + body);
        self.encode(&mut out);
        out.freeze()
    }

    /// The complete message, on message stream 0 as the spec requires (the stream the
    /// event is about is inside the payload).
    pub fn to_raw(&self, timestamp: u32) -> RawMessage {
        RawMessage {
            timestamp,
            type_id: MessageType::UserControl.id(),
            stream_id: 0,
            payload: self.to_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_event_keeps_its_bytes_zero_copy() {
        let payload = Bytes::from_static(&[0x00, 0x1A, 1, 2, 3]);
        let ev = UserControlEvent::decode(&payload).unwrap();
        let UserControlEvent::Unknown { event_type, data } = &ev else {
            panic!("expected Unknown, got {ev:?}");
        };
        assert_eq!(*event_type, 26);
        assert_eq!(&data[..], &[1, 2, 3]);
        assert_eq!(data.as_ptr(), payload[2..].as_ptr());
        assert_eq!(ev.to_bytes(), payload);
    }

    #[test]
    fn short_known_event_is_truncated() {
        let payload = Bytes::from_static(&[0x00, 0x03, 0, 0, 0, 1, 0, 0]);
        assert_eq!(
            UserControlEvent::decode(&payload),
            Err(MessageError::Truncated { type_id: 4, len: 8 })
        );
        assert!(UserControlEvent::decode(&Bytes::from_static(&[0])).is_err());
    }
}
