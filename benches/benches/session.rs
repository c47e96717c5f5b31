//! Criterion benchmark `session`: a whole publishing session through a server session.
//!
//! The client bytes are recorded once from our own `ClientSession` talking to our
//! `ServerSession` (FP9 digest handshake, connect, releaseStream, FCPublish, createStream,
//! publish, Set Chunk Size 64 KiB), then 1000 video messages of 10 KiB, each a single chunk.
//! The same bytes then go to our `ServerSession` and to rml_rtmp 0.8's `Handshake` +
//! `ServerSession`, both answering connect and publish as soon as asked, both counted to
//! decode every media message:
//!
//! - `setup/*`: a fresh session from C0 to an accepted publish (handshake included);
//! - `setup_after_handshake/*`: the same minus the handshake (connect, createStream, publish);
//! - `media/*`: the 1000 media messages (10 MiB) into a set-up session, in 64 KiB reads;
//! - `media_in_memory/*`: the same bytes already in memory (ours: one `BytesMut`, split
//!   and rejoined in O(1); rml_rtmp: slices), so only decoding is measured;
//! - `media/memcpy`: copying the same 10 MiB once in the same reads, the physical floor.
//!
//! Both sessions pay the same socket-read copy: ours reads into its `BytesMut`, rml_rtmp's
//! reads go into a reused buffer that is then passed as a slice.
//!
//! Before criterion runs, a counting global allocator reports allocations per media message
//! in steady state for both sessions.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput, black_box};
use rml_rtmp::handshake::{
    Handshake as RmlHandshake, HandshakeProcessResult, PeerType as RmlPeerType,
};
use rml_rtmp::sessions::{
    ServerSession as RmlServer, ServerSessionConfig as RmlConfig, ServerSessionEvent as RmlEvent,
    ServerSessionResult as RmlResult,
};
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectParams, ConnectReply, Media, MediaKind,
    PublishMode, ServerConfig, ServerEvent, ServerSession, StreamHandle,
};

/// Counts allocations so the bench can report them per message.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// The only unsafe code in the workspace: a GlobalAlloc impl must be `unsafe impl`. It
// forwards every call to the system allocator unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's, forwarded unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc`/`realloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's, forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const MESSAGES: usize = 1000;
const MESSAGE_LEN: usize = 10 * 1024;
const READ: usize = 64 * 1024;

/// What the client sent: the handshake, the setup in the rounds it was sent (each round
/// answers the server's previous one), and the media.
struct Recording {
    handshake: Vec<u8>,
    rounds: Vec<Vec<u8>>,
    media: Vec<u8>,
}

/// Runs our client against our server until the publish started, then queues the media.
fn record() -> Recording {
    let now = Instant::now();
    let mut cc = ClientConfig::default();
    cc.chunk_size = 64 * 1024; // every 10 KiB message is one chunk
    let mut client = ClientSession::new(Arc::new(cc), now);
    let mut server = ServerSession::new(Arc::new(ServerConfig::default()), now);
    client
        .connect(ConnectParams::new("live", "rtmp://127.0.0.1/live"))
        .unwrap();
    let mut c2s = Vec::new();
    let mut rounds = Vec::new();
    let mut handle: Option<StreamHandle> = None;
    let (mut server_in, mut client_in) = (BytesMut::new(), BytesMut::new());
    while handle.is_none() {
        let mut sent = Vec::new();
        while let Some(seg) = client.poll_transmit() {
            sent.extend_from_slice(&seg);
        }
        assert!(!sent.is_empty(), "the pair stalled before publishing");
        c2s.extend_from_slice(&sent);
        rounds.push(sent.clone());
        server_in.extend_from_slice(&sent);
        server.handle_input(now, &mut server_in).unwrap();
        while let Some(ev) = server.poll_event() {
            match ev {
                ServerEvent::ConnectRequested { id, .. } => server
                    .accept_connect(now, id, ConnectReply::default())
                    .unwrap(),
                ServerEvent::PublishRequested { id, .. } => server.accept_publish(now, id).unwrap(),
                _ => {}
            }
        }
        while let Some(seg) = server.poll_transmit() {
            client_in.extend_from_slice(&seg);
        }
        client.handle_input(now, &mut client_in).unwrap();
        while let Some(ev) = client.poll_event() {
            match ev {
                ClientEvent::Connected { .. } => {
                    client.publish("test", PublishMode::Live).unwrap();
                }
                ClientEvent::PublishStarted { handle: h, .. } => handle = Some(h),
                _ => {}
            }
        }
    }
    // The last answers (acks, nothing the server needs) still go into the setup.
    let mut tail = Vec::new();
    while let Some(seg) = client.poll_transmit() {
        tail.extend_from_slice(&seg);
    }
    c2s.extend_from_slice(&tail);
    if !tail.is_empty() {
        rounds.push(tail);
    }
    // Round 0 is C0+C1; C2 went out with the first chunks. Keep the chunk bytes split at
    // the original round boundaries: each round only makes sense after the previous answer.
    let handshake = c2s[..3073].to_vec();
    let mut chunk_rounds = Vec::new();
    let mut offset = 0;
    for r in &rounds {
        let (start, end) = (offset.max(3073), offset + r.len());
        if end > start {
            chunk_rounds.push(c2s[start..end].to_vec());
        }
        offset = end;
    }

    let handle = handle.unwrap();
    let payload = Bytes::from(vec![0x27u8; MESSAGE_LEN]);
    let mut media = Vec::with_capacity(MESSAGES * (MESSAGE_LEN + 16));
    for i in 0..MESSAGES {
        let m = Media {
            kind: MediaKind::Video,
            timestamp: (i * 33) as u32,
            payload: payload.clone(),
        };
        client.send_media(handle, m).unwrap();
        while let Some(seg) = client.poll_transmit() {
            media.extend_from_slice(&seg);
        }
    }
    Recording {
        handshake,
        rounds: chunk_rounds,
        media,
    }
}

// ----- ours -----------------------------------------------------------------------------

/// A server session from C0 to an accepted publish.
fn ours_setup(rec: &Recording) -> ServerSession {
    let (mut s, mut input) = ours_handshake(rec);
    ours_rounds(&mut s, &mut input, rec);
    s
}

/// A fresh server session that has read C0+C1+C2 (and answered S0+S1+S2).
fn ours_handshake(rec: &Recording) -> (ServerSession, BytesMut) {
    let now = Instant::now();
    let mut s = ServerSession::new(Arc::new(ServerConfig::default()), now);
    let mut input = BytesMut::with_capacity(READ);
    input.extend_from_slice(&rec.handshake);
    s.handle_input(now, &mut input).unwrap();
    while s.poll_event().is_some() {}
    while s.poll_transmit().is_some() {}
    (s, input)
}

/// connect, createStream and publish, each answered as soon as asked.
fn ours_rounds(s: &mut ServerSession, input: &mut BytesMut, rec: &Recording) {
    let now = Instant::now();
    for round in &rec.rounds {
        input.extend_from_slice(round);
        s.handle_input(now, input).unwrap();
        while let Some(ev) = s.poll_event() {
            match ev {
                ServerEvent::ConnectRequested { id, .. } => {
                    s.accept_connect(now, id, ConnectReply::default()).unwrap()
                }
                ServerEvent::PublishRequested { id, .. } => s.accept_publish(now, id).unwrap(),
                _ => {}
            }
        }
        while s.poll_transmit().is_some() {}
    }
}

/// Feeds the media in socket-sized reads; returns how many media events came out.
fn ours_media(s: &mut ServerSession, input: &mut BytesMut, media: &[u8]) -> usize {
    let now = Instant::now();
    let mut count = 0;
    for read in media.chunks(READ) {
        input.extend_from_slice(read);
        s.handle_input(now, input).unwrap();
        while let Some(ev) = s.poll_event() {
            if let ServerEvent::Media { media, .. } = ev {
                count += 1;
                black_box(&media.payload);
            }
        }
        while s.poll_transmit().is_some() {}
    }
    count
}

/// Like [`ours_media`] without the read copy: the bytes are already in one `BytesMut`, and
/// each "read" is an O(1) `split_to` joined back to the leftover partial chunk by `unsplit`.
fn ours_media_in_memory(s: &mut ServerSession, mut rest: BytesMut) -> usize {
    let now = Instant::now();
    let mut count = 0;
    let mut input = BytesMut::new();
    while !rest.is_empty() {
        input.unsplit(rest.split_to(READ.min(rest.len())));
        s.handle_input(now, &mut input).unwrap();
        while let Some(ev) = s.poll_event() {
            if let ServerEvent::Media { media, .. } = ev {
                count += 1;
                black_box(&media.payload);
            }
        }
        while s.poll_transmit().is_some() {}
    }
    count
}

// ----- rml_rtmp --------------------------------------------------------------------------

fn rml_answer(s: &mut RmlServer, results: Vec<RmlResult>, media: &mut usize) {
    for r in results {
        match r {
            RmlResult::RaisedEvent(RmlEvent::ConnectionRequested { request_id, .. })
            | RmlResult::RaisedEvent(RmlEvent::PublishStreamRequested { request_id, .. }) => {
                let more = s.accept_request(request_id).unwrap();
                rml_answer(s, more, media);
            }
            RmlResult::RaisedEvent(RmlEvent::VideoDataReceived { data, .. }) => {
                *media += 1;
                black_box(&data);
            }
            RmlResult::OutboundResponse(p) => {
                black_box(&p.bytes);
            }
            _ => {}
        }
    }
}

/// rml_rtmp from C0 to an accepted publish: its handshake, then its session.
fn rml_setup(rec: &Recording) -> RmlServer {
    let remaining = rml_handshake(rec);
    rml_rounds(&remaining, rec)
}

/// rml_rtmp's server handshake over C0+C1+C2 (and the first round of chunks with C2);
/// returns the chunk bytes it left over.
fn rml_handshake(rec: &Recording) -> Vec<u8> {
    let mut hs = RmlHandshake::new(RmlPeerType::Server);
    let mut first = rec.handshake.clone();
    first.extend_from_slice(&rec.rounds[0]);
    match hs.process_bytes(&first).unwrap() {
        HandshakeProcessResult::Completed {
            remaining_bytes, ..
        } => remaining_bytes,
        HandshakeProcessResult::InProgress { .. } => panic!("rml handshake incomplete"),
    }
}

/// An rml_rtmp session through connect, createStream and publish.
fn rml_rounds(first_round: &[u8], rec: &Recording) -> RmlServer {
    let (mut s, results) = RmlServer::new(RmlConfig::new()).unwrap();
    let mut media = 0;
    rml_answer(&mut s, results, &mut media);
    let results = s.handle_input(first_round).unwrap();
    rml_answer(&mut s, results, &mut media);
    for round in &rec.rounds[1..] {
        let results = s.handle_input(round).unwrap();
        rml_answer(&mut s, results, &mut media);
    }
    s
}

/// rml_rtmp fed slices of the recording directly: no read copy.
fn rml_media_in_memory(s: &mut RmlServer, media: &[u8]) -> usize {
    let mut count = 0;
    for read in media.chunks(READ) {
        let results = s.handle_input(read).unwrap();
        rml_answer(s, results, &mut count);
    }
    count
}

/// Like [`ours_media`], each read is first copied into a reused buffer (what a socket read
/// does), then handed to rml_rtmp as a slice.
fn rml_media(s: &mut RmlServer, media: &[u8]) -> usize {
    let mut count = 0;
    let mut buf = vec![0u8; READ];
    for read in media.chunks(READ) {
        let buf = &mut buf[..read.len()];
        buf.copy_from_slice(read);
        let results = s.handle_input(buf).unwrap();
        rml_answer(s, results, &mut count);
    }
    count
}

// ----- allocations -----------------------------------------------------------------------

/// Allocations per media message once a session is warm: the first half of the messages
/// warms buffers up, the second half is counted.
fn report_allocations(rec: &Recording) {
    // Not a message boundary: the partial chunk carries over, as it would from a socket.
    let half = rec.media.len() / 2;
    let (warm, counted) = rec.media.split_at(half);

    let mut s = ours_setup(rec);
    let mut input = BytesMut::with_capacity(READ);
    let warm_n = ours_media(&mut s, &mut input, warm);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let n = ours_media(&mut s, &mut input, counted);
    let ours = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(warm_n + n, MESSAGES, "ours decoded every message");

    let mut r = rml_setup(rec);
    let warm_n = rml_media(&mut r, warm);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let rn = rml_media(&mut r, counted);
    let rml = ALLOCATIONS.load(Ordering::Relaxed) - before;
    assert_eq!(warm_n + rn, MESSAGES, "rml decoded every message");

    let (mut s, mut input) = ours_handshake(rec);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    ours_rounds(&mut s, &mut input, rec);
    let ours_setup_allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let first = rml_handshake(rec);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let r = rml_rounds(&first, rec);
    let rml_setup_allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;
    drop((s, r));
    eprintln!(
        "allocations for connect+createStream+publish: ours {ours_setup_allocs}, \
         rml_rtmp {rml_setup_allocs}"
    );
    eprintln!(
        "allocations per media message ({MESSAGE_LEN} B, one chunk, {READ} B reads): \
         ours {:.2} ({ours} for {n}), rml_rtmp {:.2} ({rml} for {rn})",
        ours as f64 / n as f64,
        rml as f64 / rn as f64,
    );
}

fn bench(c: &mut Criterion, rec: &Recording) {
    let mut g = c.benchmark_group("session/setup");
    g.bench_function("ours", |b| b.iter(|| black_box(ours_setup(rec))));
    g.bench_function("rml_rtmp", |b| b.iter(|| black_box(rml_setup(rec))));
    g.finish();

    // The chunk-stream part alone: connect, createStream, publish after a finished handshake.
    let mut g = c.benchmark_group("session/setup_after_handshake");
    g.bench_function("ours", |b| {
        b.iter_batched(
            || ours_handshake(rec),
            |(mut s, mut input)| {
                ours_rounds(&mut s, &mut input, rec);
                s
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("rml_rtmp", |b| {
        b.iter_batched(
            || rml_handshake(rec),
            |first| rml_rounds(&first, rec),
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("session/media");
    g.throughput(Throughput::Elements(MESSAGES as u64));
    g.bench_function("ours", |b| {
        b.iter_batched(
            || (ours_setup(rec), BytesMut::with_capacity(READ)),
            |(mut s, mut input)| {
                let n = ours_media(&mut s, &mut input, &rec.media);
                assert_eq!(n, MESSAGES);
                s
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("rml_rtmp", |b| {
        b.iter_batched(
            || rml_setup(rec),
            |mut s| {
                let n = rml_media(&mut s, &rec.media);
                assert_eq!(n, MESSAGES);
                s
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    // Decoding alone: the bytes are already in memory, no read copy on either side.
    let mut g = c.benchmark_group("session/media_in_memory");
    g.throughput(Throughput::Elements(MESSAGES as u64));
    g.bench_function("ours", |b| {
        b.iter_batched(
            || (ours_setup(rec), BytesMut::from(&rec.media[..])),
            |(mut s, all)| {
                assert_eq!(ours_media_in_memory(&mut s, all), MESSAGES);
                s
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("rml_rtmp", |b| {
        b.iter_batched(
            || rml_setup(rec),
            |mut s| {
                assert_eq!(rml_media_in_memory(&mut s, &rec.media), MESSAGES);
                s
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();

    let mut g = c.benchmark_group("session/media");
    g.throughput(Throughput::Elements(MESSAGES as u64));
    // The floor: the same bytes copied once, in the same reads, into a reused buffer.
    g.bench_function("memcpy", |b| {
        let mut buf = vec![0u8; READ];
        b.iter(|| {
            for read in black_box(&rec.media).chunks(READ) {
                buf[..read.len()].copy_from_slice(read);
                black_box(&buf);
            }
        })
    });
    g.finish();
}

fn main() {
    let rec = record();
    report_allocations(&rec);
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .configure_from_args();
    bench(&mut c, &rec);
    c.final_summary();
}
