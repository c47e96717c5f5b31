//! The server side of one RTMP connection, from the first handshake byte to `Closed`.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::config::ServerConfig;
use super::connect_result;
use super::event::{
    CallRequest, CloseReason, Media, MediaKind, Metadata, PlayRequest, PublishMode, PublishRequest,
    ServerEvent,
};
use super::outbound::{Outbound, csid};
use super::reader::{HandshakeStep, Reader};
use super::reply::{self, Arg};
use super::request::{
    CallId, ConnectId, IdSource, PlayId, PublishId, Rejection, RequestId, StreamId,
};
use super::status;
use super::stream_table::StreamTable;
use super::timer::{Liveness, LivenessAction, TimeoutKind};
use super::wire::{self, Inbound};
use crate::amf::Value;
use crate::chunk::{EncodedMessage, MessagePhase};
use crate::error::{ProtocolError, UsageError};
use crate::handshake::Handshake;
use crate::media::caps::{EnhancedCaps, Negotiation, ReconnectRequest};
use crate::message::status::{StatusCode, StatusLevel};
use crate::message::{Command, Encoding, RawMessage};
use crate::rng::Rng;

/// What the application adds to a successful connect `_result`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConnectReply {
    /// Extra properties (first object of `_result`), e.g. E-RTMP capabilities.
    pub properties: Vec<(String, Value)>,
    /// Extra fields of the information object (second object).
    pub information: Vec<(String, Value)>,
}

/// Whether a queued media message may be discarded under congestion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Droppable {
    /// [`ServerSession::discard_droppable`] may drop it while none of it has gone out:
    /// typically a video inter frame, which a lagging player skips until the next keyframe.
    Yes,
    /// It must reach the player: keyframes, sequence headers, audio, anything later
    /// frames depend on.
    No,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Handshake,
    AwaitingConnect,
    ConnectPending,
    Connected,
    Closed,
}

#[derive(Debug, Clone, PartialEq)]
enum StreamRole {
    Idle,
    PublishPending,
    Publishing,
    PlayPending,
    Playing { paused: bool, ended: bool },
}

#[derive(Debug)]
struct Pending {
    id: RequestId,
    deadline: Instant,
    transaction_id: f64,
    stream: StreamId,
}

/// User Control SetBufferLength names a stream that a `createStream` or `play` held behind a
/// pending decision may not have made yet: it waits in line with them, so the application
/// sees `StreamCreated`, `PlayRequested`, `BufferLength` however the bytes were split.
fn is_buffer_length(m: &RawMessage) -> bool {
    m.type_id == 4 && m.payload.get(..2) == Some(&[0, 3][..])
}

/// One RTMP connection, server side. See the crate docs for the drain contract.
#[derive(Debug)]
pub struct ServerSession {
    config: Arc<ServerConfig>,
    phase: Phase,
    reader: Reader,
    out: Outbound,
    events: VecDeque<ServerEvent>,
    liveness: Liveness,
    ids: IdSource,
    pending: Vec<Pending>,
    /// Commands and media that arrived while a decision was pending, handled in order after.
    blocked: VecDeque<RawMessage>,
    blocked_bytes: usize,
    streams: StreamTable<StreamRole>,
    next_stream: u32,
    object_encoding: f64,
    /// How we send commands: like the peer's connect (type 17 answers type 17).
    encoding: Encoding,
    error: Option<ProtocolError>,
    /// The E-RTMP answer decided at connect.
    negotiation: Negotiation,
    client_caps: Option<EnhancedCaps>,
}

impl ServerSession {
    /// A session for a freshly accepted connection. `now` starts the handshake deadline.
    ///
    /// Nothing is queued yet: the server speaks once the client's C0+C1 is in.
    pub fn new(config: Arc<ServerConfig>, now: Instant) -> Self {
        let seed = config.rng_seed;
        Self::with_rng_seed(config, seed, now)
    }

    /// [`new`](Self::new) with `seed` for the handshake's randoms in place of
    /// `config.rng_seed`, so one `Arc<ServerConfig>` can serve every connection of a server
    /// while each draws its own randoms. A server that fans frames out to many sessions
    /// also reads their limits from that one config, hot in cache, instead of one cold
    /// copy per connection.
    pub fn with_rng_seed(config: Arc<ServerConfig>, seed: u64, now: Instant) -> Self {
        let mut rng = Rng::new(seed);
        // The session never shows how the client answered S1: skip classifying C2 (for a
        // digest client, an HMAC over 1504 bytes on every connection).
        let handshake = Handshake::server(&config.handshake, &mut rng, 0).without_answer_check();
        let mut reader = Reader::new(handshake, &config.limits);
        // A stranger gets the small bound until its connect is accepted.
        reader.decoder().set_phase(MessagePhase::PreConnect);
        ServerSession {
            phase: Phase::Handshake,
            reader,
            out: Outbound::new(),
            events: VecDeque::new(),
            liveness: Liveness::new(now),
            ids: IdSource::default(),
            pending: Vec::new(),
            blocked: VecDeque::new(),
            blocked_bytes: 0,
            streams: StreamTable::default(),
            next_stream: 1,
            object_encoding: 0.0,
            encoding: Encoding::Amf0,
            error: None,
            negotiation: Negotiation::Legacy,
            client_caps: None,
            config,
        }
    }

    /// Feeds bytes read from the socket.
    ///
    /// Call after every successful read, with the read appended to the same buffer as the
    /// previous ones. Complete chunks are split off the front of `input`; a partial chunk
    /// stays for the next call. Then drain [`poll_event`](Self::poll_event) and
    /// [`poll_transmit`](Self::poll_transmit), and check [`poll_timeout`](Self::poll_timeout):
    /// input does not move every deadline.
    ///
    /// An error is the peer's fault: the session is closed (its `Closed` event is queued,
    /// behind whatever it queued before) and the same error is returned again on every call.
    /// A closed session or an empty `input` is left alone.
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
        match self.read(now, input) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.fail(e.clone());
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

    fn read(&mut self, now: Instant, input: &mut BytesMut) -> Result<(), ProtocolError> {
        self.reader.decoder().set_clock(now);
        match self.reader.handshake(input, &mut self.out)? {
            HandshakeStep::Pending => return Ok(()),
            HandshakeStep::Done => {}
            HandshakeStep::Completed => {
                self.phase = Phase::AwaitingConnect;
                self.events.push_back(ServerEvent::HandshakeDone);
            }
        }
        while let Some(message) = self.reader.next_message(input, &mut self.out)? {
            if self.phase == Phase::Closed {
                break;
            }
            self.on_message(now, message)?;
        }
        Ok(())
    }

    /// Routes one complete message. Protocol control is handled at once; everything else
    /// waits behind a pending decision so pipelined commands keep their order.
    fn on_message(&mut self, now: Instant, message: RawMessage) -> Result<(), ProtocolError> {
        if wire::is_protocol_control(&message) && !is_buffer_length(&message) {
            return self.on_control(&message);
        }
        if self.blocking() || !self.blocked.is_empty() {
            return self.block(message);
        }
        self.dispatch(now, message)
    }

    /// Connect, publish and play decisions hold back later commands; calls do not.
    fn blocking(&self) -> bool {
        self.pending
            .iter()
            .any(|p| !matches!(p.id, RequestId::Call(_)))
    }

    fn block(&mut self, message: RawMessage) -> Result<(), ProtocolError> {
        self.blocked_bytes += message.payload.len();
        // A peer whose connect is not accepted yet holds no more than the pre-connect
        // bound here either.
        let limit = if self.phase == Phase::Connected {
            self.config.max_blocked_bytes
        } else {
            self.config
                .max_blocked_bytes
                .min(self.config.limits.max_pre_connect_len as usize)
        };
        if self.blocked_bytes > limit {
            return Err(ProtocolError::LimitExceeded {
                what: "bytes held behind a pending decision",
                limit,
            });
        }
        self.blocked.push_back(message);
        Ok(())
    }

    /// Handles held messages once no decision is pending.
    fn unblock(&mut self, now: Instant) {
        while !self.blocking() && self.phase != Phase::Closed {
            let Some(message) = self.blocked.pop_front() else {
                break;
            };
            self.blocked_bytes -= message.payload.len();
            if let Err(e) = self.dispatch(now, message) {
                self.fail(e);
            }
        }
    }

    fn on_control(&mut self, message: &RawMessage) -> Result<(), ProtocolError> {
        match wire::decode_control(message)? {
            wire::Control::WindowAckSize(size) => self.reader.acks.set_window(size),
            wire::Control::PingRequest(ts) => {
                self.out
                    .push_priority(csid::CONTROL, wire::ping_response(ts));
            }
            wire::Control::BufferLength { stream, millis } => {
                self.events.push_back(ServerEvent::BufferLength {
                    stream: StreamId(stream),
                    millis,
                });
            }
            // Chunk size and abort are applied by the decoder; acks of our data, ping
            // responses and other events need no answer (any input already proves liveness).
            wire::Control::PeerBandwidth(_)
            | wire::Control::StreamBegin(_)
            | wire::Control::StreamEof(_)
            | wire::Control::Other => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, now: Instant, message: RawMessage) -> Result<(), ProtocolError> {
        if wire::is_protocol_control(&message) {
            return self.on_control(&message);
        }
        let stream = StreamId(message.stream_id);
        match wire::decode_inbound(message, &self.config.limits)? {
            Inbound::Command(cmd, encoding) => {
                if self.phase == Phase::AwaitingConnect {
                    // Answer in the peer's own form: an AMF3 client's connect came as type 17.
                    self.encoding = encoding;
                }
                self.on_command(now, stream, cmd)
            }
            Inbound::Media(media) => {
                if self.streams.get(&stream.0) == Some(&StreamRole::Publishing) {
                    self.events.push_back(ServerEvent::Media { stream, media });
                }
                Ok(())
            }
            Inbound::Metadata(metadata) => {
                if self.streams.get(&stream.0) == Some(&StreamRole::Publishing) {
                    self.events
                        .push_back(ServerEvent::Metadata { stream, metadata });
                }
                Ok(())
            }
            Inbound::Data { payload, timestamp } => {
                if self.streams.get(&stream.0) == Some(&StreamRole::Publishing) {
                    self.events.push_back(ServerEvent::Data {
                        stream,
                        payload,
                        timestamp,
                    });
                }
                Ok(())
            }
            Inbound::Aggregate(parts) => {
                for part in parts {
                    self.dispatch(now, part)?;
                }
                Ok(())
            }
            Inbound::Ignored => Ok(()),
        }
    }

    fn on_command(
        &mut self,
        now: Instant,
        stream: StreamId,
        cmd: Command,
    ) -> Result<(), ProtocolError> {
        let txn = cmd.transaction_id;
        // Matched on the bytes: `name()` would re-check UTF-8 on every command.
        match (self.phase, cmd.name.as_bytes()) {
            (Phase::AwaitingConnect, b"connect") => self.on_connect(now, cmd),
            (Phase::AwaitingConnect | Phase::ConnectPending, _) => {
                Err(ProtocolError::UnexpectedCommand {
                    name: cmd.name().to_owned(),
                    state: "before connect",
                })
            }
            (_, b"connect") => Err(ProtocolError::UnexpectedCommand {
                name: cmd.name().to_owned(),
                state: "after connect",
            }),
            (_, b"createStream") => {
                self.on_create_stream(txn);
                Ok(())
            }
            (_, b"releaseStream") => {
                self.send_reply(StreamId(0), "_result", txn, Arg::Undefined);
                Ok(())
            }
            (_, b"FCPublish") => {
                let name = cmd
                    .arguments
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                self.send_reply(StreamId(0), "_result", txn, Arg::Undefined);
                self.send_reply(
                    stream,
                    "onFCPublish",
                    0.0,
                    Arg::Info {
                        level: StatusLevel::Status,
                        code: &StatusCode::PublishStart,
                        description: &name,
                    },
                );
                self.events.push_back(ServerEvent::FcPublish { name });
                Ok(())
            }
            (_, b"FCUnpublish") => {
                let name = cmd
                    .arguments
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                self.send_reply(StreamId(0), "_result", txn, Arg::Undefined);
                self.send_reply(
                    stream,
                    "onFCUnpublish",
                    0.0,
                    Arg::Info {
                        level: StatusLevel::Status,
                        code: &StatusCode::UnpublishSuccess,
                        description: &name,
                    },
                );
                // FCUnpublish names a stream, not a stream id: stop whatever publishes it.
                let publishing: Vec<u32> = self
                    .streams
                    .iter()
                    .filter(|(_, r)| **r == StreamRole::Publishing)
                    .map(|(id, _)| *id)
                    .collect();
                for id in publishing {
                    self.stop_stream(StreamId(id));
                }
                Ok(())
            }
            (_, b"FCSubscribe") => {
                self.send_reply(StreamId(0), "_result", txn, Arg::Undefined);
                Ok(())
            }
            (_, b"getStreamLength") => {
                self.send_reply(StreamId(0), "_result", txn, Arg::Number(0.0));
                Ok(())
            }
            (_, b"_checkbw") => {
                self.send_reply(StreamId(0), "_result", txn, Arg::None);
                Ok(())
            }
            (_, b"publish") => self.on_publish(now, stream, cmd),
            (_, b"play") => self.on_play(now, stream, cmd),
            (_, b"pause") => {
                self.on_pause(stream, &cmd);
                Ok(())
            }
            (_, b"seek") => {
                let position = cmd.arguments.first().and_then(Value::as_f64).unwrap_or(0.0);
                self.send_command(stream, status::seek_notify(position));
                self.send_status(
                    stream,
                    StatusLevel::Status,
                    &StatusCode::PlayStart,
                    "Started playing.",
                );
                self.events
                    .push_back(ServerEvent::Seek { stream, position });
                Ok(())
            }
            (_, b"receiveAudio" | b"receiveVideo") => {
                let kind = if cmd.name() == "receiveAudio" {
                    MediaKind::Audio
                } else {
                    MediaKind::Video
                };
                let enabled = cmd
                    .arguments
                    .first()
                    .and_then(Value::as_bool)
                    .unwrap_or(true);
                self.events.push_back(ServerEvent::ReceiveMedia {
                    stream,
                    kind,
                    enabled,
                });
                Ok(())
            }
            (_, b"closeStream") => {
                self.stop_stream(stream);
                Ok(())
            }
            (_, b"deleteStream") => {
                // Some clients send the stream name instead of its number: fall back to the
                // stream the message came on.
                let id = cmd
                    .arguments
                    .first()
                    .and_then(Value::as_f64)
                    .filter(|n| *n >= 1.0 && *n <= u32::MAX as f64)
                    .map_or(stream.0, |n| n as u32);
                if self.streams.contains_key(&id) {
                    self.stop_stream(StreamId(id));
                    self.streams.remove(&id);
                    self.events.push_back(ServerEvent::StreamDeleted {
                        stream: StreamId(id),
                    });
                }
                Ok(())
            }
            // Replies to commands we never send, and client-side notifications.
            (
                _,
                b"_result" | b"_error" | b"onStatus" | b"onBWDone" | b"_onbwcheck" | b"_onbwdone",
            ) => Ok(()),
            _ => self.on_unknown(now, stream, cmd),
        }
    }

    fn on_connect(&mut self, now: Instant, cmd: Command) -> Result<(), ProtocolError> {
        // The request parses the client's capabilities once; the negotiation reuses them.
        let request = wire::connect_request(cmd.command_object, cmd.arguments);
        let c = &self.config;
        self.negotiation = c
            .enhanced_policy
            .negotiate_caps(&c.enhanced_caps, request.enhanced.as_ref());
        if self.negotiation == Negotiation::Refuse {
            let why = Rejection::new("Enhanced RTMP required");
            let reply = status::connect_rejected(cmd.transaction_id, why, None);
            self.send_command(StreamId(0), reply);
            self.close_with(CloseReason::Rejected);
            return Ok(());
        }
        self.client_caps = request.enhanced.clone();
        self.object_encoding = request.object_encoding;
        let id = ConnectId(self.ids.next());
        self.phase = Phase::ConnectPending;
        self.add_pending(now, id.into(), cmd.transaction_id, StreamId(0))?;
        self.events.push_back(ServerEvent::ConnectRequested {
            id,
            request: Box::new(request),
        });
        Ok(())
    }

    fn on_create_stream(&mut self, txn: f64) {
        if self.streams.len() as u32 >= self.config.max_streams {
            self.send_command(
                StreamId(0),
                status::call_error(txn, &StatusCode::CreateFailed, "too many streams"),
            );
            return;
        }
        // Skip ids still in use after a wrap (a client creating billions of streams).
        while self.streams.contains_key(&self.next_stream) || self.next_stream == 0 {
            self.next_stream = self.next_stream.wrapping_add(1);
        }
        let id = self.next_stream;
        self.next_stream = self.next_stream.wrapping_add(1);
        self.streams.insert(id, StreamRole::Idle);
        self.send_reply(StreamId(0), "_result", txn, Arg::Number(id as f64));
        self.events.push_back(ServerEvent::StreamCreated {
            stream: StreamId(id),
        });
    }

    fn on_publish(
        &mut self,
        now: Instant,
        stream: StreamId,
        cmd: Command,
    ) -> Result<(), ProtocolError> {
        if self.streams.get(&stream.0) != Some(&StreamRole::Idle) {
            self.send_status(
                stream,
                StatusLevel::Error,
                &StatusCode::PublishBadConnection,
                "stream is not idle",
            );
            return Ok(());
        }
        let raw_name = cmd.arguments.first().and_then(Value::as_str).unwrap_or("");
        let (name, query) = wire::split_query(raw_name);
        let mode = match cmd.arguments.get(1).and_then(Value::as_str) {
            Some("record") => PublishMode::Record,
            Some("append") => PublishMode::Append,
            _ => PublishMode::Live,
        };
        let id = PublishId(self.ids.next());
        self.add_pending(now, id.into(), cmd.transaction_id, stream)?;
        self.streams.insert(stream.0, StreamRole::PublishPending);
        let request = PublishRequest {
            stream,
            name,
            query,
            mode,
        };
        self.events
            .push_back(ServerEvent::PublishRequested { id, request });
        Ok(())
    }

    fn on_play(
        &mut self,
        now: Instant,
        stream: StreamId,
        cmd: Command,
    ) -> Result<(), ProtocolError> {
        if !matches!(self.streams.get(&stream.0), Some(StreamRole::Idle)) {
            self.send_status(
                stream,
                StatusLevel::Error,
                &StatusCode::PlayFailed,
                "stream is busy",
            );
            return Ok(());
        }
        let raw_name = cmd.arguments.first().and_then(Value::as_str).unwrap_or("");
        let (name, query) = wire::split_query(raw_name);
        let start = cmd.arguments.get(1).and_then(Value::as_f64).unwrap_or(-2.0);
        let duration = cmd.arguments.get(2).and_then(Value::as_f64).unwrap_or(-1.0);
        let reset = cmd
            .arguments
            .get(3)
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let id = PlayId(self.ids.next());
        self.add_pending(now, id.into(), cmd.transaction_id, stream)?;
        self.streams.insert(stream.0, StreamRole::PlayPending);
        let request = PlayRequest {
            stream,
            name,
            query,
            start,
            duration,
            reset,
        };
        self.events
            .push_back(ServerEvent::PlayRequested { id, request });
        Ok(())
    }

    fn on_pause(&mut self, stream: StreamId, cmd: &Command) {
        let paused = cmd
            .arguments
            .first()
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let position = cmd.arguments.get(1).and_then(Value::as_f64).unwrap_or(0.0);
        let Some(StreamRole::Playing { paused: p, .. }) = self.streams.get_mut(&stream.0) else {
            return;
        };
        *p = paused;
        if paused {
            self.send_status(
                stream,
                StatusLevel::Status,
                &StatusCode::PauseNotify,
                "Paused.",
            );
            self.out
                .push_priority(csid::CONTROL, wire::stream_eof(stream.0));
        } else {
            self.out
                .push_priority(csid::CONTROL, wire::stream_begin(stream.0));
            self.send_status(
                stream,
                StatusLevel::Status,
                &StatusCode::UnpauseNotify,
                "Unpaused.",
            );
        }
        self.events.push_back(ServerEvent::Paused {
            stream,
            paused,
            position,
        });
    }

    fn on_unknown(
        &mut self,
        now: Instant,
        stream: StreamId,
        cmd: Command,
    ) -> Result<(), ProtocolError> {
        let call = CallRequest {
            stream,
            name: cmd.name().to_owned(),
            transaction_id: cmd.transaction_id,
            command_object: cmd.command_object,
            arguments: cmd.arguments,
        };
        let id = CallId(self.ids.next());
        if self.config.custom_calls {
            // Calls are answered out of band and do not hold back later commands.
            if self.pending.len() >= self.config.max_pending_requests {
                return Err(ProtocolError::LimitExceeded {
                    what: "pending requests",
                    limit: self.config.max_pending_requests,
                });
            }
            self.pending.push(Pending {
                id: id.into(),
                deadline: now + self.config.timeouts.decision,
                transaction_id: call.transaction_id,
                stream,
            });
        } else if call.transaction_id != 0.0 {
            let desc = format!("unknown command {}", call.name);
            self.send_command(
                stream,
                status::call_error(call.transaction_id, &StatusCode::CallFailed, &desc),
            );
        }
        self.events.push_back(ServerEvent::Call {
            id,
            call: Box::new(call),
        });
        Ok(())
    }

    fn add_pending(
        &mut self,
        now: Instant,
        id: RequestId,
        txn: f64,
        stream: StreamId,
    ) -> Result<(), ProtocolError> {
        if self.pending.len() >= self.config.max_pending_requests {
            return Err(ProtocolError::LimitExceeded {
                what: "pending requests",
                limit: self.config.max_pending_requests,
            });
        }
        let deadline = now + self.config.timeouts.decision;
        self.pending.push(Pending {
            id,
            deadline,
            transaction_id: txn,
            stream,
        });
        Ok(())
    }

    fn take_pending(&mut self, id: RequestId) -> Result<Pending, UsageError> {
        let pos = self
            .pending
            .iter()
            .position(|p| p.id == id)
            .ok_or(UsageError::UnknownRequest)?;
        Ok(self.pending.remove(pos))
    }

    fn reply_result(&mut self, txn: f64, object: Value, args: Vec<Value>) {
        self.send_command(StreamId(0), Command::new("_result", txn, object, args));
    }

    /// A fixed-shape command, encoded without building a [`Command`] (see [`reply`]).
    fn send_reply(&mut self, stream: StreamId, name: &str, txn: f64, arg: Arg<'_>) {
        let raw = reply::command(name, txn, arg, self.encoding, stream.0);
        self.out.push_priority(csid::COMMAND, raw);
    }

    /// `onStatus(0, null, {level, code, description})` on `stream`.
    fn send_status(
        &mut self,
        stream: StreamId,
        level: StatusLevel,
        code: &StatusCode,
        description: &str,
    ) {
        let info = Arg::Info {
            level,
            code,
            description,
        };
        self.send_reply(stream, "onStatus", 0.0, info);
    }

    fn send_command(&mut self, stream: StreamId, cmd: Command) {
        let raw = wire::encode_command(&cmd, self.encoding, stream.0);
        self.out.push_priority(csid::COMMAND, raw);
    }

    fn stop_stream(&mut self, stream: StreamId) {
        let Some(role) = self.streams.get_mut(&stream.0) else {
            return;
        };
        let old = std::mem::replace(role, StreamRole::Idle);
        match old {
            StreamRole::Publishing => {
                self.reader.decoder().forbid_media(stream.0);
                self.events
                    .push_back(ServerEvent::PublishStopped { stream });
            }
            StreamRole::Playing { .. } => {
                self.events.push_back(ServerEvent::PlayStopped { stream })
            }
            // A pending decision for this stream stays pending; its answer finds the stream
            // idle and is ignored.
            StreamRole::Idle | StreamRole::PublishPending | StreamRole::PlayPending => {}
        }
    }

    // ----- application decisions -------------------------------------------------------
    //
    // Each decision takes `now` like every other input: answering releases the commands
    // held behind the request, and a `publish` or `play` among them starts its own
    // decision deadline at `now`.

    /// Accepts a connect: sends Window Ack Size, Set Peer Bandwidth, Set Chunk Size and the
    /// `_result`; commands the client sent after `connect` are handled now.
    ///
    /// Call in answer to [`ServerEvent::ConnectRequested`] with its `id`, at once or later
    /// (an async auth check), before [`Timeouts::decision`](super::Timeouts) passes; then
    /// drain events and output as after any input. [`UsageError::UnknownRequest`] when the
    /// request was already answered or timed out.
    pub fn accept_connect(
        &mut self,
        now: Instant,
        id: ConnectId,
        reply: ConnectReply,
    ) -> Result<(), UsageError> {
        self.check_open()?;
        let p = self.take_pending(id.into())?;
        let c = &self.config;
        self.out
            .push_priority(csid::CONTROL, wire::window_ack_size(c.window_ack_size));
        self.out
            .push_priority(csid::CONTROL, wire::set_peer_bandwidth(c.peer_bandwidth));
        // An invalid configured size is refused here and the default stays in force.
        let _ = self.out.set_chunk_size(c.chunk_size);
        let mut reply = reply;
        if let Negotiation::Enhanced(caps) = &self.negotiation {
            // The negotiated capabilities first; the application's own fields may override.
            let mut props: Vec<(String, Value)> = caps
                .to_properties()
                .into_iter()
                .map(|(k, v)| (k.as_str().to_owned(), v))
                .collect();
            props.append(&mut reply.properties);
            reply.properties = props;
        }
        let result = connect_result::encode(
            p.transaction_id,
            &c.fms_version,
            self.object_encoding,
            &reply.properties,
            &reply.information,
            self.encoding,
        );
        self.out.push_priority(csid::COMMAND, result);
        self.phase = Phase::Connected;
        self.reader.decoder().set_phase(MessagePhase::Connected);
        self.unblock(now);
        Ok(())
    }

    /// Asks an Enhanced RTMP client to reconnect (to `tc_url`, or the same URL when `None`):
    /// `onStatus NetConnection.Connect.ReconnectRequest`. Only for clients that advertised
    /// the reconnect capability (`capsEx` bit 1).
    pub fn request_reconnect(
        &mut self,
        tc_url: Option<&str>,
        description: Option<&str>,
    ) -> Result<(), UsageError> {
        self.check_open()?;
        if self.phase != Phase::Connected {
            return Err(UsageError::WrongState("not connected"));
        }
        if !ReconnectRequest::allowed_for(self.client_caps.as_ref()) {
            return Err(UsageError::WrongState(
                "the client did not advertise reconnect support",
            ));
        }
        let request = ReconnectRequest {
            tc_url: tc_url.map(|u| u.to_owned().into()),
            description: description.map(|d| d.to_owned().into()),
        };
        self.send_command(StreamId(0), Command::on_status_info(request.to_info()));
        Ok(())
    }

    /// The client's Enhanced RTMP capabilities from its connect, if it sent any.
    pub fn client_enhanced_caps(&self) -> Option<&EnhancedCaps> {
        self.client_caps.as_ref()
    }

    /// Accepts a publish: StreamBegin and `NetStream.Publish.Start`; the publisher's media
    /// arrives as [`ServerEvent::Media`] from then on.
    ///
    /// Call in answer to [`ServerEvent::PublishRequested`] with its `id`, before
    /// [`Timeouts::decision`](super::Timeouts) passes; then drain events and output.
    /// [`UsageError::UnknownRequest`] when the request was already answered or timed out.
    pub fn accept_publish(&mut self, now: Instant, id: PublishId) -> Result<(), UsageError> {
        self.check_open()?;
        let p = self.take_pending(id.into())?;
        if self.streams.get(&p.stream.0) == Some(&StreamRole::PublishPending) {
            self.streams.insert(p.stream.0, StreamRole::Publishing);
            self.reader.decoder().allow_media(p.stream.0);
            self.out
                .push_priority(csid::CONTROL, wire::stream_begin(p.stream.0));
            self.send_status(
                p.stream,
                StatusLevel::Status,
                &StatusCode::PublishStart,
                "Start publishing",
            );
        }
        self.unblock(now);
        Ok(())
    }

    /// Accepts a play: StreamBegin, `Play.Reset`, `Play.Start`, `|RtmpSampleAccess`; the
    /// stream then takes [`send_media`](Self::send_media) and
    /// [`send_metadata`](Self::send_metadata).
    ///
    /// Call in answer to [`ServerEvent::PlayRequested`] with its `id`, before
    /// [`Timeouts::decision`](super::Timeouts) passes; then drain events and output.
    /// [`UsageError::UnknownRequest`] when the request was already answered or timed out.
    pub fn accept_play(&mut self, now: Instant, id: PlayId) -> Result<(), UsageError> {
        self.check_open()?;
        let p = self.take_pending(id.into())?;
        if self.streams.get(&p.stream.0) == Some(&StreamRole::PlayPending) {
            self.streams.insert(
                p.stream.0,
                StreamRole::Playing {
                    paused: false,
                    ended: false,
                },
            );
            let s = p.stream;
            self.out
                .push_priority(csid::CONTROL, wire::stream_begin(s.0));
            self.send_status(
                s,
                StatusLevel::Status,
                &StatusCode::PlayReset,
                "Playing and resetting.",
            );
            self.send_status(
                s,
                StatusLevel::Status,
                &StatusCode::PlayStart,
                "Started playing.",
            );
            self.out.push_priority(csid::DATA, wire::sample_access(s.0));
        }
        self.unblock(now);
        Ok(())
    }

    /// Refuses any pending request: a connect with `_error`
    /// `NetConnection.Connect.Rejected`, a publish or play with an error `onStatus`, a call
    /// with `_error` (codes from [`Rejection::code`] or the default for the kind).
    ///
    /// Call in answer to any `*Requested` or [`ServerEvent::Call`] event with its id, before
    /// [`Timeouts::decision`](super::Timeouts) passes; then drain events and output. A
    /// refused connect closes the session (its `_error` is still drained); a refused
    /// publish or play leaves the connection open.
    pub fn reject(
        &mut self,
        now: Instant,
        id: impl Into<RequestId>,
        why: Rejection,
    ) -> Result<(), UsageError> {
        self.check_open()?;
        let p = self.take_pending(id.into())?;
        self.answer_rejection(p, why);
        self.unblock(now);
        Ok(())
    }

    fn answer_rejection(&mut self, p: Pending, why: Rejection) {
        match p.id {
            RequestId::Connect(_) => {
                let cmd = status::connect_rejected(p.transaction_id, why, None);
                self.send_command(StreamId(0), cmd);
                self.close_with(CloseReason::Rejected);
            }
            RequestId::Publish(_) => {
                let code = why.code.unwrap_or(StatusCode::PublishBadName);
                self.send_status(p.stream, StatusLevel::Error, &code, &why.description);
                self.reset_pending_stream(p.stream, StreamRole::PublishPending);
            }
            RequestId::Play(_) => {
                let code = why.code.unwrap_or(StatusCode::PlayFailed);
                self.send_status(p.stream, StatusLevel::Error, &code, &why.description);
                self.reset_pending_stream(p.stream, StreamRole::PlayPending);
            }
            RequestId::Call(_) => {
                let code = why.code.unwrap_or(StatusCode::CallFailed);
                self.send_command(
                    p.stream,
                    status::call_error(p.transaction_id, &code, &why.description),
                );
            }
        }
    }

    fn reset_pending_stream(&mut self, stream: StreamId, expected: StreamRole) {
        if let Some(role) = self.streams.get_mut(&stream.0)
            && *role == expected
        {
            *role = StreamRole::Idle;
        }
    }

    /// Refuses a connect with a redirect to `tc_url`: `_error`
    /// `NetConnection.Connect.Rejected` with `ex: {code: 302, redirect}`, then the session
    /// closes.
    ///
    /// Call in answer to [`ServerEvent::ConnectRequested`] instead of
    /// [`accept_connect`](Self::accept_connect); only a connect can be redirected. Then
    /// drain the `_error` and the `Closed` event.
    pub fn redirect(
        &mut self,
        now: Instant,
        id: ConnectId,
        tc_url: &str,
    ) -> Result<(), UsageError> {
        // Taken like every decision's; a redirect closes the session, which needs no time.
        let _ = now;
        self.check_open()?;
        let p = self.take_pending(id.into())?;
        let why = Rejection::new("redirected");
        self.send_command(
            StreamId(0),
            status::connect_rejected(p.transaction_id, why, Some(tc_url)),
        );
        self.close_with(CloseReason::Rejected);
        Ok(())
    }

    /// Answers an application-defined call with `_result` (`Ok`: `null` then the values)
    /// or `_error` (`Err`: an information object from the rejection).
    ///
    /// Call in answer to [`ServerEvent::Call`] when [`ServerConfig::custom_calls`] is on,
    /// before [`Timeouts::decision`](super::Timeouts) passes (calls do not hold back other
    /// commands); then drain output.
    pub fn answer_call(
        &mut self,
        now: Instant,
        id: CallId,
        answer: Result<Vec<Value>, Rejection>,
    ) -> Result<(), UsageError> {
        // Taken like every decision's; a call holds nothing back, so nothing starts at it.
        let _ = now;
        self.check_open()?;
        let p = self.take_pending(id.into())?;
        match answer {
            Ok(values) => self.reply_result(p.transaction_id, Value::Null, values),
            Err(why) => self.answer_rejection(p, why),
        }
        Ok(())
    }

    // ----- toward players ---------------------------------------------------------------

    /// Whether `stream` is playing and not paused: media sent now reaches the player.
    pub fn is_playing(&self, stream: StreamId) -> bool {
        matches!(
            self.streams.get(&stream.0),
            Some(StreamRole::Playing {
                paused: false,
                ended: false
            })
        )
    }

    /// Queues audio or video toward a player on its own message stream. The payload is
    /// sliced into chunks, never copied.
    pub fn send_media(
        &mut self,
        stream: StreamId,
        media: Media,
        drop: Droppable,
    ) -> Result<(), UsageError> {
        self.check_sendable(stream, media.payload.len())?;
        let (id, lane) = match media.kind {
            MediaKind::Audio => (8, csid::AUDIO),
            MediaKind::Video => (9, csid::VIDEO),
        };
        let msg = RawMessage {
            timestamp: media.timestamp,
            type_id: id,
            stream_id: stream.0,
            payload: media.payload,
        };
        self.out.push_media(lane, msg, drop == Droppable::Yes);
        Ok(())
    }

    /// Queues a message chunked once for many players ([`EncodedMessage`]; a relay gets one
    /// from [`Frame::encode`](crate::relay::Frame::encode)) toward the player of its
    /// message stream: the session writes the shared chunks as one segment when it cuts at
    /// the chunk size they were cut at ([`chunk_size`](Self::chunk_size)), and chunks the
    /// message itself otherwise. Refused like [`send_media`](Self::send_media).
    pub fn send_encoded(
        &mut self,
        encoded: &EncodedMessage,
        drop: Droppable,
    ) -> Result<(), UsageError> {
        let message = encoded.message();
        self.check_sendable(StreamId(message.stream_id), message.payload.len())?;
        self.out.push_encoded(encoded, drop == Droppable::Yes);
        Ok(())
    }

    /// The chunk size media queued now goes out at: [`ServerConfig::chunk_size`] once
    /// `connect` was accepted, or the last [`set_chunk_size`](Self::set_chunk_size).
    pub fn chunk_size(&self) -> u32 {
        self.out.chunk_size()
    }

    /// Queues stream metadata toward a player: `onMetaData` with
    /// [`Metadata::payload`](super::Metadata::payload) (shared, never copied) at its
    /// timestamp.
    ///
    /// Call once [`accept_play`](Self::accept_play) started the stream, typically with the
    /// [`Metadata`](super::Metadata) a publisher's [`ServerEvent::Metadata`] carried (or one
    /// built with [`Metadata::new`](super::Metadata::new)), before its media. The same
    /// signature as [`ClientSession::send_metadata`](super::ClientSession::send_metadata).
    pub fn send_metadata(
        &mut self,
        stream: StreamId,
        metadata: &Metadata,
    ) -> Result<(), UsageError> {
        self.send_metadata_payload(stream, metadata.payload.clone(), metadata.timestamp)
    }

    /// [`send_metadata`](Self::send_metadata) from the payload alone: what a relay
    /// [`Frame`](crate::relay::Frame) keeps of metadata.
    pub(crate) fn send_metadata_payload(
        &mut self,
        stream: StreamId,
        payload: Bytes,
        timestamp: u32,
    ) -> Result<(), UsageError> {
        self.check_sendable(stream, payload.len())?;
        let msg = RawMessage {
            timestamp,
            type_id: 18,
            stream_id: stream.0,
            payload,
        };
        self.out.push_media(csid::DATA, msg, false);
        Ok(())
    }

    fn check_sendable(&self, stream: StreamId, len: usize) -> Result<(), UsageError> {
        self.check_open()?;
        match self.streams.get(&stream.0) {
            Some(StreamRole::Playing {
                paused: false,
                ended: false,
            }) => {}
            Some(_) => return Err(UsageError::WrongState("stream is not playing")),
            None => return Err(UsageError::UnknownStream(stream.0)),
        }
        if len > super::outbound::MAX_PAYLOAD {
            return Err(UsageError::InvalidArgument(
                "payload longer than 0xFFFFFF bytes",
            ));
        }
        if self.out.pending_bytes() + len > self.config.max_outbound_bytes {
            return Err(UsageError::QueueFull);
        }
        Ok(())
    }

    /// Tells a player its stream ended: StreamEOF, `Play.UnpublishNotify`, `Play.Stop`.
    ///
    /// These go out behind the media already queued (not on the priority lane): players
    /// such as ffmpeg stop reading at the end notice, so overtaking queued media would cut
    /// off the last frames of every stream.
    pub fn end_stream(&mut self, stream: StreamId) -> Result<(), UsageError> {
        self.check_open()?;
        let Some(StreamRole::Playing { ended, .. }) = self.streams.get_mut(&stream.0) else {
            return Err(UsageError::WrongState("stream is not playing"));
        };
        *ended = true;
        self.out
            .push_media(csid::CONTROL, wire::stream_eof(stream.0), false);
        for (code, description) in [
            (StatusCode::PlayUnpublishNotify, "Stream unpublished."),
            (StatusCode::PlayStop, "Stopped playing."),
        ] {
            let info = Arg::Info {
                level: StatusLevel::Status,
                code: &code,
                description,
            };
            let raw = reply::command("onStatus", 0.0, info, self.encoding, stream.0);
            self.out.push_media(csid::COMMAND, raw, false);
        }
        Ok(())
    }

    /// Changes our outbound chunk size mid-session: a Set Chunk Size goes out and every
    /// chunk after it uses the new size. Refused during the handshake (the initial size is
    /// [`ServerConfig::chunk_size`]).
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), UsageError> {
        self.check_open()?;
        if self.reader.handshaking() {
            // A chunk queued now would go out before our C2/S0+S1+S2 and corrupt the stream.
            return Err(UsageError::WrongState("the handshake is not finished"));
        }
        self.out.set_chunk_size(size)
    }

    /// Drops queued media marked [`Droppable::Yes`] that has not started to go out; returns
    /// how many messages were dropped.
    ///
    /// Call when [`pending_transmit_bytes`](Self::pending_transmit_bytes) says the player
    /// falls behind: it frees the queue without cutting a message in half.
    pub fn discard_droppable(&mut self) -> usize {
        self.out.discard_droppable()
    }

    /// Input bytes the peer makes this session hold: messages still being reassembled (at
    /// their announced length, which the decoder reserves) and complete commands waiting
    /// behind an undecided connect, publish or play. What a server-wide memory budget
    /// counts per connection.
    pub fn buffered_input_bytes(&self) -> usize {
        self.reader.partial_bytes() + self.blocked_bytes
    }

    /// Payload bytes waiting in the outbound queue (chunk headers not counted): the
    /// backpressure signal. [`send_media`](Self::send_media) refuses with
    /// [`UsageError::QueueFull`] once it would pass [`ServerConfig::max_outbound_bytes`].
    pub fn pending_transmit_bytes(&self) -> usize {
        self.out.pending_bytes()
    }

    // ----- time and end of input --------------------------------------------------------

    /// Checks deadlines: sends a ping after [`Timeouts::ping_interval`](super::Timeouts)
    /// of silence, closes on a handshake, idle or ping timeout, and rejects a decision the
    /// application did not make within [`Timeouts::decision`](super::Timeouts).
    ///
    /// Call when the instant from [`poll_timeout`](Self::poll_timeout) has passed, both
    /// when the timer fires and after input that arrived past it. Calling early is
    /// harmless: nothing is done before it is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.phase == Phase::Closed {
            return;
        }
        let handshaking = self.phase == Phase::Handshake;
        if let Some(kind) = self.overdue(now) {
            self.close_with(CloseReason::Timeout(kind));
            return;
        }
        match self.liveness.check(now, &self.config.timeouts, handshaking) {
            LivenessAction::Close(kind) => {
                self.close_with(CloseReason::Timeout(kind));
                return;
            }
            LivenessAction::SendPing => {
                // The low 32 bits of elapsed milliseconds: the peer echoes them back.
                let ms = now.duration_since(self.liveness.started).as_millis() as u32;
                self.out
                    .push_priority(csid::CONTROL, wire::ping_request(ms));
            }
            LivenessAction::None => {}
        }
        let expired: Vec<RequestId> = self
            .pending
            .iter()
            .filter(|p| p.deadline <= now)
            .map(|p| p.id)
            .collect();
        for id in expired {
            if let Ok(p) = self.take_pending(id) {
                self.answer_rejection(p, Rejection::new("no decision in time"));
            }
        }
        self.unblock(now);
    }

    /// The peer closed its side.
    ///
    /// Call when a read returns end of stream. Queues `Closed(PeerClosed)`; does nothing on
    /// a closed session.
    pub fn handle_eof(&mut self, _now: Instant) {
        self.close_with(CloseReason::PeerClosed);
    }

    /// Closes the session from our side; `Closed(Local)` follows in
    /// [`poll_event`](Self::poll_event).
    ///
    /// Call to drop the connection (shutdown, kick). Bytes already queued can still be
    /// drained with [`poll_transmit`](Self::poll_transmit). Does nothing on a closed session.
    pub fn close(&mut self) {
        self.close_with(CloseReason::Local);
    }

    fn fail(&mut self, e: ProtocolError) {
        self.error = Some(e.clone());
        self.close_with(CloseReason::Protocol(e));
    }

    fn close_with(&mut self, reason: CloseReason) {
        if self.phase == Phase::Closed {
            return;
        }
        self.phase = Phase::Closed;
        self.pending.clear();
        self.blocked.clear();
        self.blocked_bytes = 0;
        self.events.push_back(ServerEvent::Closed(reason));
    }

    fn check_open(&self) -> Result<(), UsageError> {
        if self.phase == Phase::Closed {
            Err(UsageError::Closed)
        } else {
            Ok(())
        }
    }

    /// Whether the session ended (the `Closed` event has been queued).
    ///
    /// Check after draining: once true, read no more input; drain what is left, then close
    /// the socket.
    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// The next event for the application, in the order the peer caused them.
    ///
    /// Call after every input or command, until it returns `None`. Answering a decision
    /// (`accept_*`, `reject`) may release commands held behind it and queue more events;
    /// keep polling. [`ServerEvent::Closed`] comes exactly once, last.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// The next segment to write to the socket: handshake bytes, a chunk header, a payload
    /// slice, or several small control and command chunks gathered into one.
    ///
    /// Call after [`poll_event`](Self::poll_event) returned `None`, until this returns
    /// `None`, and write every segment whole and in order. Commands and control messages
    /// overtake queued media. A driver whose socket is full stops polling; the rest stays
    /// queued. Segments queued before the session closed are still returned after it.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.out.poll_transmit()
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next: the earliest of the
    /// handshake, idle, ping and pending-decision deadlines. `None` once closed.
    ///
    /// Call after every round of draining and re-arm the timer with it: input and decisions
    /// move the deadlines.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.phase == Phase::Closed {
            return None;
        }
        let handshaking = self.phase == Phase::Handshake;
        let mut next = self
            .liveness
            .next_deadline(&self.config.timeouts, handshaking);
        for p in &self.pending {
            next = next.min(p.deadline);
        }
        for t in [self.connect_deadline(), self.message_deadline()] {
            next = t.map_or(next, |t| next.min(t));
        }
        Some(next)
    }

    /// Until a `connect` is accepted: when the connection must have one. Bytes do not move
    /// it, so a peer cannot stay by trickling.
    fn connect_deadline(&self) -> Option<Instant> {
        (self.phase != Phase::Connected)
            .then(|| self.liveness.started + self.config.timeouts.connect)
    }

    /// When the oldest message being reassembled must be complete.
    fn message_deadline(&self) -> Option<Instant> {
        self.reader
            .oldest_partial_since()
            .map(|since| since + self.config.timeouts.message)
    }

    /// A deadline bytes cannot reset that has passed at `now`.
    fn overdue(&self, now: Instant) -> Option<TimeoutKind> {
        if self.connect_deadline().is_some_and(|t| now >= t) {
            return Some(TimeoutKind::Connect);
        }
        if self.message_deadline().is_some_and(|t| now >= t) {
            return Some(TimeoutKind::Message);
        }
        None
    }
}
