use bytes::Bytes;

/// One complete message: the header fields the chunk stream carries and the payload.
///
/// The payload is a `Bytes`: a message that arrived in a single chunk is a zero-copy slice of
/// the input buffer, and an outbound payload is sliced into chunks without copying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// Absolute timestamp in milliseconds; wraps at 2^32.
    pub timestamp: u32,
    /// The message type id (see [`MessageType`]).
    pub type_id: u8,
    /// The message stream id (0 for NetConnection and protocol control).
    pub stream_id: u32,
    /// The message body, its layout given by `type_id`.
    pub payload: Bytes,
}

/// The message type ids of RTMP 1.0 §5.4 and §7.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageType {
    /// 1, protocol control: the sender's new maximum chunk size.
    SetChunkSize = 1,
    /// 2, protocol control: discard the partly received message on a chunk stream.
    Abort = 2,
    /// 3, protocol control: bytes received so far, sent every window.
    Acknowledgement = 3,
    /// 4: User Control events (StreamBegin, StreamEOF, SetBufferLength, ping, ...).
    UserControl = 4,
    /// 5, protocol control: how many bytes the sender may receive before acknowledging.
    WindowAckSize = 5,
    /// 6, protocol control: limits the peer's outbound window (its Window Ack Size).
    SetPeerBandwidth = 6,
    /// 8: audio data, an FLV audio tag body.
    Audio = 8,
    /// 9: video data, an FLV video tag body.
    Video = 9,
    /// 15: a data message (metadata, `@setDataFrame`) in AMF3.
    DataAmf3 = 15,
    /// 16: a shared object event in AMF3.
    SharedObjectAmf3 = 16,
    /// 17: a command (`connect`, `publish`, replies) in AMF3, after a leading format byte.
    CommandAmf3 = 17,
    /// 18: a data message (metadata, `@setDataFrame`) in AMF0.
    DataAmf0 = 18,
    /// 19: a shared object event in AMF0.
    SharedObjectAmf0 = 19,
    /// 20: a command (`connect`, `publish`, replies) in AMF0.
    CommandAmf0 = 20,
    /// 22: several audio, video or data messages in one, each with an FLV tag header.
    Aggregate = 22,
}

impl MessageType {
    /// The type for a wire id, or `None` for ids RTMP does not define.
    pub fn from_id(id: u8) -> Option<Self> {
        use MessageType::*;
        Some(match id {
            1 => SetChunkSize,
            2 => Abort,
            3 => Acknowledgement,
            4 => UserControl,
            5 => WindowAckSize,
            6 => SetPeerBandwidth,
            8 => Audio,
            9 => Video,
            15 => DataAmf3,
            16 => SharedObjectAmf3,
            17 => CommandAmf3,
            18 => DataAmf0,
            19 => SharedObjectAmf0,
            20 => CommandAmf0,
            22 => Aggregate,
            _ => return None,
        })
    }

    /// The wire id.
    pub fn id(self) -> u8 {
        self as u8
    }
}

impl RawMessage {
    /// The message type, if RTMP defines this id.
    pub fn message_type(&self) -> Option<MessageType> {
        MessageType::from_id(self.type_id)
    }
}
