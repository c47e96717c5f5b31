//! Fuzz body for the `session_ops` target: our client and our server joined back to back
//! (like the in-crate Pair harness), driven by an arbitrary sequence of operations: bytes
//! delivered in pieces, decisions answered (with ids that may be stale or of the wrong
//! kind), streams opened, paused and closed, media and metadata sent both ways, chunk size
//! changes, closes, end of input and clock jumps (by any amount, or to just before or at the
//! next deadline). The input first picks the server's message bounds, small enough for the
//! operations to reach (`max_pre_connect_len`, `max_command_len`, `max_message_len`), and
//! an operation can slip a fmt 0 chunk header of its own (a chunk stream our client does
//! not use, a command, data, audio, video or aggregate type, message stream 0 or one the
//! server created, an announced length near a bound or anywhere, maybe its first chunk's
//! payload) into the client's byte flow between two of its messages, so it reaches the
//! server in whatever phase the session is in by then.
//!
//! Usage errors are fine; panics are not. Checked throughout: each side ends with at most
//! one `Closed`, always last; drained queues count no bytes; and unless the operations
//! injected foreign bytes, neither side ever blames the other for a protocol error other
//! than a resource limit: our client and our server must always understand each other.
//!
//! The harness tracks the server's phase itself (a `connect` accepted or not; which message
//! streams had a publish accepted and not stopped) and checks, whatever was injected:
//! - a server closing with `MessageTooLong { len, limit, bound }` has `len > limit`, and
//!   `limit`/`bound` are the bound of its phase (and, for an injected header, of that
//!   header's type and message stream, with its announced length);
//! - an injected header at or under its bound is never refused, and one the server read
//!   past was within its bound;
//! - `Timeout(Connect)` only without an accepted connect, at least `Timeouts::connect`
//!   after the start, and a server without one is closed once that much time has passed;
//! - `Timeout(Message)` only when a message may have been incomplete for at least
//!   `Timeouts::message`, and a server holding an injected incomplete message is closed
//!   once it has waited that long.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arbitrary::{Arbitrary, Unstructured};
use bytes::{Bytes, BytesMut};
use rtmp_proto::amf::Value;
use rtmp_proto::chunk::ChunkError;
use rtmp_proto::session::{
    CallId, ClientConfig, ClientEvent, ClientSession, CloseReason, ConnectId, ConnectParams,
    ConnectReply, Droppable, Media, MediaKind, Metadata, PlayId, PublishId, PublishMode, Rejection,
    RequestId, ServerConfig, ServerEvent, ServerSession, StreamHandle, StreamId, TimeoutKind,
};
use rtmp_proto::{Limits, ProtocolError};

use crate::session_check::{Emitted, HANDSHAKE_OUT, PhaseBounds, fmt0_header};

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
    /// Move the clock to the next deadline of the server (or the client), or 1 ms before
    /// it, and check deadlines.
    ToDeadline {
        client: bool,
        early: bool,
    },
    /// Foreign bytes toward the server: from here on protocol errors are expected.
    Inject(Vec<u8>),
    /// A chunk header of our own behind everything the client has sent (once its
    /// handshake is out): foreign bytes too.
    InjectHeader(Header),
}

/// The server's message bounds: each byte below 128 makes its bound small (32 to 8160
/// bytes, around the sizes of our client's commands and media), anything else keeps the
/// harness default.
#[derive(Debug, Arbitrary)]
pub struct Knobs {
    pre_connect: u8,
    command: u8,
    message: u8,
}

impl Knobs {
    fn limits(&self) -> Limits {
        fn knob(k: u8, default: u32) -> u32 {
            if k < 128 {
                32 + u32::from(k) * 64
            } else {
                default
            }
        }
        let mut l = Limits::default();
        l.max_pre_connect_len = knob(self.pre_connect, l.max_pre_connect_len);
        l.max_command_len = knob(self.command, l.max_command_len);
        l.max_message_len = knob(self.message, 256 * 1024);
        l
    }
}

/// A fmt 0 chunk header to inject toward the server.
#[derive(Debug, Arbitrary)]
pub struct Header {
    /// Mapped onto a chunk stream our client never uses (7..=65599), in all three forms.
    csid: u16,
    /// Command (AMF0, AMF3), data (AMF0, AMF3), audio, video or aggregate.
    kind: u8,
    /// 0: message stream 0; odd: a stream a publish was asked for; even: a stream the
    /// server created (stream 1 while there is none).
    stream: u8,
    len: Len,
    timestamp: u16,
    /// Follow the header with exactly its first chunk's payload (zeros), so the client's
    /// next chunks are read as they should; otherwise with `extra % 16` bytes, capped at
    /// that payload (fewer desynchronise the stream from there on).
    fill: bool,
    extra: u8,
}

/// The announced length of an injected header.
#[derive(Debug, Arbitrary)]
pub enum Len {
    /// `delta` from a bound: 0 the one the header has in the phase of the moment, 1 the
    /// pre-connect bound, 2 the command bound, 3 the media bound.
    Near { bound: u8, delta: i8 },
    /// Any length the 24-bit field can carry.
    Any(u32),
}

/// Type ids an injected header picks from.
const INJECT_TYPES: [u8; 7] = [20, 17, 18, 15, 8, 9, 22];

/// An injected chunk's payload is at most this: a larger first chunk (a client chunk size
/// set huge) is sent short, desynchronising the stream.
const MAX_FILL: usize = 16 * 1024;

/// One injected header, by its offset in the client → server byte flow.
#[derive(Debug)]
struct Injected {
    /// Offset of its first byte in the client → server flow.
    at: u64,
    type_id: u8,
    stream_id: u32,
    len: u32,
    /// Its first chunk's payload followed it, and that is less than the message: once the
    /// server reads it, the message stays incomplete (nothing else writes that csid).
    stuck: bool,
    /// The server read past it (or refused it): checked.
    resolved: bool,
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
    let Ok(knobs) = Knobs::arbitrary(&mut u) else {
        return;
    };
    let mut ops = Vec::new();
    while ops.len() < MAX_OPS && !u.is_empty() {
        match Op::arbitrary(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    play(custom_calls, &knobs, ops, trace);
}

/// Runs `ops`, then lets both sides finish and see end of input; returns why the server
/// closed.
fn play(custom_calls: bool, knobs: &Knobs, ops: Vec<Op>, trace: bool) -> CloseReason {
    let mut w = World::new(custom_calls, knobs);
    w.trace = trace;
    if trace {
        eprintln!("{knobs:?} -> {:?}", w.bounds);
    }
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
    w.server_closed.expect("the server closed")
}

/// Both sessions, the bytes in flight between them, and every id they handed out.
struct World {
    /// When both sessions began.
    start: Instant,
    now: Instant,
    /// The server's deadlines for a connect and for an incomplete message.
    connect_timeout: Duration,
    message_timeout: Duration,
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
    /// The server's phase as the harness sees it, and the bounds that come with it.
    bounds: PhaseBounds,
    /// The message stream of every publish the server was asked for, by request.
    publish_streams: Vec<(PublishId, StreamId)>,
    /// Bytes ever put on `c2s`, and bytes ever moved from it to the server.
    c2s_sent: u64,
    c2s_taken: u64,
    /// Offsets in the client → server flow where no message of ours is incomplete (the end
    /// of everything the client had written at each pump), from the server's read position.
    boundaries: VecDeque<u64>,
    injections: Vec<Injected>,
    /// Foreign bytes went straight into the server's input: offsets in the client → server
    /// flow no longer say where the server reads.
    raw_injected: bool,
    /// From this offset on, the server may read the flow cut at other places than the
    /// client's chunks (behind an injected chunk sent short).
    desync_at: Option<u64>,
    /// Since when a message may have been incomplete at the server (`None`: surely none is).
    busy_since: Option<Instant>,
    /// The server's read position after the previous input.
    last_pos: u64,
    /// Since when the server has held an injected message that can never complete.
    stuck_since: Option<Instant>,
    /// Where the server's read position was when it refused a message as too long.
    too_long_at: Option<u64>,
    /// Why the server closed.
    server_closed: Option<CloseReason>,
}

impl World {
    fn new(custom_calls: bool, knobs: &Knobs) -> Self {
        let now = Instant::now();
        let mut sc = ServerConfig::default();
        sc.custom_calls = custom_calls;
        sc.limits = knobs.limits();
        sc.max_outbound_bytes = 256 * 1024;
        let bounds = PhaseBounds::new(&sc.limits);
        let connect_timeout = sc.timeouts.connect;
        let message_timeout = sc.timeouts.message;
        let mut cc = ClientConfig::default();
        cc.limits.max_message_len = 256 * 1024;
        cc.max_outbound_bytes = 256 * 1024;
        let metadata = Metadata::new(Value::object(vec![(
            "width".to_owned(),
            Value::Number(64.0),
        )]));
        World {
            start: now,
            now,
            connect_timeout,
            message_timeout,
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
            bounds,
            publish_streams: Vec::new(),
            c2s_sent: 0,
            c2s_taken: 0,
            boundaries: VecDeque::from([0]),
            injections: Vec::new(),
            raw_injected: false,
            desync_at: None,
            busy_since: None,
            last_pos: 0,
            stuck_since: None,
            too_long_at: None,
            server_closed: None,
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
                    if self.server.accept_connect(self.now, id, reply).is_ok() {
                        self.bounds.connected = true;
                    }
                }
            }
            Op::Redirect(pick) => {
                if let Some(id) = self.pick_of(pick, connect_id) {
                    let _ = self.server.redirect(self.now, id, "rtmp://elsewhere/live");
                }
            }
            Op::AcceptPublish(pick) => {
                if let Some(id) = self.pick_of(pick, publish_id)
                    && self.server.accept_publish(self.now, id).is_ok()
                {
                    // Still pending, so its stream still waits for the answer: a publish
                    // holds back every later command that could have stopped it.
                    if let Some((_, stream)) = self.publish_streams.iter().find(|(p, _)| *p == id) {
                        self.bounds.publish(stream.0);
                    }
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
                self.tick();
            }
            Op::ToDeadline { client, early } => {
                let next = if client {
                    self.client.poll_timeout()
                } else {
                    self.server.poll_timeout()
                };
                if let Some(t) = next {
                    let t = if early {
                        t.checked_sub(Duration::from_millis(1)).unwrap_or(t)
                    } else {
                        t
                    };
                    self.now = self.now.max(t);
                }
                self.tick();
            }
            Op::Inject(bytes) => {
                if !bytes.is_empty() {
                    self.injected = true;
                    self.raw_injected = true;
                }
                self.feed_server(&bytes);
            }
            Op::InjectHeader(h) => self.inject_header(&h),
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
        self.c2s_taken += take as u64;
        self.feed_server(&piece);
    }

    /// Hands bytes to the server, then checks what it made of the injected headers it
    /// reached.
    fn feed_server(&mut self, bytes: &[u8]) {
        // The bounds before this input: during it they can only shrink (a publish stopped
        // by a command read before a header), never grow (only decisions grow them).
        let before = self.bounds.clone();
        self.server_in.extend_from_slice(bytes);
        let r = self.server.handle_input(self.now, &mut self.server_in);
        // A refused chunk stays at the front of the input: the read position is its start.
        let pos = (!self.raw_injected).then(|| self.c2s_taken - self.server_in.len() as u64);
        if let Err(ProtocolError::Chunk(ChunkError::MessageTooLong { .. })) = &r
            && self.too_long_at.is_none()
        {
            self.too_long_at = pos;
        }
        self.track(pos, &before);
        self.check_input(r, true);
    }

    /// After input: which injected headers the server read past, and whether it may be
    /// holding an incomplete message (from when).
    fn track(&mut self, pos: Option<u64>, before: &PhaseBounds) {
        let Some(pos) = pos else {
            // Where the server reads is unknown now: any message may be incomplete.
            self.busy_since.get_or_insert(self.now);
            return;
        };
        let in_sync = |at: u64| self.desync_at.is_none_or(|d| at < d);
        for i in &mut self.injections {
            if i.resolved || i.at >= pos {
                continue;
            }
            i.resolved = true;
            if !in_sync(i.at) {
                // Read out of sync: maybe as payload, not as a header.
                continue;
            }
            let (limit, bound) = before.expected(i.type_id, i.stream_id);
            assert!(
                i.len <= limit,
                "the server read past an injected header of {} bytes (type {}, stream {}) over its {bound} bound {limit}",
                i.len,
                i.type_id,
                i.stream_id
            );
            if i.stuck {
                self.stuck_since.get_or_insert(self.now);
            }
        }
        // A boundary read past in this input: every message of ours before it is complete,
        // so one incomplete now began in this input.
        let mut crossed = false;
        while let Some(&b) = self.boundaries.front()
            && b <= pos
        {
            crossed |= b > self.last_pos;
            if b == pos {
                break;
            }
            self.boundaries.pop_front();
        }
        self.last_pos = pos;
        let known = self.stuck_since.is_none() && in_sync(pos);
        if known && self.boundaries.front() == Some(&pos) {
            self.busy_since = None;
        } else if known && crossed {
            self.busy_since = Some(self.now);
        } else {
            self.busy_since.get_or_insert(self.now);
        }
    }

    /// Appends an injected header (and maybe some payload) behind everything the client has
    /// written, which the last pump drained: between two of its messages.
    fn inject_header(&mut self, h: &Header) {
        if self.client_out.written < HANDSHAKE_OUT {
            // Before the client's C2 it would be read as handshake bytes.
            return;
        }
        let csid = match h.csid {
            0..0x8000 => 7 + u32::from(h.csid) % 57,
            0x8000..0xC000 => 64 + u32::from(h.csid) % 256,
            _ => 320 + u32::from(h.csid) % (65600 - 320),
        };
        let type_id = INJECT_TYPES[usize::from(h.kind) % INJECT_TYPES.len()];
        let stream_id = if h.stream == 0 {
            0
        } else if h.stream % 2 == 1 && !self.publish_streams.is_empty() {
            let i = usize::from(h.stream / 2) % self.publish_streams.len();
            self.publish_streams[i].1.0
        } else {
            pick_from(&self.streams, h.stream / 2).map_or(1, |s| s.0)
        };
        let len = match h.len {
            Len::Near { bound, delta } => {
                let base = match bound % 4 {
                    0 => self.bounds.expected(type_id, stream_id).0,
                    1 => self.bounds.pre_connect,
                    2 => self.bounds.command,
                    _ => self.bounds.message,
                };
                base.saturating_add_signed(i32::from(delta)).min(0xFF_FFFF)
            }
            Len::Any(n) => n & 0xFF_FFFF,
        };
        let first = (len as usize).min(self.client_out.chunk_size() as usize);
        let n = if h.fill && first <= MAX_FILL {
            first
        } else {
            usize::from(h.extra % 16).min(first)
        };
        let mut bytes = fmt0_header(csid, u32::from(h.timestamp), len, type_id, stream_id);
        let header_len = bytes.len();
        bytes.resize(header_len + n, 0);
        let at = self.c2s_sent;
        let end = at + bytes.len() as u64;
        if n < first {
            // The server reads the client's next bytes as the rest of this chunk.
            self.desync_at.get_or_insert(end);
        }
        self.injections.push(Injected {
            at,
            type_id,
            stream_id,
            len,
            stuck: n == first && first < len as usize,
            resolved: false,
        });
        self.injected = true;
        self.c2s.extend_from_slice(&bytes);
        self.c2s_sent = end;
        self.boundaries.push_back(end);
    }

    /// Checks deadlines on both sides at `now`, then that the server's own deadlines held.
    fn tick(&mut self) {
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
        if !self.bounds.connected && self.now >= self.start + self.connect_timeout {
            assert!(
                self.server.is_closed(),
                "no connect accepted {:?} after the start, and the server is still open",
                self.now - self.start
            );
        }
        if !self.raw_injected
            && let Some(since) = self.stuck_since
            && self.now >= since + self.message_timeout
        {
            assert!(
                self.server.is_closed(),
                "an injected message incomplete for {:?}, and the server is still open",
                self.now - since
            );
        }
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
                ServerEvent::PublishRequested { id, request } => {
                    self.requests.push(id.into());
                    self.publish_streams.push((id, request.stream));
                }
                ServerEvent::PlayRequested { id, .. } => self.requests.push(id.into()),
                ServerEvent::Call { id, .. } => self.requests.push(id.into()),
                ServerEvent::StreamCreated { stream } => self.streams.push(stream),
                ServerEvent::PublishStopped { stream } | ServerEvent::StreamDeleted { stream } => {
                    self.bounds.unpublish(stream.0);
                }
                ServerEvent::Closed(reason) => {
                    self.check_reason(&reason, true);
                    self.check_server_close(&reason);
                    self.server_closed = Some(reason);
                }
                _ => {}
            }
        }
        while let Some(ev) = self.client.poll_event() {
            if self.trace {
                eprintln!("  client {ev:?}");
            }
            self.client_out.event(matches!(ev, ClientEvent::Closed(_)));
            if let ClientEvent::Closed(reason) = ev {
                self.check_reason(&reason, false);
            }
        }
        while let Some(seg) = self.client.poll_transmit() {
            self.client_out.transmit(&seg);
            self.c2s.extend_from_slice(&seg);
            self.c2s_sent += seg.len() as u64;
        }
        // Everything the client queued is out, so none of its messages is cut here.
        if self.boundaries.back() != Some(&self.c2s_sent) {
            self.boundaries.push_back(self.c2s_sent);
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
            self.check_error(&e, server);
        }
    }

    fn check_reason(&self, reason: &CloseReason, server: bool) {
        if let CloseReason::Protocol(e) = reason {
            self.check_error(e, server);
        }
    }

    /// Our client and server must understand each other: only limits may trip (for the
    /// server, its message bounds too, which can be smaller than our client's messages).
    fn check_error(&self, e: &ProtocolError, server: bool) {
        if !self.injected {
            let bound =
                server && matches!(e, ProtocolError::Chunk(ChunkError::MessageTooLong { .. }));
            assert!(
                bound || matches!(e, ProtocolError::LimitExceeded { .. }),
                "our own peer broke the protocol: {e}"
            );
        }
    }

    /// The server's `Closed`, with every event before it applied to the phase: a message
    /// refused as too long was over the bound of that phase; a deadline was really due.
    fn check_server_close(&self, reason: &CloseReason) {
        match reason {
            CloseReason::Protocol(ProtocolError::Chunk(ChunkError::MessageTooLong {
                len,
                limit,
                bound,
            })) => {
                let injected = self
                    .too_long_at
                    .and_then(|at| self.injections.iter().find(|i| i.at == at));
                match injected {
                    Some(i) => {
                        assert_eq!(*len, i.len, "refused a length the header did not announce");
                        let want = self.bounds.expected(i.type_id, i.stream_id);
                        assert_eq!(
                            (*limit, *bound),
                            want,
                            "an injected header (type {}, stream {}) refused by the wrong bound in {:?}",
                            i.type_id,
                            i.stream_id,
                            self.bounds
                        );
                        assert!(len > limit, "an injected header at its bound refused");
                    }
                    None => self.bounds.check_too_long(*len, *limit, *bound),
                }
            }
            CloseReason::Timeout(TimeoutKind::Connect) => {
                assert!(!self.bounds.connected, "Timeout(Connect) after a connect");
                assert!(
                    self.now >= self.start + self.connect_timeout,
                    "Timeout(Connect) {:?} after the start",
                    self.now - self.start
                );
            }
            CloseReason::Timeout(TimeoutKind::Message) => {
                let since = self
                    .busy_since
                    .expect("Timeout(Message) while no message can be incomplete");
                assert!(
                    self.now >= since + self.message_timeout,
                    "Timeout(Message) {:?} after a message could have started",
                    self.now - since
                );
            }
            _ => {}
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

#[cfg(test)]
mod tests {
    //! The new checks on scenarios whose ending is known: each must end the way the server
    //! is specified to, and the harness must accept that ending.
    use super::*;
    use rtmp_proto::chunk::MessageBound;

    const DEFAULTS: Knobs = Knobs {
        pre_connect: 255,
        command: 255,
        message: 255,
    };

    /// Bounds of 32 + 64 * k bytes.
    fn small(pre: u8, command: u8, message: u8) -> Knobs {
        Knobs {
            pre_connect: pre,
            command,
            message,
        }
    }

    fn header(kind: u8, stream: u8, len: Len, fill: bool) -> Op {
        Op::InjectHeader(Header {
            csid: 5,
            kind,
            stream,
            len,
            timestamp: 0,
            fill,
            extra: 0,
        })
    }

    fn near(bound: u8, delta: i8) -> Len {
        Len::Near { bound, delta }
    }

    /// Handshake done, nothing else.
    fn handshaken() -> Vec<Op> {
        vec![Op::Settle]
    }

    /// Connected, and with `publish` publishing on message stream 1.
    fn connected(publish: bool) -> Vec<Op> {
        let mut ops = vec![
            Op::Connect(Name::Test),
            Op::Settle,
            Op::AcceptConnect {
                pick: 0,
                extra: false,
            },
            Op::Settle,
        ];
        if publish {
            ops.extend([
                Op::Publish(Name::Test, 0),
                Op::Settle,
                Op::AcceptPublish(0),
                Op::Settle,
            ]);
        }
        ops
    }

    fn run(knobs: &Knobs, mut ops: Vec<Op>, tail: impl IntoIterator<Item = Op>) -> CloseReason {
        ops.extend(tail);
        play(false, knobs, ops, false)
    }

    fn too_long(len: u32, limit: u32, bound: MessageBound) -> CloseReason {
        CloseReason::Protocol(ProtocolError::Chunk(ChunkError::MessageTooLong {
            len,
            limit,
            bound,
        }))
    }

    // Indexes into INJECT_TYPES.
    const COMMAND: u8 = 0;
    const VIDEO: u8 = 5;

    #[test]
    fn injected_headers_meet_the_bound_of_their_phase() {
        let k = small(10, 20, 40);
        let (pre, command, message) = (32 + 640, 32 + 1280, 32 + 2560);
        // Before connect.
        let at = run(
            &k,
            handshaken(),
            [header(COMMAND, 0, near(0, 0), false), Op::Settle],
        );
        assert_eq!(at, CloseReason::PeerClosed);
        let over = run(
            &k,
            handshaken(),
            [header(VIDEO, 1, near(0, 1), false), Op::Settle],
        );
        assert_eq!(over, too_long(pre + 1, pre, MessageBound::PreConnect));
        // Connected: commands and media on a stream that does not publish.
        let over = run(
            &k,
            connected(false),
            [header(VIDEO, 2, near(2, 1), true), Op::Settle],
        );
        assert_eq!(over, too_long(command + 1, command, MessageBound::Command));
        // Publishing: media on that stream up to the large bound.
        let at = run(
            &k,
            connected(true),
            [header(VIDEO, 1, near(3, 0), true), Op::Settle],
        );
        assert_eq!(at, CloseReason::PeerClosed);
        let over = run(
            &k,
            connected(true),
            [header(VIDEO, 1, near(3, 1), true), Op::Settle],
        );
        assert_eq!(over, too_long(message + 1, message, MessageBound::Media));
        let over = run(
            &k,
            connected(true),
            [header(COMMAND, 1, near(3, 0), true), Op::Settle],
        );
        assert_eq!(over, too_long(message, command, MessageBound::Command));
        // After the publish stopped.
        let mut ops = connected(true);
        ops.extend([Op::CloseStream(0), Op::Settle]);
        let over = run(&k, ops, [header(VIDEO, 1, near(3, 0), true), Op::Settle]);
        assert_eq!(over, too_long(message, command, MessageBound::Command));
    }

    #[test]
    fn our_own_messages_over_a_small_bound() {
        // Our client's connect is larger than 32 bytes.
        let r = run(
            &small(0, 127, 127),
            vec![Op::Connect(Name::Test), Op::Settle],
            [],
        );
        assert!(
            matches!(
                r,
                CloseReason::Protocol(ProtocolError::Chunk(ChunkError::MessageTooLong {
                    bound: MessageBound::PreConnect,
                    ..
                }))
            ),
            "{r:?}"
        );
    }

    #[test]
    fn no_connect_closes_at_the_connect_deadline() {
        let mut ops = handshaken();
        ops.extend([
            Op::ToDeadline {
                client: false,
                early: true,
            },
            Op::ToDeadline {
                client: false,
                early: false,
            },
        ]);
        // The server pings at 15 s of silence, the same instant as the connect deadline.
        assert_eq!(
            run(&DEFAULTS, ops, []),
            CloseReason::Timeout(TimeoutKind::Connect)
        );
    }

    #[test]
    fn an_injected_incomplete_message_closes_at_the_message_deadline() {
        let mut ops = connected(true);
        ops.extend([
            header(VIDEO, 1, Len::Any(100_000), true),
            Op::Settle,
            // Keep the client answering pings so only the message deadline is due.
            Op::Advance(200),
            Op::Settle,
            Op::Advance(200),
            Op::Settle,
            Op::ToDeadline {
                client: false,
                early: true,
            },
            Op::Settle,
            Op::ToDeadline {
                client: false,
                early: false,
            },
        ]);
        assert_eq!(
            run(&DEFAULTS, ops, []),
            CloseReason::Timeout(TimeoutKind::Message)
        );
    }
}
