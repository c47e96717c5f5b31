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
    pub payload: Bytes,
}

/// The message type ids of RTMP 1.0 §5.4 and §7.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageType {
    SetChunkSize = 1,
    Abort = 2,
    Acknowledgement = 3,
    UserControl = 4,
    WindowAckSize = 5,
    SetPeerBandwidth = 6,
    Audio = 8,
    Video = 9,
    DataAmf3 = 15,
    SharedObjectAmf3 = 16,
    CommandAmf3 = 17,
    DataAmf0 = 18,
    SharedObjectAmf0 = 19,
    CommandAmf0 = 20,
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
