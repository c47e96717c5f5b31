//! Heap held by one idle server session after handshake and connect: the sans-IO part of a
//! server's memory per idle connection (the adapter adds its socket and task).
#![allow(unsafe_code, clippy::print_stdout)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use bytes::BytesMut;
use rtmp_proto::session::{
    ClientConfig, ClientSession, ConnectParams, ConnectReply, ServerConfig, ServerEvent,
    ServerSession,
};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size() as isize, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size() as isize, Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn connected_server() -> ServerSession {
    let now = Instant::now();
    let mut client = ClientSession::new(Arc::new(ClientConfig::default()), now);
    let mut server = ServerSession::new(Arc::new(ServerConfig::default()), now);
    client
        .connect(ConnectParams::new("live", "rtmp://h/live"))
        .unwrap();
    let (mut c2s, mut s2c) = (BytesMut::new(), BytesMut::new());
    for _ in 0..20 {
        while let Some(b) = client.poll_transmit() {
            c2s.extend_from_slice(&b);
        }
        let _ = server.handle_input(now, &mut c2s);
        while let Some(ev) = server.poll_event() {
            if let ServerEvent::ConnectRequested { id, .. } = ev {
                server
                    .accept_connect(now, id, ConnectReply::default())
                    .unwrap();
            }
        }
        while let Some(b) = server.poll_transmit() {
            s2c.extend_from_slice(&b);
        }
        let _ = client.handle_input(now, &mut s2c);
        while client.poll_event().is_some() {}
    }
    assert!(c2s.is_empty() && s2c.is_empty());
    server
}

#[test]
fn an_idle_server_session_holds_little_heap() {
    // Warm up lazily initialised statics.
    drop(connected_server());
    // The vector's buffer is made first: it holds the sessions' inline part, which is
    // counted once, below, not also as heap.
    let mut sessions: Vec<ServerSession> = Vec::with_capacity(100);
    let before = LIVE.load(Ordering::Relaxed);
    sessions.extend((0..100).map(|_| connected_server()));
    let per = (LIVE.load(Ordering::Relaxed) - before) / 100;
    let inline = std::mem::size_of::<ServerSession>();
    println!("idle ServerSession: {per} heap bytes + {inline} inline");
    // Measured 2683 heap + 1096 inline after boxing the connect request and dropping the
    // finished handshake (it was 3547 + its 3 KiB S0S1S2 before), counting the inline part
    // twice. Counted once: 1755 heap + 1264 inline after the fan-out's per-player state
    // moved inline (committed chunks, the encoder's csid table, the stream table), which
    // moved 96 bytes off the heap and added 264 inline. Keep it under 3.5 KiB.
    assert!(per + inline as isize <= 3584, "{per} + {inline}");
    drop(sessions);
}
