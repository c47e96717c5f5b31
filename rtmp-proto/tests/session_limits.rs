//! What a stranger can make a server session hold: message bounds by phase and type,
//! checked on the chunk header before any payload is held, and deadlines that trickled
//! bytes cannot reset. Each bound is tried at exactly the limit and one byte over, with the
//! header split at every byte; a counting allocator shows that a refused header allocates
//! no payload. Everything runs on a virtual clock.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtmp_proto::chunk::{ChunkError, MessageBound};
use rtmp_proto::session::{
    ClientConfig, ClientSession, CloseReason, ConnectParams, ConnectReply, PublishMode,
    ServerConfig, ServerEvent, ServerSession, StreamHandle, TimeoutKind,
};
use rtmp_proto::{Limits, ProtocolError};

struct Counting;
/// Bytes allocated by this thread's test since the last reset (tests run one per thread,
/// but other threads allocate too: the counter is per thread).
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNT_HERE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        if COUNT_HERE.try_with(|c| c.get()).unwrap_or(false) {
            ALLOCATED.fetch_add(l.size(), Ordering::Relaxed);
        }
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Bytes `f` allocated on this thread (only meaningful with one test at a time counting:
/// the tests that count run under a lock).
fn allocated_by<T>(f: impl FnOnce() -> T) -> (T, usize) {
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|e| e.into_inner());
    ALLOCATED.store(0, Ordering::Relaxed);
    COUNT_HERE.with(|c| c.set(true));
    let out = f();
    COUNT_HERE.with(|c| c.set(false));
    (out, ALLOCATED.load(Ordering::Relaxed))
}

fn drain(poll: impl FnMut() -> Option<bytes::Bytes>) -> BytesMut {
    let mut out = BytesMut::new();
    for seg in std::iter::from_fn(poll) {
        out.extend_from_slice(&seg);
    }
    out
}

/// A client and a server on a virtual clock.
struct Pair {
    now: Instant,
    client: ClientSession,
    server: ServerSession,
    /// The client's publishing stream, once it asked.
    handle: Option<StreamHandle>,
    /// Message streams whose publish the server accepted and not yet saw stop.
    publishing: Vec<u32>,
}

impl Pair {
    fn new(limits: Limits) -> Pair {
        let now = Instant::now();
        let mut config = ServerConfig::default();
        config.limits = limits;
        Pair {
            now,
            client: ClientSession::new(Arc::new(ClientConfig::default()), now),
            server: ServerSession::new(Arc::new(config), now),
            handle: None,
            publishing: Vec::new(),
        }
    }

    /// Exchanges bytes until both sides are quiet, accepting every request.
    fn settle(&mut self) {
        for _ in 0..10 {
            let mut c2s = drain(|| self.client.poll_transmit());
            let _ = self.server.handle_input(self.now, &mut c2s);
            while let Some(ev) = self.server.poll_event() {
                match ev {
                    ServerEvent::ConnectRequested { id, .. } => {
                        let _ = self
                            .server
                            .accept_connect(self.now, id, ConnectReply::default());
                    }
                    ServerEvent::PublishRequested { id, request } => {
                        let _ = self.server.accept_publish(self.now, id);
                        self.publishing.push(request.stream.0);
                    }
                    ServerEvent::PublishStopped { stream } => {
                        self.publishing.retain(|s| *s != stream.0);
                    }
                    _ => {}
                }
            }
            let mut s2c = drain(|| self.server.poll_transmit());
            let _ = self.client.handle_input(self.now, &mut s2c);
            while self.client.poll_event().is_some() {}
        }
    }

    /// Handshake done (and the client's Set Chunk Size 4096 read), nothing else sent.
    fn handshaken(limits: Limits) -> Pair {
        let mut p = Pair::new(limits);
        p.settle();
        p
    }

    /// Connected and, with `publish`, publishing on message stream 1.
    fn connected(limits: Limits, publish: bool) -> Pair {
        let mut p = Pair::new(limits);
        p.client
            .connect(ConnectParams::new("live", "rtmp://h/live"))
            .unwrap();
        p.settle();
        if publish {
            p.handle = Some(p.client.publish("cam", PublishMode::Live).unwrap());
            p.settle();
            assert_eq!(p.publishing, [1], "publish accepted on message stream 1");
        }
        p
    }

    /// Feeds raw chunk bytes to the server in pieces cut at `splits`.
    fn feed(&mut self, bytes: &[u8], splits: &[usize]) -> Result<(), ProtocolError> {
        let mut input = BytesMut::new();
        let mut last = 0;
        for &at in splits.iter().chain([bytes.len()].iter()) {
            input.extend_from_slice(&bytes[last..at]);
            last = at;
            self.server.handle_input(self.now, &mut input)?;
        }
        Ok(())
    }

    fn closed_with(&mut self) -> Option<CloseReason> {
        std::iter::from_fn(|| self.server.poll_event()).find_map(|e| match e {
            ServerEvent::Closed(r) => Some(r),
            _ => None,
        })
    }
}

/// A fmt 0 chunk header on chunk stream 4 starting a message of `len` bytes.
fn header(type_id: u8, stream_id: u32, len: u32) -> Vec<u8> {
    let mut h = vec![0x04, 0, 0, 0];
    h.extend_from_slice(&len.to_be_bytes()[1..]);
    h.push(type_id);
    h.extend_from_slice(&stream_id.to_le_bytes());
    h
}

/// Sends the header of a `len`-byte message at every split of the header: `Ok` when the
/// server holds it (the session stays open), the error it closed with otherwise. Checks
/// that every split gives the same answer and that a refusal allocates no payload.
fn try_header(
    make: impl Fn() -> Pair,
    type_id: u8,
    stream_id: u32,
    len: u32,
) -> Result<(), ChunkError> {
    let bytes = header(type_id, stream_id, len);
    let mut answers = Vec::new();
    for split in 0..=bytes.len() {
        let mut p = make();
        let splits: Vec<usize> = (split > 0 && split < bytes.len())
            .then_some(split)
            .into_iter()
            .collect();
        let (r, allocated) = allocated_by(|| p.feed(&bytes, &splits));
        let answer = match r {
            Ok(()) => {
                assert!(!p.server.is_closed());
                Ok(())
            }
            Err(ProtocolError::Chunk(e)) => {
                assert!(
                    allocated < 4096,
                    "a refused {len}-byte header allocated {allocated} bytes"
                );
                assert!(matches!(p.closed_with(), Some(CloseReason::Protocol(_))));
                Err(e)
            }
            Err(other) => panic!("unexpected error {other}"),
        };
        answers.push(answer);
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "splits disagree: {answers:?}"
    );
    answers.remove(0)
}

fn too_long(len: u32, limit: u32, bound: MessageBound) -> Result<(), ChunkError> {
    Err(ChunkError::MessageTooLong { len, limit, bound })
}

#[test]
fn before_connect_every_message_is_held_to_the_pre_connect_bound() {
    let l = Limits::default();
    let pre = l.max_pre_connect_len;
    assert_eq!(pre, 8 * 1024);
    let make = || Pair::handshaken(Limits::default());
    assert_eq!(try_header(make, 20, 0, pre), Ok(()));
    assert_eq!(
        try_header(make, 20, 0, pre + 1),
        too_long(pre + 1, pre, MessageBound::PreConnect)
    );
    // Media and data too, and the largest length the wire can say.
    assert_eq!(
        try_header(make, 9, 1, pre + 1),
        too_long(pre + 1, pre, MessageBound::PreConnect)
    );
    assert_eq!(
        try_header(make, 20, 0, 0xFF_FFFF),
        too_long(0xFF_FFFF, pre, MessageBound::PreConnect)
    );
}

#[test]
fn before_connect_all_partial_messages_together_are_held_to_the_pre_connect_bound() {
    // Chunk streams each start a 5000-byte message (under the bound) with its first
    // 4096-byte chunk: two of them would hold 10,000 bytes, over the bound.
    let mut p = Pair::handshaken(Limits::default());
    let mut bytes = Vec::new();
    for csid in 4u8..12 {
        let mut h = header(20, 0, 5000);
        h[0] = csid;
        h.extend_from_slice(&[0; 4096]);
        bytes.extend_from_slice(&h);
    }
    let mut input = BytesMut::from(&bytes[..]);
    let now = p.now;
    let (r, allocated) = allocated_by(|| p.server.handle_input(now, &mut input));
    assert!(
        matches!(
            r,
            Err(ProtocolError::Chunk(ChunkError::PartialBytesExceeded {
                limit: 8192,
                ..
            }))
        ),
        "{r:?}"
    );
    // The first message's 5000 bytes and the session's own bookkeeping; not the second.
    assert!(allocated < 8192, "allocated {allocated} bytes");
}

#[test]
fn after_connect_commands_and_data_are_held_to_the_command_bound() {
    let cmd = Limits::default().max_command_len;
    assert_eq!(cmd, 256 * 1024);
    let make = || Pair::connected(Limits::default(), false);
    for type_id in [20, 18, 17, 15] {
        assert_eq!(try_header(make, type_id, 0, cmd), Ok(()));
        assert_eq!(
            try_header(make, type_id, 0, cmd + 1),
            too_long(cmd + 1, cmd, MessageBound::Command)
        );
    }
    // Audio and video on a stream that does not publish are no exception.
    assert_eq!(
        try_header(make, 9, 1, cmd + 1),
        too_long(cmd + 1, cmd, MessageBound::Command)
    );
}

#[test]
fn media_reaches_the_large_bound_only_on_a_publishing_stream() {
    let limits = || {
        let mut l = Limits::default();
        l.max_message_len = 1024 * 1024;
        l
    };
    let big = 1024 * 1024;
    let make = || Pair::connected(limits(), true);
    for type_id in [8, 9, 22] {
        assert_eq!(try_header(make, type_id, 1, big), Ok(()));
        assert_eq!(
            try_header(make, type_id, 1, big + 1),
            too_long(big + 1, big, MessageBound::Media)
        );
    }
    // Not on another stream, and not once the publish ended.
    let cmd = Limits::default().max_command_len;
    assert_eq!(
        try_header(make, 9, 2, cmd + 1),
        too_long(cmd + 1, cmd, MessageBound::Command)
    );
    let unpublished = || {
        let mut p = Pair::connected(limits(), true);
        let h = p.handle.expect("publishing");
        p.client.close_stream(h).unwrap();
        p.settle();
        assert!(p.publishing.is_empty(), "publish stopped");
        p
    };
    assert_eq!(
        try_header(unpublished, 9, 1, cmd + 1),
        too_long(cmd + 1, cmd, MessageBound::Command)
    );
}

#[test]
fn a_trickled_connect_is_closed_at_the_connect_deadline() {
    let mut p = Pair::handshaken(Limits::default());
    let start = p.now;
    // One byte a second of a 200-byte connect: every byte is input, none moves the
    // deadline.
    let connect = header(20, 0, 200);
    let deadline = start + Duration::from_secs(15);
    let (mut sent, mut input) = (0, BytesMut::new());
    while p.now < deadline + Duration::from_secs(1) {
        input.extend_from_slice(&[connect.get(sent).copied().unwrap_or(0)]);
        sent += 1;
        let _ = p.server.handle_input(p.now, &mut input);
        if let Some(t) = p.server.poll_timeout()
            && t <= p.now
        {
            p.server.handle_timeout(p.now);
        }
        if p.server.is_closed() {
            break;
        }
        p.now += Duration::from_secs(1);
    }
    assert_eq!(
        p.closed_with(),
        Some(CloseReason::Timeout(TimeoutKind::Connect))
    );
    assert_eq!(
        p.now, deadline,
        "closed at the deadline, however the bytes trickled"
    );
}

#[test]
fn a_trickled_message_is_closed_at_the_message_deadline() {
    let mut p = Pair::connected(Limits::default(), true);
    // A 1 MiB video message: its header and first chunk, then a continuation chunk each
    // second (4096 bytes: the client set that chunk size).
    let mut first = header(9, 1, 1024 * 1024);
    first.extend_from_slice(&[0x17; 4096]);
    p.feed(&first, &[]).unwrap();
    let began = p.now;
    let continuation: Vec<u8> = std::iter::once(0xC4).chain([0u8; 4096]).collect();
    while !p.server.is_closed() {
        p.now += Duration::from_secs(1);
        let _ = p.feed(&continuation, &[]);
        if p.server.poll_timeout().is_some_and(|t| t <= p.now) {
            p.server.handle_timeout(p.now);
        }
        assert!(p.now <= began + Duration::from_secs(40), "never closed");
    }
    assert_eq!(
        p.closed_with(),
        Some(CloseReason::Timeout(TimeoutKind::Message))
    );
    assert_eq!(p.now, began + Duration::from_secs(30));
}

#[test]
fn messages_that_complete_in_time_never_trip_the_message_deadline() {
    let mut p = Pair::connected(Limits::default(), true);
    // A 64 KiB keyframe every second for a minute, each taking 20 s of trickling chunks
    // would be closed; these complete within the second they start.
    for i in 0..60u32 {
        let mut msg = header(9, 1, 64 * 1024);
        let mut left = 64 * 1024;
        let mut first = true;
        while left > 0 {
            let n = left.min(4096);
            if !first {
                msg.push(0xC4);
            }
            msg.extend(std::iter::repeat_n(if i == 0 { 0x17 } else { 0x27 }, n));
            left -= n;
            first = false;
        }
        p.feed(&msg, &[msg.len() / 2]).unwrap();
        p.now += Duration::from_secs(1);
        if p.server.poll_timeout().is_some_and(|t| t <= p.now) {
            p.server.handle_timeout(p.now);
        }
        assert!(!p.server.is_closed(), "closed after {i} s");
    }
}

#[test]
fn before_connect_commands_held_behind_the_decision_are_held_to_the_pre_connect_bound() {
    let mut p = Pair::handshaken(Limits::default());
    // A connect the application has not answered yet (a slow auth hook).
    p.client
        .connect(ConnectParams::new("live", "rtmp://h/live"))
        .unwrap();
    let mut c2s = drain(|| p.client.poll_transmit());
    p.server.handle_input(p.now, &mut c2s).unwrap();
    assert!(
        std::iter::from_fn(|| p.server.poll_event())
            .any(|e| matches!(e, ServerEvent::ConnectRequested { .. }))
    );
    // Pipelined 3000-byte commands wait behind it: the third takes them over 8 KiB.
    let mut bytes = Vec::new();
    for _ in 0..3 {
        let mut m = header(20, 0, 3000);
        m[0] = 5;
        m.extend_from_slice(&[0x05; 3000]);
        bytes.extend_from_slice(&m);
    }
    let r = p.feed(&bytes, &[]);
    assert!(
        matches!(r, Err(ProtocolError::LimitExceeded { limit: 8192, .. })),
        "{r:?}"
    );
}

#[test]
fn a_repeated_header_is_held_to_the_bound_in_force_however_the_bytes_split() {
    // A 3000-byte video message (one chunk) on the publishing stream, then the publish
    // ends; a one-byte fmt 3 repeat of that header now starts a message over the command
    // bound. Whole or in pieces, the answer is the same.
    let limits = || {
        let mut l = Limits::default();
        l.max_command_len = 1024;
        l
    };
    let setup = || {
        let mut p = Pair::connected(limits(), true);
        let mut m = header(9, 1, 3000);
        m.extend_from_slice(&[0x17; 3000]);
        p.feed(&m, &[]).unwrap();
        let h = p.handle.expect("publishing");
        p.client.close_stream(h).unwrap();
        p.settle();
        assert!(p.publishing.is_empty());
        p
    };
    let mut repeat = vec![0xC4];
    repeat.extend_from_slice(&[0x27; 3000]);
    for split in [None, Some(1), Some(100)] {
        let mut p = setup();
        let splits: Vec<usize> = split.into_iter().collect();
        let r = p.feed(&repeat, &splits);
        assert!(
            matches!(
                r,
                Err(ProtocolError::Chunk(ChunkError::MessageTooLong {
                    bound: MessageBound::Command,
                    ..
                }))
            ),
            "split {split:?}: {r:?}"
        );
    }
}
