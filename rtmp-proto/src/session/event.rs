//! What a session tells its application.

use bytes::{Bytes, BytesMut};

use super::request::{CallId, ConnectId, PlayId, PublishId, StreamId};
use super::timer::TimeoutKind;
use crate::amf::{Value, amf0};
use crate::error::ProtocolError;
use crate::media::caps::EnhancedCaps;
use crate::message::data::ON_METADATA;

/// An audio or video message as it travels between publisher, relay and players.
///
/// The payload is the FLV tag body exactly as on the wire (legacy or Enhanced RTMP); parse it
/// with [`crate::media`] when the codec matters. Cloning is a reference-count bump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    /// Audio (message type 8) or video (type 9).
    pub kind: MediaKind,
    /// Milliseconds, wrapping at 2^32.
    pub timestamp: u32,
    /// The FLV tag body: codec header byte(s), then codec data.
    pub payload: Bytes,
}

/// Which of the two media message types a [`Media`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    /// An audio message (type 8): FLV audio tag body.
    Audio,
    /// A video message (type 9): FLV video tag body.
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
///
/// What both sessions send with `send_metadata`
/// ([`ServerSession::send_metadata`](super::ServerSession::send_metadata) toward a player,
/// [`ClientSession::send_metadata`](super::ClientSession::send_metadata) as a publisher),
/// and what they report in their `Metadata` events, so a publisher's metadata can be
/// passed on as it came. Build your own with [`Metadata::new`], which keeps
/// [`payload`](Self::payload) and [`values`](Self::values) in step: the sessions send the
/// payload, the values are for reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// The metadata object (usually an ECMA array) that followed `onMetaData`.
    pub values: Value,
    /// The complete data-message payload `"onMetaData", values` in AMF0: what goes on the
    /// wire (a publisher's `@setDataFrame` wrapper already removed; a client session adds
    /// it back when it publishes).
    pub payload: Bytes,
    /// Milliseconds, wrapping at 2^32; usually 0.
    pub timestamp: u32,
}

impl Metadata {
    /// Metadata with these values at timestamp 0, encoded once: `"onMetaData", values` in
    /// AMF0. Set [`timestamp`](Self::timestamp) afterwards if it matters.
    pub fn new(values: Value) -> Self {
        let name = Value::from(ON_METADATA);
        let len = amf0::encoded_len(&name) + amf0::encoded_len(&values);
        let mut out = BytesMut::with_capacity(len);
        amf0::encode(&name, &mut out);
        amf0::encode(&values, &mut out);
        Metadata {
            values,
            payload: out.freeze(),
            timestamp: 0,
        }
    }
}

impl From<Value> for Metadata {
    /// [`Metadata::new`].
    fn from(values: Value) -> Self {
        Metadata::new(values)
    }
}

/// Everything the peer asked for in `connect`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectRequest {
    /// The application name without its query string (`live` for `rtmp://host/live`).
    pub app: String,
    /// The query string of the app or tcUrl, without the `?`.
    pub query: Option<String>,
    /// `tcUrl`: the URL the client connected to (`rtmp://host/live`), as it wrote it.
    pub tc_url: Option<String>,
    /// `flashVer`: the client's name and version (`FMLE/3.0 (compatible; obs-studio)`).
    pub flash_ver: Option<String>,
    /// `swfUrl`: the URL of the SWF that made the connection, when sent.
    pub swf_url: Option<String>,
    /// `pageUrl`: the web page the SWF was loaded from, when sent.
    pub page_url: Option<String>,
    /// `objectEncoding`: 0 for AMF0, 3 for AMF3.
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
    /// `live`: broadcast without recording; the default, and what encoders send.
    Live,
    /// `record`: broadcast and record, replacing any earlier recording of the stream.
    Record,
    /// `append`: broadcast and record, appending to an earlier recording.
    Append,
}

/// A `publish` request.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishRequest {
    /// The message stream the `publish` came on; media will arrive on it.
    pub stream: StreamId,
    /// The stream name (key) without its query string.
    pub name: String,
    /// The query string of the name (`key?token=...`), without the `?`.
    pub query: Option<String>,
    /// The `publish` type argument; [`PublishMode::Live`] when absent or unknown.
    pub mode: PublishMode,
}

/// A `play` request.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayRequest {
    /// The message stream the `play` came on; media goes out on it.
    pub stream: StreamId,
    /// The stream name without its query string.
    pub name: String,
    /// The query string of the name, without the `?`.
    pub query: Option<String>,
    /// Start in ms; -2000, -1000, -2 and 0 all mean "live" in practice.
    pub start: f64,
    /// -1 = until the end.
    pub duration: f64,
    /// Whether to flush any previous playlist (the spec's `reset` flag); `true` when absent.
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
    /// The message stream the command came on (0 for connection-level calls).
    pub stream: StreamId,
    /// The command name.
    pub name: String,
    /// The peer's transaction id; 0 means it expects no answer.
    pub transaction_id: f64,
    /// The command object (usually `null`).
    pub command_object: Value,
    /// The arguments after the command object.
    pub arguments: Vec<Value>,
}

/// The server's answer to a [`ClientSession::call`](super::ClientSession::call), as
/// [`ClientEvent::CallResult`](super::ClientEvent::CallResult) reports it: the client-side
/// mirror of what [`ServerSession::answer_call`](super::ServerSession::answer_call) sends.
///
/// Either way it carries what followed the transaction id of the reply: the command
/// object (`null` from most servers, this crate's included) and the arguments.
#[derive(Debug, Clone, PartialEq)]
pub enum CallResult {
    /// `_result`: the call succeeded (`answer_call(.., Ok(arguments))` on our server).
    Success {
        /// The first value after the transaction id (usually `null`).
        command_object: Value,
        /// The values after it: the call's return values.
        arguments: Vec<Value>,
    },
    /// `_error`: the call failed or the server does not know it. The first argument is
    /// usually an information object `{level: "error", code, description}`, e.g.
    /// `NetConnection.Call.Failed`.
    Error {
        /// The first value after the transaction id (usually `null`).
        command_object: Value,
        /// The values after it: usually one information object.
        arguments: Vec<Value>,
    },
}

impl CallResult {
    /// Whether the server answered `_result`.
    pub fn is_success(&self) -> bool {
        matches!(self, CallResult::Success { .. })
    }

    /// The first value after the transaction id, whichever the answer.
    pub fn command_object(&self) -> &Value {
        match self {
            CallResult::Success { command_object, .. }
            | CallResult::Error { command_object, .. } => command_object,
        }
    }

    /// The values after the command object, whichever the answer.
    pub fn arguments(&self) -> &[Value] {
        match self {
            CallResult::Success { arguments, .. } | CallResult::Error { arguments, .. } => {
                arguments
            }
        }
    }
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
        /// Pass to the answer.
        id: ConnectId,
        /// Boxed: connect happens once, and the event queue's slots stay small.
        request: Box<ConnectRequest>,
    },
    /// `createStream` allocated a message stream.
    StreamCreated {
        /// The new message stream id, already sent in the `_result`.
        stream: StreamId,
    },
    /// The client announced a publish with `FCPublish` (already answered with
    /// `onFCPublish`; the `publish` itself follows).
    FcPublish {
        /// The stream name announced.
        name: String,
    },
    /// Answer with `accept_publish` or `reject`.
    PublishRequested {
        /// Pass to the answer.
        id: PublishId,
        /// What the publisher asked for.
        request: PublishRequest,
    },
    /// Answer with `accept_play` or `reject`.
    PlayRequested {
        /// Pass to the answer.
        id: PlayId,
        /// What the player asked for.
        request: PlayRequest,
    },
    /// Audio or video from a publisher.
    Media {
        /// The publishing stream it arrived on.
        stream: StreamId,
        /// The message, payload untouched.
        media: Media,
    },
    /// `@setDataFrame onMetaData` (or a bare `onMetaData`) from a publisher.
    Metadata {
        /// The publishing stream it arrived on.
        stream: StreamId,
        /// The decoded values, and the payload to relay to players.
        metadata: Metadata,
    },
    /// Another data message on a publishing stream, raw.
    Data {
        /// The publishing stream it arrived on.
        stream: StreamId,
        /// The AMF-encoded data message payload (type 18 or 15), undecoded.
        payload: Bytes,
        /// Milliseconds, wrapping at 2^32.
        timestamp: u32,
    },
    /// A publisher stopped (FCUnpublish, closeStream or deleteStream).
    PublishStopped {
        /// The stream that was publishing; it is idle again.
        stream: StreamId,
    },
    /// A player stopped (closeStream or deleteStream).
    PlayStopped {
        /// The stream that was playing; it is idle again.
        stream: StreamId,
    },
    /// A player paused (`true`) or resumed (`false`) at `position` ms.
    Paused {
        /// The playing stream.
        stream: StreamId,
        /// `true`: paused; `false`: resumed.
        paused: bool,
        /// The player's position in ms when it paused or resumed.
        position: f64,
    },
    /// A player asked to seek; live streams answer at the live point.
    Seek {
        /// The playing stream.
        stream: StreamId,
        /// The requested position in ms.
        position: f64,
    },
    /// `receiveAudio` / `receiveVideo`.
    ReceiveMedia {
        /// The playing stream.
        stream: StreamId,
        /// Which kind of media the player turns on or off.
        kind: MediaKind,
        /// `true`: send it; `false`: stop sending it.
        enabled: bool,
    },
    /// The stream id was freed by `deleteStream`.
    StreamDeleted {
        /// The freed id.
        stream: StreamId,
    },
    /// A player's buffer length (User Control SetBufferLength).
    BufferLength {
        /// The stream the player buffers.
        stream: StreamId,
        /// The buffer it keeps, in ms.
        millis: u32,
    },
    /// A command the session does not know. With `ServerConfig::custom_calls` the
    /// application must answer via `answer_call`; otherwise `_error` was already sent.
    Call {
        /// Pass to `answer_call` when `custom_calls` is on.
        id: CallId,
        /// The command. Boxed: calls are rare, and the event queue's slots stay small.
        call: Box<CallRequest>,
    },
    /// The session ended. Exactly once, always last; drain `poll_transmit` before closing
    /// the socket so rejections and status messages reach the peer.
    Closed(CloseReason),
}
