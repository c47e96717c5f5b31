//! What a session tells its application.

use bytes::Bytes;

use super::request::{CallId, ConnectId, PlayId, PublishId, StreamId};
use super::timer::TimeoutKind;
use crate::amf::Value;
use crate::error::ProtocolError;
use crate::media::caps::EnhancedCaps;

/// An audio or video message as it travels between publisher, relay and players.
///
/// The payload is the FLV tag body exactly as on the wire (legacy or Enhanced RTMP); parse it
/// with [`crate::media`] when the codec matters. Cloning is a reference-count bump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub kind: MediaKind,
    /// Milliseconds, wrapping at 2^32.
    pub timestamp: u32,
    pub payload: Bytes,
}

/// Which of the two media message types a [`Media`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Audio,
    Video,
}

impl MediaKind {
    /// The RTMP message type id (8 audio, 9 video).
    pub fn type_id(self) -> u8 {
        match self {
            MediaKind::Audio => 8,
            MediaKind::Video => 9,
        }
    }
}

/// Stream metadata (`onMetaData`), as values and as the raw AMF0 bytes to relay unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// The metadata object (usually an ECMA array) that followed `onMetaData`.
    pub values: Value,
    /// The complete data-message payload `"onMetaData", values` in AMF0: what a relay sends
    /// to its players (a publisher's `@setDataFrame` wrapper already removed).
    pub payload: Bytes,
    pub timestamp: u32,
}

/// Everything the peer asked for in `connect`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRequest {
    /// The application name without its query string (`live` for `rtmp://host/live`).
    pub app: String,
    /// The query string of the app or tcUrl, without the `?`.
    pub query: Option<String>,
    pub tc_url: Option<String>,
    pub flash_ver: Option<String>,
    pub swf_url: Option<String>,
    pub page_url: Option<String>,
    /// 0 for AMF0, 3 for AMF3.
    pub object_encoding: f64,
    /// The whole command object, for fields this struct does not name (E-RTMP
    /// `fourCcList`, `capsEx`, custom fields).
    pub command_object: Value,
    /// Arguments after the command object (some clients pass credentials there).
    pub arguments: Vec<Value>,
    /// The client's Enhanced RTMP capabilities, when it advertised any.
    pub enhanced: Option<EnhancedCaps>,
}

/// How a publisher wants its stream recorded (`publish` type argument).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishMode {
    Live,
    Record,
    Append,
}

/// A `publish` request.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishRequest {
    pub stream: StreamId,
    /// The stream name (key) without its query string.
    pub name: String,
    pub query: Option<String>,
    pub mode: PublishMode,
}

/// A `play` request.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayRequest {
    pub stream: StreamId,
    pub name: String,
    pub query: Option<String>,
    /// Start in ms; -2000, -1000, -2 and 0 all mean "live" in practice.
    pub start: f64,
    /// -1 = until the end.
    pub duration: f64,
    pub reset: bool,
}

impl PlayRequest {
    /// Whether the player asked for the live stream. Clients send -2000 (Flash), -1000,
    /// -2 (Adobe's "live or recorded"), -1 ("live only") and 0 (ffmpeg for live input): a
    /// live server treats every one of them as "from the live point".
    pub fn wants_live(&self) -> bool {
        self.start <= 0.0 || self.start.is_nan()
    }
}

/// A command the session does not handle itself, offered to the application.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRequest {
    pub stream: StreamId,
    pub name: String,
    pub transaction_id: f64,
    pub command_object: Value,
    pub arguments: Vec<Value>,
}

/// Why a session ended.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed the connection (end of input).
    PeerClosed,
    /// The peer broke the protocol.
    Protocol(ProtocolError),
    /// A deadline passed.
    Timeout(TimeoutKind),
    /// The application rejected or redirected the connect.
    Rejected,
    /// The application called `close`.
    Local,
}

/// Events of a [`ServerSession`](super::ServerSession).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The handshake finished; chunk stream traffic begins.
    HandshakeDone,
    /// Answer with `accept_connect`, `reject` or `redirect`.
    ConnectRequested {
        id: ConnectId,
        /// Boxed: connect happens once, and the event queue's slots stay small.
        request: Box<ConnectRequest>,
    },
    /// `createStream` allocated a message stream.
    StreamCreated { stream: StreamId },
    /// Answer with `accept_publish` or `reject`.
    PublishRequested {
        id: PublishId,
        request: PublishRequest,
    },
    /// Answer with `accept_play` or `reject`.
    PlayRequested { id: PlayId, request: PlayRequest },
    /// Audio or video from a publisher.
    Media { stream: StreamId, media: Media },
    /// `@setDataFrame onMetaData` (or a bare `onMetaData`) from a publisher.
    Metadata {
        stream: StreamId,
        metadata: Metadata,
    },
    /// Another data message on a publishing stream, raw.
    Data {
        stream: StreamId,
        payload: Bytes,
        timestamp: u32,
    },
    /// A publisher stopped (FCUnpublish, closeStream or deleteStream).
    PublishStopped { stream: StreamId },
    /// A player stopped (closeStream or deleteStream).
    PlayStopped { stream: StreamId },
    /// A player paused (`true`) or resumed (`false`) at `position` ms.
    Paused {
        stream: StreamId,
        paused: bool,
        position: f64,
    },
    /// A player asked to seek; live streams answer at the live point.
    Seek { stream: StreamId, position: f64 },
    /// `receiveAudio` / `receiveVideo`.
    ReceiveMedia {
        stream: StreamId,
        kind: MediaKind,
        enabled: bool,
    },
    /// The stream id was freed by `deleteStream`.
    StreamDeleted { stream: StreamId },
    /// A player's buffer length (User Control SetBufferLength).
    BufferLength { stream: StreamId, millis: u32 },
    /// A command the session does not know. With `ServerConfig::custom_calls` the
    /// application must answer via `answer_call`; otherwise `_error` was already sent.
    Call { id: CallId, call: Box<CallRequest> },
    /// The session ended. Exactly once, always last; drain `poll_transmit` before closing
    /// the socket so rejections and status messages reach the peer.
    Closed(CloseReason),
}
