//! The client side of one RTMP connection: handshake, connect, and publishing or playing
//! streams.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::event::{CallResult, CloseReason, Media, MediaKind, Metadata, PublishMode};
use super::outbound::{Outbound, csid};
use super::reader::{HandshakeStep, Reader};
use super::request::{CallId, StreamId};
use super::timer::{Liveness, LivenessAction, Timeouts};
use super::wire::{self, Inbound};
use crate::amf::Value;
use crate::config::Limits;
use crate::error::{ProtocolError, UsageError};
use crate::handshake::{self, Handshake};
use crate::media::caps::{EnhancedCaps, ReconnectRequest};
use crate::message::status::{StatusCode, StatusLevel};
use crate::message::{Command, Encoding, RawMessage};
use crate::rng::Rng;

/// How a client session behaves.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// Bounds on what the server can make us hold (chunk streams, message sizes, AMF depth).
    pub limits: Limits,
    /// Handshake, idle and ping deadlines. The default sends no pings of its own
    /// (`ping_interval: None`): servers ping, and the client answers.
    pub timeouts: Timeouts,
    /// How C0+C1 is written: plain, or signed with the Flash Player digest.
    pub handshake: handshake::ClientConfig,
    /// Our outbound chunk size, announced right after the handshake.
    pub chunk_size: u32,
    /// Most commands awaiting a reply at once.
    pub max_pending_requests: usize,
    /// Most payload bytes queued toward the server; `send_media` refuses beyond this.
    pub max_outbound_bytes: usize,
    /// Seed of the PRNG for handshake filler.
    pub rng_seed: u64,
    /// Enhanced RTMP capabilities a [`ClientLink`](crate::client::ClientLink) advertises
    /// in the `connect` it builds (a publisher that may send HEVC lists `hvc1`, so an
    /// E-RTMP server answers whether it takes it). `None`: only what the link's role
    /// needs. A `connect` sent directly takes [`ConnectParams::enhanced`] instead.
    pub advertise: Option<EnhancedCaps>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            limits: Limits::default(),
            // A client answers pings; it does not need to send its own.
            timeouts: Timeouts {
                ping_interval: None,
                ..Timeouts::default()
            },
            handshake: handshake::ClientConfig::default(),
            chunk_size: 4096,
            max_pending_requests: 64,
            max_outbound_bytes: 64 * 1024 * 1024,
            rng_seed: 0xC11E,
            advertise: None,
        }
    }
}

/// The `connect` command object. Defaults match what OBS and ffmpeg send.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectParams {
    /// `app`: the server application to connect to (`live` in `rtmp://host/live/key`),
    /// with any query string the server expects.
    pub app: String,
    /// `tcUrl`: the URL of the application as the client sees it (`rtmp://host/live`);
    /// servers use it for virtual hosting and redirects.
    pub tc_url: String,
    /// `flashVer`: the client's name and version, like a User-Agent.
    pub flash_ver: String,
    /// `swfUrl`: the URL of the SWF that made the connection; omitted when `None`.
    pub swf_url: Option<String>,
    /// `pageUrl`: the URL of the web page the SWF was loaded from; omitted when `None`.
    pub page_url: Option<String>,
    /// `type: "nonprivate"` as FMLE/OBS send it.
    pub kind: Option<String>,
    /// `fpad`: whether a proxy is in use.
    pub fpad: bool,
    /// `capabilities`: the client's capability bit field (15 by default, as ffmpeg sends).
    pub capabilities: f64,
    /// `audioCodecs`: bit field of the legacy audio codecs the client supports.
    pub audio_codecs: f64,
    /// `videoCodecs`: bit field of the legacy video codecs the client supports.
    pub video_codecs: f64,
    /// `videoFunction`: special video functions supported (1: seeking frame-accurately).
    pub video_function: f64,
    /// `objectEncoding`: the AMF version asked for, 0 for AMF0 or 3 for AMF3. Our commands
    /// are AMF0 either way.
    pub object_encoding: f64,
    /// Enhanced RTMP capabilities to advertise (`fourCcList`, FourCC info maps, `capsEx`).
    pub enhanced: Option<EnhancedCaps>,
    /// Further properties (custom fields).
    pub extra: Vec<(String, Value)>,
    /// Arguments after the command object.
    pub arguments: Vec<Value>,
}

impl ConnectParams {
    /// Parameters for `app` at `tc_url` with the usual defaults.
    pub fn new(app: impl Into<String>, tc_url: impl Into<String>) -> Self {
        ConnectParams {
            app: app.into(),
            tc_url: tc_url.into(),
            flash_ver: "FMLE/3.0 (compatible; rtmp-proto)".to_owned(),
            swf_url: None,
            page_url: None,
            kind: Some("nonprivate".to_owned()),
            fpad: false,
            capabilities: 15.0,
            audio_codecs: 4071.0,
            video_codecs: 252.0,
            video_function: 1.0,
            object_encoding: 0.0,
            enhanced: None,
            extra: Vec::new(),
            arguments: Vec::new(),
        }
    }

    fn to_value(&self) -> Value {
        let mut p: Vec<(String, Value)> = vec![("app".into(), self.app.clone().into())];
        if let Some(kind) = &self.kind {
            p.push(("type".into(), kind.clone().into()));
        }
        p.push(("flashVer".into(), self.flash_ver.clone().into()));
        if let Some(s) = &self.swf_url {
            p.push(("swfUrl".into(), s.clone().into()));
        }
        p.push(("tcUrl".into(), self.tc_url.clone().into()));
        p.push(("fpad".into(), self.fpad.into()));
        p.push(("capabilities".into(), self.capabilities.into()));
        p.push(("audioCodecs".into(), self.audio_codecs.into()));
        p.push(("videoCodecs".into(), self.video_codecs.into()));
        p.push(("videoFunction".into(), self.video_function.into()));
        if let Some(s) = &self.page_url {
            p.push(("pageUrl".into(), s.clone().into()));
        }
        p.push(("objectEncoding".into(), self.object_encoding.into()));
        if let Some(caps) = &self.enhanced {
            p.extend(
                caps.to_properties()
                    .into_iter()
                    .map(|(k, v)| (k.as_str().to_owned(), v)),
            );
        }
        p.extend(self.extra.iter().cloned());
        Value::object(p)
    }
}

/// A stream the client opened with `publish` or `play`, before and after the server
/// assigned it a message stream id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamHandle(pub(crate) u32);

/// Events of a [`ClientSession`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The handshake finished; a queued `connect` went out with our Set Chunk Size.
    HandshakeDone,
    /// The connect `_result`: the server's properties and information objects, and the
    /// Enhanced RTMP capabilities the server answered with (`None`: a legacy server).
    Connected {
        /// The first object of `_result` (`fmsVer`, `capabilities`, E-RTMP fields).
        properties: Value,
        /// The second object: `level`, `code` (`NetConnection.Connect.Success`),
        /// `description`, `objectEncoding`.
        information: Value,
        /// What the server answered of our Enhanced RTMP capabilities.
        enhanced: Option<EnhancedCaps>,
    },
    /// The connect `_error`; `redirect` carries `ex.redirect` when the server sent one.
    ConnectRejected {
        /// The status code, e.g. [`StatusCode::ConnectRejected`].
        code: StatusCode,
        /// The server's human-readable reason.
        description: String,
        /// The tcUrl to connect to instead, when the server redirected us.
        redirect: Option<String>,
    },
    /// `NetStream.Publish.Start`: media may be sent.
    PublishStarted {
        /// The handle [`ClientSession::publish`] returned.
        handle: StreamHandle,
        /// The message stream the server created for it.
        stream: StreamId,
    },
    /// `NetStream.Play.Start`: media will arrive.
    PlayStarted {
        /// The handle [`ClientSession::play`] returned.
        handle: StreamHandle,
        /// The message stream the server created for it.
        stream: StreamId,
    },
    /// A publish or play was refused (`onStatus` level error, or `createStream` failed).
    StreamFailed {
        /// The stream that failed; it is forgotten and its handle no longer valid.
        handle: StreamHandle,
        /// The status code, e.g. [`StatusCode::PublishBadName`].
        code: StatusCode,
        /// The server's human-readable reason.
        description: String,
    },
    /// Any other `onStatus` on a stream (Play.Reset, UnpublishNotify, Pause.Notify...).
    Status {
        /// The stream it came on; `None` when it came on stream 0 or a stream we do not
        /// know.
        handle: Option<StreamHandle>,
        /// `status`, `warning` or `error`; a missing or unknown level reads as
        /// [`StatusLevel::Status`].
        level: StatusLevel,
        /// The status code, e.g. [`StatusCode::PlayUnpublishNotify`]; a code this crate
        /// does not name is kept as [`StatusCode::Other`].
        code: StatusCode,
        /// The server's human-readable text.
        description: String,
    },
    /// User Control StreamBegin: the server starts sending on one of our streams.
    StreamBegin {
        /// The stream it concerns.
        handle: StreamHandle,
    },
    /// User Control StreamEOF: the server has no more data for one of our streams (end of
    /// playback, or a pause).
    StreamEof {
        /// The stream it concerns.
        handle: StreamHandle,
    },
    /// Media while playing.
    Media {
        /// The playing stream it arrived on.
        handle: StreamHandle,
        /// The audio or video message, payload untouched.
        media: Media,
    },
    /// `onMetaData` while playing.
    Metadata {
        /// The playing stream it arrived on.
        handle: StreamHandle,
        /// The decoded values and the raw payload.
        metadata: Metadata,
    },
    /// Another data message while playing, raw.
    Data {
        /// The playing stream it arrived on.
        handle: StreamHandle,
        /// The AMF-encoded data message payload (type 18 or 15), undecoded.
        payload: Bytes,
        /// Milliseconds, wrapping at 2^32.
        timestamp: u32,
    },
    /// E-RTMP `NetConnection.Connect.ReconnectRequest`: reconnect to `tc_url` (or the
    /// current URL when absent) at the next media boundary.
    ReconnectRequested {
        /// Where to reconnect; `None`: the same URL.
        tc_url: Option<String>,
        /// The server's human-readable reason.
        description: Option<String>,
    },
    /// The answer to [`ClientSession::call`].
    CallResult {
        /// The id `call` returned.
        id: CallId,
        /// `_result` or `_error`, with the values that followed the transaction id.
        result: CallResult,
    },
    /// The session ended. Exactly once, always last; drain `poll_transmit` before closing
    /// the socket.
    Closed(CloseReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    Ready,
    Connecting,
    Connected,
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    Connect,
    CreateStream(StreamHandle),
    /// Replies we do not act on (releaseStream, FCPublish, FCUnpublish).
    Ignored,
    Call,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    Publish(PublishMode),
    Play,
}

#[derive(Debug)]
struct ClientStream {
    name: String,
    role: Role,
    stream: Option<StreamId>,
    started: bool,
}

/// One RTMP connection, client side. See the crate docs for the drain contract.
#[derive(Debug)]
pub struct ClientSession {
    config: Arc<ClientConfig>,
    phase: Phase,
    pub(crate) reader: Reader,
    out: Outbound,
    events: VecDeque<ClientEvent>,
    liveness: Liveness,
    /// A connect asked for during the handshake, sent when it completes.
    queued_connect: Option<ConnectParams>,
    awaiting: BTreeMap<u64, Awaiting>,
    next_txn: u64,
    streams: BTreeMap<StreamHandle, ClientStream>,
    next_handle: u32,
    peer_bandwidth: Option<u32>,
    error: Option<ProtocolError>,
}

impl ClientSession {
    /// A session for a freshly opened TCP connection; C0+C1 are ready to send at once, so
    /// drain [`poll_transmit`](Self::poll_transmit) right after creating it. `now` starts
    /// the handshake deadline.
    pub fn new(config: Arc<ClientConfig>, now: Instant) -> Self {
        let mut rng = Rng::new(config.rng_seed);
        // The session never shows how the server answered C1: skip classifying S2.
        let mut handshake =
            Handshake::client(&config.handshake, &mut rng, 0).without_answer_check();
        let mut out = Outbound::new();
        while let Some(seg) = handshake.poll_transmit() {
            out.push_raw(seg);
        }
        ClientSession {
            phase: Phase::Handshake,
            reader: Reader::new(handshake, &config.limits),
            out,
            events: VecDeque::new(),
            liveness: Liveness::new(now),
            queued_connect: None,
            awaiting: BTreeMap::new(),
            next_txn: 1,
            streams: BTreeMap::new(),
            next_handle: 1,
            peer_bandwidth: None,
            error: None,
            config,
        }
    }

    /// Sends `connect` (after the handshake, if it is still running, so it may be called
    /// right after [`new`](Self::new)). The answer is [`ClientEvent::Connected`] or
    /// [`ClientEvent::ConnectRejected`]. Once per session.
    pub fn connect(&mut self, params: ConnectParams) -> Result<(), UsageError> {
        self.check_open()?;
        match self.phase {
            Phase::Handshake if self.queued_connect.is_none() => {
                self.queued_connect = Some(params);
                Ok(())
            }
            Phase::Ready => {
                self.send_connect(params);
                Ok(())
            }
            _ => Err(UsageError::WrongState("connect was already sent")),
        }
    }

    fn send_connect(&mut self, params: ConnectParams) {
        let txn = self.txn(Awaiting::Connect);
        let cmd = Command {
            name: "connect".into(),
            transaction_id: txn,
            command_object: params.to_value(),
            arguments: params.arguments,
        };
        self.send_command(0, cmd);
        self.phase = Phase::Connecting;
    }

    /// Starts publishing `name` the way OBS does: releaseStream, FCPublish, createStream,
    /// then publish. [`ClientEvent::PublishStarted`] says when media may flow.
    pub fn publish(&mut self, name: &str, mode: PublishMode) -> Result<StreamHandle, UsageError> {
        self.check_connected()?;
        let args = vec![Value::from(name.to_owned())];
        let t = self.txn(Awaiting::Ignored);
        self.send_command(
            0,
            Command {
                name: "releaseStream".into(),
                transaction_id: t,
                command_object: Value::Null,
                arguments: args.clone(),
            },
        );
        let t = self.txn(Awaiting::Ignored);
        self.send_command(
            0,
            Command {
                name: "FCPublish".into(),
                transaction_id: t,
                command_object: Value::Null,
                arguments: args,
            },
        );
        self.open_stream(name, Role::Publish(mode))
    }

    /// Starts playing `name` (createStream, play from the live point).
    pub fn play(&mut self, name: &str) -> Result<StreamHandle, UsageError> {
        self.check_connected()?;
        self.open_stream(name, Role::Play)
    }

    fn open_stream(&mut self, name: &str, role: Role) -> Result<StreamHandle, UsageError> {
        if self.awaiting.len() >= self.config.max_pending_requests {
            return Err(UsageError::QueueFull);
        }
        let handle = StreamHandle(self.next_handle);
        self.next_handle = self.next_handle.wrapping_add(1);
        self.streams.insert(
            handle,
            ClientStream {
                name: name.to_owned(),
                role,
                stream: None,
                started: false,
            },
        );
        let t = self.txn(Awaiting::CreateStream(handle));
        self.send_command(
            0,
            Command {
                name: "createStream".into(),
                transaction_id: t,
                command_object: Value::Null,
                arguments: vec![],
            },
        );
        Ok(handle)
    }

    /// Sends an application-defined command (`name(txn, null, arguments...)`) on the
    /// connection; the server's answer arrives as [`ClientEvent::CallResult`] carrying the
    /// returned id. On our server it is a [`ServerEvent::Call`](super::ServerEvent::Call),
    /// answered with [`ServerSession::answer_call`](super::ServerSession::answer_call).
    ///
    /// Call once [`ClientEvent::Connected`] arrived. Refused with
    /// [`UsageError::QueueFull`] while [`ClientConfig::max_pending_requests`] replies are
    /// outstanding.
    pub fn call(&mut self, name: &str, arguments: Vec<Value>) -> Result<CallId, UsageError> {
        self.check_connected()?;
        if self.awaiting.len() >= self.config.max_pending_requests {
            return Err(UsageError::QueueFull);
        }
        let t = self.txn(Awaiting::Call);
        self.send_command(
            0,
            Command {
                name: name.to_owned().into(),
                transaction_id: t,
                command_object: Value::Null,
                arguments,
            },
        );
        Ok(CallId(t as u64))
    }

    /// Stops a stream: FCUnpublish (when publishing) and deleteStream.
    pub fn close_stream(&mut self, handle: StreamHandle) -> Result<(), UsageError> {
        self.check_open()?;
        let s = self
            .streams
            .remove(&handle)
            .ok_or(UsageError::UnknownStream(handle.0))?;
        if let Role::Publish(_) = s.role {
            let t = self.txn(Awaiting::Ignored);
            self.send_command(
                0,
                Command {
                    name: "FCUnpublish".into(),
                    transaction_id: t,
                    command_object: Value::Null,
                    arguments: vec![Value::from(s.name.clone())],
                },
            );
        }
        if let Some(id) = s.stream {
            self.send_command(
                id.0,
                Command {
                    name: "deleteStream".into(),
                    transaction_id: 0.0,
                    command_object: Value::Null,
                    arguments: vec![Value::Number(id.0 as f64)],
                },
            );
        }
        Ok(())
    }

    /// Sends audio or video on a publishing stream; the payload is sliced, never copied.
    pub fn send_media(&mut self, handle: StreamHandle, media: Media) -> Result<(), UsageError> {
        let stream = self.publishing(handle, media.payload.len())?;
        let (type_id, lane) = match media.kind {
            MediaKind::Audio => (8, csid::AUDIO),
            MediaKind::Video => (9, csid::VIDEO),
        };
        let msg = RawMessage {
            timestamp: media.timestamp,
            type_id,
            stream_id: stream.0,
            payload: media.payload,
        };
        self.out.push_media(lane, msg, false);
        Ok(())
    }

    /// Sends `@setDataFrame` followed by [`Metadata::payload`] (`"onMetaData", {...}`) at
    /// the metadata's timestamp on a publishing stream: the server keeps it and hands it
    /// to every player.
    ///
    /// Call once [`ClientEvent::PublishStarted`] arrived for `handle`, before the media
    /// (and again after a reconnect). Build the argument with [`Metadata::new`] (or
    /// `Value::into()`); a [`Metadata`] a player received can be passed on as it is. The
    /// same signature as [`ServerSession::send_metadata`](super::ServerSession::send_metadata).
    pub fn send_metadata(
        &mut self,
        handle: StreamHandle,
        metadata: &Metadata,
    ) -> Result<(), UsageError> {
        let payload = wire::set_data_frame(&metadata.payload);
        let stream = self.publishing(handle, payload.len())?;
        let msg = RawMessage {
            timestamp: metadata.timestamp,
            type_id: 18,
            stream_id: stream.0,
            payload,
        };
        self.out.push_media(csid::DATA, msg, false);
        Ok(())
    }

    fn publishing(&self, handle: StreamHandle, len: usize) -> Result<StreamId, UsageError> {
        self.check_open()?;
        let s = self
            .streams
            .get(&handle)
            .ok_or(UsageError::UnknownStream(handle.0))?;
        match (&s.role, s.stream, s.started) {
            (Role::Publish(_), Some(id), true) => {
                if len > super::outbound::MAX_PAYLOAD {
                    return Err(UsageError::InvalidArgument(
                        "payload longer than 0xFFFFFF bytes",
                    ));
                }
                if self.out.pending_bytes() + len > self.config.max_outbound_bytes {
                    return Err(UsageError::QueueFull);
                }
                Ok(id)
            }
            _ => Err(UsageError::WrongState("stream is not publishing")),
        }
    }

    /// Pauses (`true`) or resumes (`false`) a playing stream at `position_ms`.
    pub fn pause(
        &mut self,
        handle: StreamHandle,
        paused: bool,
        position_ms: f64,
    ) -> Result<(), UsageError> {
        self.check_open()?;
        let s = self
            .streams
            .get(&handle)
            .ok_or(UsageError::UnknownStream(handle.0))?;
        let (Role::Play, Some(id)) = (&s.role, s.stream) else {
            return Err(UsageError::WrongState("stream is not playing"));
        };
        let args = vec![Value::Boolean(paused), Value::Number(position_ms)];
        self.send_command(
            id.0,
            Command {
                name: "pause".into(),
                transaction_id: 0.0,
                command_object: Value::Null,
                arguments: args,
            },
        );
        Ok(())
    }

    /// Changes our outbound chunk size: a Set Chunk Size goes out and every chunk after it
    /// uses the new size. Refused during the handshake: set [`ClientConfig::chunk_size`]
    /// for the size announced right after it.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), UsageError> {
        self.check_open()?;
        if self.reader.handshaking() {
            // A chunk queued now would go out before our C2/S0+S1+S2 and corrupt the stream.
            return Err(UsageError::WrongState("the handshake is not finished"));
        }
        self.out.set_chunk_size(size)
    }

    /// Payload bytes waiting in the outbound queue (chunk headers not counted): the
    /// backpressure signal. [`send_media`](Self::send_media) refuses with
    /// [`UsageError::QueueFull`] once it would pass [`ClientConfig::max_outbound_bytes`].
    pub fn pending_transmit_bytes(&self) -> usize {
        self.out.pending_bytes()
    }

    // ----- input ------------------------------------------------------------------------

    /// Feeds bytes read from the socket.
    ///
    /// Call after every successful read, with the read appended to the same buffer as the
    /// previous ones. Complete chunks are split off the front of `input`; a partial chunk
    /// stays for the next call. Then drain [`poll_event`](Self::poll_event) and
    /// [`poll_transmit`](Self::poll_transmit), and check [`poll_timeout`](Self::poll_timeout):
    /// input does not move the handshake deadline.
    ///
    /// An error is the server's fault: the session is closed (its `Closed` event is queued)
    /// and the same error is returned again on every call. A closed session or an empty
    /// `input` is left alone.
    pub fn handle_input(
        &mut self,
        now: Instant,
        input: &mut BytesMut,
    ) -> Result<(), ProtocolError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.phase == Phase::Closed || input.is_empty() {
            return Ok(());
        }
        self.liveness.on_input(now);
        match self.read(input) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.error = Some(e.clone());
                self.close_with(CloseReason::Protocol(e.clone()));
                Err(e)
            }
        }
    }

    /// [`handle_input`](Self::handle_input) for a caller that reads into its own `&[u8]`:
    /// call it the same way, after every read. Bytes of an incomplete chunk are copied and
    /// kept internally until the rest arrives.
    pub fn handle_input_slice(&mut self, now: Instant, input: &[u8]) -> Result<(), ProtocolError> {
        let mut buf = self.reader.take_slice_buf();
        buf.extend_from_slice(input);
        let r = self.handle_input(now, &mut buf);
        self.reader.restore_slice_buf(buf);
        r
    }

    fn read(&mut self, input: &mut BytesMut) -> Result<(), ProtocolError> {
        match self.reader.handshake(input, &mut self.out)? {
            HandshakeStep::Pending => return Ok(()),
            HandshakeStep::Done => {}
            HandshakeStep::Completed => {
                self.phase = Phase::Ready;
                self.events.push_back(ClientEvent::HandshakeDone);
                let size = self.config.chunk_size;
                self.out
                    .push_priority(csid::CONTROL, wire::set_chunk_size(size));
                if let Some(params) = self.queued_connect.take() {
                    self.send_connect(params);
                }
            }
        }
        while let Some(message) = self.reader.next_message(input, &mut self.out)? {
            if self.phase == Phase::Closed {
                break;
            }
            self.on_message(message)?;
        }
        Ok(())
    }

    fn on_message(&mut self, message: RawMessage) -> Result<(), ProtocolError> {
        if wire::is_protocol_control(&message) {
            return self.on_control(&message);
        }
        let stream = StreamId(message.stream_id);
        match wire::decode_inbound(message, &self.config.limits)? {
            Inbound::Command(cmd, _) => self.on_command(stream, cmd),
            Inbound::Media(media) => {
                if let Some(handle) = self.playing_handle(stream) {
                    self.events.push_back(ClientEvent::Media { handle, media });
                }
            }
            Inbound::Metadata(metadata) => {
                if let Some(handle) = self.playing_handle(stream) {
                    self.events
                        .push_back(ClientEvent::Metadata { handle, metadata });
                }
            }
            Inbound::Data { payload, timestamp } => {
                if let Some(handle) = self.playing_handle(stream) {
                    self.events.push_back(ClientEvent::Data {
                        handle,
                        payload,
                        timestamp,
                    });
                }
            }
            Inbound::Aggregate(parts) => {
                for part in parts {
                    self.on_message(part)?;
                }
            }
            Inbound::Ignored => {}
        }
        Ok(())
    }

    fn on_control(&mut self, message: &RawMessage) -> Result<(), ProtocolError> {
        match wire::decode_control(message)? {
            wire::Control::WindowAckSize(size) => self.reader.acks.set_window(size),
            wire::Control::PeerBandwidth(size) => {
                // Answer a changed peer bandwidth with our Window Ack Size (NOTES 7).
                if self.peer_bandwidth != Some(size) {
                    self.peer_bandwidth = Some(size);
                    self.out
                        .push_priority(csid::CONTROL, wire::window_ack_size(size));
                }
            }
            wire::Control::PingRequest(ts) => {
                self.out
                    .push_priority(csid::CONTROL, wire::ping_response(ts));
            }
            wire::Control::StreamBegin(id) => {
                if let Some(handle) = self.handle_of(StreamId(id)) {
                    self.events.push_back(ClientEvent::StreamBegin { handle });
                }
            }
            wire::Control::StreamEof(id) => {
                if let Some(handle) = self.handle_of(StreamId(id)) {
                    self.events.push_back(ClientEvent::StreamEof { handle });
                }
            }
            wire::Control::BufferLength { .. } | wire::Control::Other => {}
        }
        Ok(())
    }

    fn on_command(&mut self, stream: StreamId, cmd: Command) {
        match cmd.name() {
            "_result" | "_error" => self.on_reply(cmd),
            "onStatus" => self.on_status(stream, &cmd),
            _ => {}
        }
    }

    fn on_reply(&mut self, cmd: Command) {
        let ok = cmd.name() == "_result";
        // Transaction ids are small positive integers we chose; anything else is not ours.
        let txn = cmd.transaction_id;
        if !(txn >= 1.0 && txn < u64::MAX as f64) {
            return;
        }
        let Some(what) = self.awaiting.remove(&(txn as u64)) else {
            return;
        };
        match what {
            Awaiting::Connect => {
                let info = cmd.arguments.first().cloned().unwrap_or(Value::Null);
                if ok {
                    self.phase = Phase::Connected;
                    let enhanced = EnhancedCaps::from_object(&cmd.command_object);
                    self.events.push_back(ClientEvent::Connected {
                        properties: cmd.command_object,
                        information: info,
                        enhanced,
                    });
                } else {
                    let (code, description) = wire::code_and_description(&info);
                    let redirect = info
                        .get("ex")
                        .and_then(|ex| ex.get("redirect"))
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    self.events.push_back(ClientEvent::ConnectRejected {
                        code,
                        description,
                        redirect,
                    });
                }
            }
            Awaiting::CreateStream(handle) => self.on_stream_created(handle, ok, &cmd),
            Awaiting::Call => {
                let (command_object, arguments) = (cmd.command_object, cmd.arguments);
                let result = if ok {
                    CallResult::Success {
                        command_object,
                        arguments,
                    }
                } else {
                    CallResult::Error {
                        command_object,
                        arguments,
                    }
                };
                self.events.push_back(ClientEvent::CallResult {
                    id: CallId(txn as u64),
                    result,
                });
            }
            Awaiting::Ignored => {}
        }
    }

    fn on_stream_created(&mut self, handle: StreamHandle, ok: bool, cmd: &Command) {
        let id = cmd
            .arguments
            .first()
            .and_then(Value::as_f64)
            .filter(|n| *n >= 0.0 && *n <= u32::MAX as f64);
        if !self.streams.contains_key(&handle) {
            return;
        }
        let (true, Some(id)) = (ok, id) else {
            let info = cmd.arguments.first().cloned().unwrap_or(Value::Null);
            let (code, description) = wire::code_and_description(&info);
            self.streams.remove(&handle);
            self.events.push_back(ClientEvent::StreamFailed {
                handle,
                code,
                description,
            });
            return;
        };
        let stream = StreamId(id as u32);
        let Some(s) = self.streams.get_mut(&handle) else {
            return;
        };
        s.stream = Some(stream);
        let name = Value::from(s.name.clone());
        let cmd = match &s.role {
            Role::Publish(mode) => {
                let mode = match mode {
                    PublishMode::Live => "live",
                    PublishMode::Record => "record",
                    PublishMode::Append => "append",
                };
                Command {
                    name: "publish".into(),
                    transaction_id: 0.0,
                    command_object: Value::Null,
                    arguments: vec![name, Value::from(mode)],
                }
            }
            Role::Play => Command {
                name: "play".into(),
                transaction_id: 0.0,
                command_object: Value::Null,
                arguments: vec![name, Value::Number(-2000.0)],
            },
        };
        let is_play = s.role == Role::Play;
        self.send_command(stream.0, cmd);
        if is_play {
            // Like ffmpeg: tell the server our buffer (3 s) so it starts sending at once.
            self.out
                .push_priority(csid::CONTROL, wire::set_buffer_length(stream.0, 3000));
        }
    }

    fn on_status(&mut self, stream: StreamId, cmd: &Command) {
        let info = cmd.arguments.first().cloned().unwrap_or(Value::Null);
        let (code, description) = wire::code_and_description(&info);
        let level = info
            .get("level")
            .and_then(Value::as_str)
            .and_then(StatusLevel::parse)
            .unwrap_or(StatusLevel::Status);
        if let Some(r) = ReconnectRequest::from_info(&info) {
            let tc_url = r.tc_url.map(|u| u.as_str().to_owned());
            let description = r.description.map(|d| d.as_str().to_owned());
            self.events.push_back(ClientEvent::ReconnectRequested {
                tc_url,
                description,
            });
            return;
        }
        let handle = self.handle_of(stream);
        if let Some(h) = handle
            && let Some(s) = self.streams.get_mut(&h)
            && !s.started
        {
            let started = match s.role {
                Role::Publish(_) => code == StatusCode::PublishStart,
                Role::Play => code == StatusCode::PlayStart,
            };
            if started {
                s.started = true;
                let ev = match s.role {
                    Role::Publish(_) => ClientEvent::PublishStarted { handle: h, stream },
                    Role::Play => ClientEvent::PlayStarted { handle: h, stream },
                };
                self.events.push_back(ev);
                return;
            }
            if level == StatusLevel::Error {
                self.events.push_back(ClientEvent::StreamFailed {
                    handle: h,
                    code,
                    description,
                });
                return;
            }
        }
        self.events.push_back(ClientEvent::Status {
            handle,
            level,
            code,
            description,
        });
    }

    fn handle_of(&self, stream: StreamId) -> Option<StreamHandle> {
        self.streams
            .iter()
            .find(|(_, s)| s.stream == Some(stream))
            .map(|(h, _)| *h)
    }

    fn playing_handle(&self, stream: StreamId) -> Option<StreamHandle> {
        self.streams
            .iter()
            .find(|(_, s)| s.stream == Some(stream) && s.role == Role::Play)
            .map(|(h, _)| *h)
    }

    fn txn(&mut self, what: Awaiting) -> f64 {
        let t = self.next_txn;
        self.next_txn += 1;
        self.awaiting.insert(t, what);
        t as f64
    }

    fn send_command(&mut self, stream_id: u32, cmd: Command) {
        self.out.push_priority(
            csid::COMMAND,
            wire::encode_command(&cmd, Encoding::Amf0, stream_id),
        );
    }

    // ----- time and end ----------------------------------------------------------------

    /// Checks deadlines: closes on a handshake, idle or ping timeout, and sends a ping when
    /// [`Timeouts::ping_interval`] is set and the server was silent that long.
    ///
    /// Call when the instant from [`poll_timeout`](Self::poll_timeout) has passed, both
    /// when the timer fires and after input that arrived past it. Calling early is
    /// harmless: nothing is done before it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        let handshaking = self.phase == Phase::Handshake;
        match self.liveness.check(now, &self.config.timeouts, handshaking) {
            LivenessAction::Close(kind) => self.close_with(CloseReason::Timeout(kind)),
            LivenessAction::SendPing => {
                let ms = now.duration_since(self.liveness.started).as_millis() as u32;
                self.out
                    .push_priority(csid::CONTROL, wire::ping_request(ms));
            }
            LivenessAction::None => {}
        }
    }

    /// The server closed its side.
    ///
    /// Call when a read returns end of stream. Queues `Closed(PeerClosed)`; does nothing on
    /// a closed session.
    pub fn handle_eof(&mut self, _now: Instant) {
        self.close_with(CloseReason::PeerClosed);
    }

    /// Closes the session from our side; `Closed(Local)` follows in
    /// [`poll_event`](Self::poll_event).
    ///
    /// Call to drop the connection. Bytes already queued can still be drained with
    /// [`poll_transmit`](Self::poll_transmit). Does nothing on a closed session.
    pub fn close(&mut self) {
        self.close_with(CloseReason::Local);
    }

    fn close_with(&mut self, reason: CloseReason) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Closed;
        self.events.push_back(ClientEvent::Closed(reason));
    }

    fn check_open(&self) -> Result<(), UsageError> {
        if self.phase == Phase::Closed {
            Err(UsageError::Closed)
        } else {
            Ok(())
        }
    }

    fn check_connected(&self) -> Result<(), UsageError> {
        self.check_open()?;
        if self.phase == Phase::Connected {
            Ok(())
        } else {
            Err(UsageError::WrongState("not connected"))
        }
    }

    /// Whether the session ended (the `Closed` event has been queued).
    ///
    /// Check after draining: once true, read no more input; drain what is left, then close
    /// the socket.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The next event for the application, in the order the server caused them.
    ///
    /// Call after every input or command, until it returns `None`.
    /// [`ClientEvent::Closed`] comes exactly once, last.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        self.events.pop_front()
    }

    /// The next segment to write to the socket: handshake bytes, a chunk header, a payload
    /// slice, or several small control and command chunks gathered into one.
    ///
    /// Call after [`new`](Self::new) and after [`poll_event`](Self::poll_event) returned
    /// `None`, until this returns `None`, and write every segment whole and in order.
    /// Commands and control messages overtake queued media. A driver whose socket is full
    /// stops polling; the rest stays queued.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.poll_transmit()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next: the handshake, idle or
    /// ping deadline, whichever is first. `None` once closed.
    ///
    /// Call after every round of draining and re-arm the timer with it: input moves the
    /// idle and ping deadlines.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        Some(
            self.liveness
                .next_deadline(&self.config.timeouts, self.phase == Phase::Handshake),
        )
    }
}
