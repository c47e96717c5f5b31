//! Protocol control messages (RTMP 1.0 §5.4, types 1, 2, 3, 5 and 6).
//!
//! They travel on chunk stream 2, message stream 0, and each carries one or two fixed-size
//! fields. Trailing bytes after those fields are ignored: some peers pad, and the fields are
//! unambiguous.

use bytes::{BufMut, Bytes, BytesMut};

use super::wire::be_u32;
use super::{MessageError, MessageType, RawMessage};

/// A protocol control message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ControlMessage {
    /// Type 1: the sender's chunk size from its next chunk on (NOTES 4). Valid values are
    /// `1..=`[`ControlMessage::MAX_CHUNK_SIZE`]; decoding rejects anything else, and
    /// encoding an out-of-range value produces a message the peer will reject.
    SetChunkSize(u32),
    /// Type 2: discard the partly received message of this chunk stream (NOTES 5).
    Abort {
        /// The chunk stream whose partial message to drop.
        chunk_stream_id: u32,
    },
    /// Type 3: the **total** number of bytes received so far, wrapping at 2^32 (NOTES 6).
    Acknowledgement {
        /// Bytes received so far on the connection, modulo 2^32.
        sequence_number: u32,
    },
    /// Type 5: how many bytes the sender wants to receive between acknowledgements.
    WindowAckSize(u32),
    /// Type 6: limit the peer's output window (NOTES 7).
    SetPeerBandwidth {
        /// The window, in bytes, the peer should use as its Window Ack Size.
        window_size: u32,
        /// How the peer applies `window_size`.
        limit_type: LimitType,
    },
}

/// The limit type of Set Peer Bandwidth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LimitType {
    /// 0: use exactly this window.
    Hard = 0,
    /// 1: use this window or the current one, whichever is smaller.
    Soft = 1,
    /// 2: hard if the previous limit was hard, otherwise ignore.
    Dynamic = 2,
}

impl LimitType {
    /// The limit type for a wire byte.
    pub fn from_byte(byte: u8) -> Result<Self, MessageError> {
        match byte {
            0 => Ok(LimitType::Hard),
            1 => Ok(LimitType::Soft),
            2 => Ok(LimitType::Dynamic),
            other => Err(MessageError::UnknownLimitType(other)),
        }
    }
}

impl ControlMessage {
    /// The largest chunk size the 31-bit field can carry.
    pub const MAX_CHUNK_SIZE: u32 = 0x7FFF_FFFF;

    /// Decodes the payload of a message of type `type_id` (1, 2, 3, 5 or 6).
    pub fn decode(type_id: u8, payload: &[u8]) -> Result<Self, MessageError> {
        let truncated = || MessageError::Truncated {
            type_id,
            len: payload.len(),
        };
        let first = be_u32(payload, 0).ok_or_else(truncated)?;
        match MessageType::from_id(type_id) {
            Some(MessageType::SetChunkSize) => {
                if first == 0 || first > Self::MAX_CHUNK_SIZE {
                    return Err(MessageError::InvalidChunkSize(first));
                }
                Ok(ControlMessage::SetChunkSize(first))
            }
            Some(MessageType::Abort) => Ok(ControlMessage::Abort {
                chunk_stream_id: first,
            }),
            Some(MessageType::Acknowledgement) => Ok(ControlMessage::Acknowledgement {
                sequence_number: first,
            }),
            Some(MessageType::WindowAckSize) => Ok(ControlMessage::WindowAckSize(first)),
            Some(MessageType::SetPeerBandwidth) => {
                let limit = *payload.get(4).ok_or_else(truncated)?;
                Ok(ControlMessage::SetPeerBandwidth {
                    window_size: first,
                    limit_type: LimitType::from_byte(limit)?,
                })
            }
            _ => Err(MessageError::WrongType {
                expected: "protocol control (1, 2, 3, 5 or 6)",
                type_id,
            }),
        }
    }

    /// The message type id this message is sent with.
    pub fn type_id(&self) -> u8 {
        self.message_type().id()
    }

    /// The message type this message is sent with.
    pub fn message_type(&self) -> MessageType {
        match self {
            ControlMessage::SetChunkSize(_) => MessageType::SetChunkSize,
            ControlMessage::Abort { .. } => MessageType::Abort,
            ControlMessage::Acknowledgement { .. } => MessageType::Acknowledgement,
            ControlMessage::WindowAckSize(_) => MessageType::WindowAckSize,
            ControlMessage::SetPeerBandwidth { .. } => MessageType::SetPeerBandwidth,
        }
    }

    /// Appends the payload (4 or 5 bytes) to `out`.
    pub fn encode(&self, out: &mut BytesMut) {
        match *self {
            ControlMessage::SetChunkSize(v)
            | ControlMessage::Abort { chunk_stream_id: v }
            | ControlMessage::Acknowledgement { sequence_number: v }
            | ControlMessage::WindowAckSize(v) => out.put_u32(v),
            ControlMessage::SetPeerBandwidth {
                window_size,
                limit_type,
            } => {
                out.put_u32(window_size);
                out.put_u8(limit_type as u8);
            }
        }
    }

    /// The payload as its own buffer.
    pub fn to_bytes(&self) -> Bytes {
        // Exactly sized: `freeze` of a buffer with spare room costs a second allocation.
        let len = match self {
            ControlMessage::SetPeerBandwidth { .. } => 5,
            _ => 4,
        };
        let mut out = BytesMut::with_capacity(len);
        self.encode(&mut out);
        out.freeze()
    }

    /// The complete message, on message stream 0 as the spec requires.
    pub fn to_raw(&self, timestamp: u32) -> RawMessage {
        RawMessage {
            timestamp,
            type_id: self.type_id(),
            stream_id: 0,
            payload: self.to_bytes(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_chunk_size_bounds() {
        assert_eq!(
            ControlMessage::decode(1, &[0, 0, 0x10, 0]),
            Ok(ControlMessage::SetChunkSize(4096))
        );
        assert_eq!(
            ControlMessage::decode(1, &[0x7F, 0xFF, 0xFF, 0xFF]),
            Ok(ControlMessage::SetChunkSize(0x7FFF_FFFF))
        );
        assert_eq!(
            ControlMessage::decode(1, &[0, 0, 0, 0]),
            Err(MessageError::InvalidChunkSize(0))
        );
        assert_eq!(
            ControlMessage::decode(1, &[0x80, 0, 0, 1]),
            Err(MessageError::InvalidChunkSize(0x8000_0001))
        );
    }

    #[test]
    fn short_payloads_are_truncated_errors() {
        for type_id in [1, 2, 3, 5, 6] {
            assert_eq!(
                ControlMessage::decode(type_id, &[0, 0, 1]),
                Err(MessageError::Truncated { type_id, len: 3 })
            );
        }
        assert_eq!(
            ControlMessage::decode(6, &[0, 0, 1, 0]),
            Err(MessageError::Truncated { type_id: 6, len: 4 })
        );
    }

    #[test]
    fn wrong_type_is_an_error() {
        assert!(matches!(
            ControlMessage::decode(8, &[0, 0, 0, 1]),
            Err(MessageError::WrongType { type_id: 8, .. })
        ));
    }
}
