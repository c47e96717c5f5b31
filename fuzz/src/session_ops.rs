//! Fuzz body for the `session_ops` target: our client and our server joined back to back
//! (like the in-crate Pair harness), driven by an arbitrary sequence of operations: bytes
//! delivered in pieces, decisions answered (with ids that may be stale or of the wrong
//! kind), streams opened, paused and closed, media and metadata sent both ways, chunk size
//! changes, closes, end of input and clock jumps.
//!
//! Usage errors are fine; panics are not. Checked throughout: each side ends with at most
//! one `Closed`, always last; drained queues count no bytes; and unless the operations
//! injected foreign bytes, neither side ever blames the other for a protocol error other
//! than a resource limit: our client and our server must always understand each other.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use bytes::{Bytes, BytesMut};
use rtmp_proto::ProtocolError;
use rtmp_proto::amf::Value;
use rtmp_proto::session::{
    CallId, ClientConfig, ClientEvent, ClientSession, CloseReason, ConnectId, ConnectParams,
    ConnectReply, Droppable, Media, MediaKind, Metadata, PlayId, PublishId, PublishMode, Rejection,
    RequestId, ServerConfig, ServerEvent, ServerSession, StreamHandle, StreamId,
};

use crate::session_check::Emitted;

/// Most operations taken from one input, to keep each run short.
const MAX_OPS: usize = 256;

/// Stream names the operations pick from (never `connect`: calling it again is a real
/// protocol error, not one of ours).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Name {
    Test,
    Empty,
    Query,
    Unicode,
}

impl Name {
    fn as_str(self) -> &'static str {
        match self {
            Name::Test => "test",
            Name::Empty => "",
            Name::Query => "cam?token=abc&x=1",
            Name::Unicode => "caméra/ü",
        }
    }
}

/// One step of the scenario. `pick` fields index (modulo) the ids seen so far, so they may
/// name an answered request or a closed stream.
#[derive(Debug, Arbitrary)]
pub enum Op {
    /// Move up to `n + 1` pending bytes client → server (`255`: all of them).
    ToServer(u8),
    /// Move up to `n + 1` pending bytes server → client (`255`: all of them).
    ToClient(u8),
    /// Move bytes both ways until neither side has anything to say.
    Settle,
    Connect(Name),
    AcceptConnect {
        pick: u8,
        extra: bool,
    },
    Redirect(u8),
    AcceptPublish(u8),
    AcceptPlay(u8),
    Reject {
        pick: u8,
        code: bool,
    },
    AnswerCall {
        pick: u8,
        ok: bool,
    },
    Publish(Name, u8),
    Play(Name),
    Pause {
        pick: u8,
        paused: bool,
        position: u16,
    },
    CloseStream(u8),
    ClientCall(Name),
    ClientMedia {
        pick: u8,
        video: bool,
        timestamp: u32,
        len: u16,
    },
    ClientMetadata(u8),
    /// `pick` beyond the streams seen is used as a raw stream id.
    ServerMedia {
        pick: u8,
        video: bool,
        timestamp: u32,
        len: u16,
        droppable: bool,
    },
    ServerMetadata(u8),
    EndStream(u8),
    SetChunkSize {
        server: bool,
        size: u32,
    },
    DiscardDroppable,
    Close {
        server: bool,
    },
    Eof {
        server: bool,
    },
    /// Advance the clock by `ms * 64` milliseconds (up to about 70 minutes) and check deadlines.
    Advance(u16),
    /// Foreign bytes toward the server: from here on protocol errors are expected.
    Inject(Vec<u8>),
}

/// Zero bytes media payloads are sliced from (the content does not matter to sessions).
static PAYLOAD: [u8; 8192] = [0; 8192];

pub fn run(data: &[u8]) {
    run_with(data, false);
}

/// [`run`], printing every operation and event to stderr: for reading a crash input.
pub fn trace(data: &[u8]) {
    run_with(data, true);
}

fn run_with(data: &[u8], trace: bool) {
    let mut u = Unstructured::new(data);
    let Ok(custom_calls) = bool::arbitrary(&mut u) else {
        return;
    };
    let mut ops = Vec::new();
    while ops.len() < MAX_OPS && !u.is_empty() {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    let mut w = World::new(custom_calls);
    w.trace = trace;
    for op in ops {
        if trace {
            eprintln!("op {op:?}");
        }
        w.apply(op);
        w.check();
    }
    w.settle();
    w.client.handle_eof(w.now);
    w.server.handle_eof(w.now);
    w.pump();
    assert!(w.client_out.closed() && w.server_out.closed());
}

/// Both sessions, the bytes in flight between them, and every id they handed out.
struct World {
    now: Instant,
    client: ClientSession,
    server: ServerSession,
    client_out: Emitted,
    server_out: Emitted,
    c2s: BytesMut,
    s2c: BytesMut,
    server_in: BytesMut,
    client_in: BytesMut,
    requests: Vec<RequestId>,
    handles: Vec<StreamHandle>,
    streams: Vec<StreamId>,
    metadata: Metadata,
    injected: bool,
    trace: bool,
}

impl World {
    fn new(custom_calls: bool) -> Self {
        let now = Instant::now();
        let mut sc = ServerConfig::default();
        sc.custom_calls = custom_calls;
        sc.limits.max_message_len = 256 * 1024;
        sc.max_outbound_bytes = 256 * 1024;
        let mut cc = ClientConfig::default();
        cc.limits.max_message_len = 256 * 1024;
        cc.max_outbound_bytes = 256 * 1024;
        let metadata = Metadata::new(Value::object(vec![(
            "width".to_owned(),
            Value::Number(64.0),
        )]));
        World {
            now,
            client: ClientSession::new(Arc::new(cc), now),
            server: ServerSession::new(Arc::new(sc), now),
            client_out: Emitted::default(),
            server_out: Emitted::default(),
            c2s: BytesMut::new(),
            s2c: BytesMut::new(),
            server_in: BytesMut::new(),
            client_in: BytesMut::new(),
            requests: Vec::new(),
            handles: Vec::new(),
            streams: Vec::new(),
            metadata,
            injected: false,
            trace: false,
        }
    }

    fn apply(&mut self, op: Op) {
        // Results are ignored on purpose: usage errors are allowed and change nothing.
        match op {
            Op::ToServer(n) => self.deliver_to_server(n),
            Op::ToClient(n) => self.deliver_to_client(n),
            Op::Settle => self.settle(),
            Op::Connect(name) => {
                let _ = self.client.connect(ConnectParams::new(
                    name.as_str(),
                    format!("rtmp://127.0.0.1/{}", name.as_str()),
                ));
            }
            Op::AcceptConnect { pick, extra } => {
                if let Some(id) = self.pick_of(pick, connect_id) {
                    let mut reply = ConnectReply::default();
                    if extra {
                        reply
                            .properties
                            .push(("capsEx".into(), Value::Number(15.0)));
                        reply.information.push(("data".into(), Value::Null));
                    }
                    let _ = self.server.accept_connect(self.now, id, reply);
                }
            }
            Op::Redirect(pick) => {
                if let Some(id) = self.pick_of(pick, connect_id) {
                    let _ = self.server.redirect(self.now, id, "rtmp://elsewhere/live");
                }
            }
            Op::AcceptPublish(pick) => {
                if let Some(id) = self.pick_of(pick, publish_id) {
                    let _ = self.server.accept_publish(self.now, id);
                }
            }
            Op::AcceptPlay(pick) => {
                if let Some(id) = self.pick_of(pick, play_id) {
                    let _ = self.server.accept_play(self.now, id);
                }
            }
            Op::Reject { pick, code } => {
                if let Some(id) = self.pick_of(pick, Some) {
                    let why = if code {
                        Rejection::with_code("NetStream.Publish.BadName", "taken")
                    } else {
                        Rejection::new("no")
                    };
                    let _ = self.server.reject(self.now, id, why);
                }
            }
            Op::AnswerCall { pick, ok } => {
                if let Some(id) = self.pick_of(pick, call_id) {
                    let answer = if ok {
                        Ok(vec![Value::Number(1.0)])
                    } else {
                        Err(Rejection::new("no"))
                    };
                    let _ = self.server.answer_call(self.now, id, answer);
                }
            }
            Op::Publish(name, mode) => {
                let mode = [PublishMode::Live, PublishMode::Record, PublishMode::Append]
                    [usize::from(mode % 3)];
                if let Ok(h) = self.client.publish(name.as_str(), mode) {
                    self.handles.push(h);
                }
            }
            Op::Play(name) => {
                if let Ok(h) = self.client.play(name.as_str()) {
                    self.handles.push(h);
                }
            }
            Op::Pause {
                pick,
                paused,
                position,
            } => {
                if let Some(h) = pick_from(&self.handles, pick) {
                    let _ = self.client.pause(h, paused, f64::from(position));
                }
            }
            Op::CloseStream(pick) => {
                if let Some(h) = pick_from(&self.handles, pick) {
                    let _ = self.client.close_stream(h);
                }
            }
            Op::ClientCall(name) => {
                let _ = self
                    .client
                    .call("getStats", vec![Value::from(name.as_str())]);
            }
            Op::ClientMedia {
                pick,
                video,
                timestamp,
                len,
            } => {
                if let Some(h) = pick_from(&self.handles, pick) {
                    let _ = self.client.send_media(h, media(video, timestamp, len));
                }
            }
            Op::ClientMetadata(pick) => {
                if let Some(h) = pick_from(&self.handles, pick) {
                    let _ = self.client.send_metadata(h, &self.metadata);
                }
            }
            Op::ServerMedia {
                pick,
                video,
                timestamp,
                len,
                droppable,
            } => {
                let stream = self.stream(pick);
                let drop = if droppable {
                    Droppable::Yes
                } else {
                    Droppable::No
                };
                let _ = self
                    .server
                    .send_media(stream, media(video, timestamp, len), drop);
            }
            Op::ServerMetadata(pick) => {
                let stream = self.stream(pick);
                let _ = self.server.send_metadata(stream, &self.metadata);
            }
            Op::EndStream(pick) => {
                let stream = self.stream(pick);
                let _ = self.server.end_stream(stream);
            }
            Op::SetChunkSize { server, size } => {
                let _ = if server {
                    self.server.set_chunk_size(size)
                } else {
                    self.client.set_chunk_size(size)
                };
            }
            Op::DiscardDroppable => {
                let _ = self.server.discard_droppable();
            }
            Op::Close { server } => {
                if server {
                    self.server.close();
                } else {
                    self.client.close();
                }
            }
            Op::Eof { server } => {
                if server {
                    self.server.handle_eof(self.now);
                } else {
                    self.client.handle_eof(self.now);
                }
            }
            Op::Advance(ms) => {
                self.now += Duration::from_millis(u64::from(ms) * 64);
                self.client.handle_timeout(self.now);
                self.server.handle_timeout(self.now);
            }
            Op::Inject(bytes) => {
                self.injected |= !bytes.is_empty();
                self.server_in.extend_from_slice(&bytes);
                let r = self.server.handle_input(self.now, &mut self.server_in);
                self.check_input(r, true);
            }
        }
        self.pump();
    }

    /// The `pick`-th request id (modulo) that `f` accepts, in the order they were seen.
    fn pick_of<T>(&self, pick: u8, f: impl Fn(RequestId) -> Option<T>) -> Option<T> {
        let matching: Vec<T> = self.requests.iter().filter_map(|r| f(*r)).collect();
        let n = matching.len();
        if n == 0 {
            return None;
        }
        matching.into_iter().nth(usize::from(pick) % n)
    }

    /// A stream the server created, or (beyond them) a raw, probably unknown, id.
    fn stream(&self, pick: u8) -> StreamId {
        self.streams
            .get(usize::from(pick))
            .copied()
            .unwrap_or(StreamId(u32::from(pick) % 8))
    }

    fn deliver_to_server(&mut self, n: u8) {
        let take = if n == 255 {
            self.c2s.len()
        } else {
            self.c2s.len().min(usize::from(n) + 1)
        };
        if take == 0 {
            return;
        }
        let piece = self.c2s.split_to(take);
        self.server_in.extend_from_slice(&piece);
        let r = self.server.handle_input(self.now, &mut self.server_in);
        self.check_input(r, true);
    }

    fn deliver_to_client(&mut self, n: u8) {
        let take = if n == 255 {
            self.s2c.len()
        } else {
            self.s2c.len().min(usize::from(n) + 1)
        };
        if take == 0 {
            return;
        }
        let piece = self.s2c.split_to(take);
        self.client_in.extend_from_slice(&piece);
        let r = self.client.handle_input(self.now, &mut self.client_in);
        self.check_input(r, false);
    }

    fn settle(&mut self) {
        for _ in 0..64 {
            self.pump();
            if self.c2s.is_empty() && self.s2c.is_empty() {
                return;
            }
            self.deliver_to_server(255);
            self.deliver_to_client(255);
        }
    }

    /// Drains both sides' events and outbound bytes into the wires, checking as it goes.
    fn pump(&mut self) {
        while let Some(ev) = self.server.poll_event() {
            if self.trace {
                eprintln!("  server {ev:?}");
            }
            self.server_out.event(matches!(ev, ServerEvent::Closed(_)));
            match ev {
                ServerEvent::ConnectRequested { id, .. } => self.requests.push(id.into()),
                ServerEvent::PublishRequested { id, .. } => self.requests.push(id.into()),
                ServerEvent::PlayRequested { id, .. } => self.requests.push(id.into()),
                ServerEvent::Call { id, .. } => self.requests.push(id.into()),
                ServerEvent::StreamCreated { stream } => self.streams.push(stream),
                ServerEvent::Closed(reason) => self.check_reason(&reason),
                _ => {}
            }
        }
        while let Some(ev) = self.client.poll_event() {
            if self.trace {
                eprintln!("  client {ev:?}");
            }
            self.client_out.event(matches!(ev, ClientEvent::Closed(_)));
            if let ClientEvent::Closed(reason) = ev {
                self.check_reason(&reason);
            }
        }
        while let Some(seg) = self.client.poll_transmit() {
            self.client_out.transmit(&seg);
            self.c2s.extend_from_slice(&seg);
        }
        while let Some(seg) = self.server.poll_transmit() {
            self.server_out.transmit(&seg);
            self.s2c.extend_from_slice(&seg);
        }
    }

    fn check_input(&self, r: Result<(), ProtocolError>, server: bool) {
        if let Err(e) = r {
            let closed = if server {
                self.server.is_closed()
            } else {
                self.client.is_closed()
            };
            assert!(closed, "a protocol error closes the session");
            self.check_error(&e);
        }
    }

    fn check_reason(&self, reason: &CloseReason) {
        if let CloseReason::Protocol(e) = reason {
            self.check_error(e);
        }
    }

    /// Our client and server must understand each other: only limits may trip.
    fn check_error(&self, e: &ProtocolError) {
        if !self.injected {
            assert!(
                matches!(e, ProtocolError::LimitExceeded { .. }),
                "our own peer broke the protocol: {e}"
            );
        }
    }

    fn check(&self) {
        assert_eq!(self.client_out.closed(), self.client.is_closed());
        assert_eq!(self.server_out.closed(), self.server.is_closed());
        assert_eq!(self.client.pending_transmit_bytes(), 0);
        assert_eq!(self.server.pending_transmit_bytes(), 0);
        assert_eq!(
            self.client.poll_timeout().is_none(),
            self.client.is_closed()
        );
        assert_eq!(
            self.server.poll_timeout().is_none(),
            self.server.is_closed()
        );
    }
}

fn connect_id(r: RequestId) -> Option<ConnectId> {
    match r {
        RequestId::Connect(id) => Some(id),
        _ => None,
    }
}

fn publish_id(r: RequestId) -> Option<PublishId> {
    match r {
        RequestId::Publish(id) => Some(id),
        _ => None,
    }
}

fn play_id(r: RequestId) -> Option<PlayId> {
    match r {
        RequestId::Play(id) => Some(id),
        _ => None,
    }
}

fn call_id(r: RequestId) -> Option<CallId> {
    match r {
        RequestId::Call(id) => Some(id),
        _ => None,
    }
}

fn pick_from<T: Copy>(items: &[T], pick: u8) -> Option<T> {
    if items.is_empty() {
        return None;
    }
    items.get(usize::from(pick) % items.len()).copied()
}

fn media(video: bool, timestamp: u32, len: u16) -> Media {
    let len = usize::from(len) % PAYLOAD.len();
    Media {
        kind: if video {
            MediaKind::Video
        } else {
            MediaKind::Audio
        },
        timestamp,
        payload: Bytes::from_static(&PAYLOAD[..len]),
    }
}
