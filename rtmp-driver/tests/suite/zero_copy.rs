//! Measures what the server allocates while fanning one publisher out to many players.
//!
//! A counting allocator counts only on the server's own thread (a current-thread runtime),
//! so the test clients' allocations (they reassemble every frame) are left out. Without
//! copies per player the server allocates about two buffers per frame (reassembling the
//! publisher's multi-chunk message, and chunking it once for every player) however many
//! players there are; a copy per player would show up as `players x payload` bytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::common::*;
use crate::rt;
use adapter::proto::relay::RelayConfig;
use adapter::proto::session::{ClientEvent, Media, MediaKind};
use adapter::{Server, ServerHandle};
use bytes::Bytes;

struct Counting;

static MEASURING: AtomicBool = AtomicBool::new(false);
static ALLOCATED: AtomicU64 = AtomicU64::new(0);
thread_local! {
    static SERVER_THREAD: Cell<bool> = const { Cell::new(false) };
}

// The only unsafe code in the workspace's tests: a global allocator must implement the
// unsafe `GlobalAlloc` trait. It forwards to `System` unchanged and only adds counting.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if MEASURING.load(Ordering::Relaxed) && SERVER_THREAD.with(Cell::get) {
            ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if MEASURING.load(Ordering::Relaxed) && SERVER_THREAD.with(Cell::get) {
            ALLOCATED.fetch_add(new_size as u64, Ordering::Relaxed);
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const PLAYERS: usize = 20;
const FRAMES: usize = 50;
const FRAME_LEN: usize = 64 * 1024;

fn server_thread() -> (SocketAddr, ServerHandle, std::thread::JoinHandle<()>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        SERVER_THREAD.with(|c| c.set(true));
        rt::block_on(async {
            // The clients are sent 3 MiB at once, far faster than real time: raise the lag
            // bounds so the policy does not (rightly) drop frames for lag here.
            let mut relay = RelayConfig::default();
            relay.player_soft_bytes = 64 << 20;
            relay.player_hard_bytes = 128 << 20;
            let server = Server::builder()
                .relay_config(relay)
                .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
                .bind()
                .await
                .unwrap();
            tx.send((server.local_addr(), server.handle())).unwrap();
            server.run().await.unwrap();
        });
    });
    let (addr, handle) = rx.recv().unwrap();
    (addr, handle, thread)
}

async fn fan_out_allocates_per_frame_not_per_player() {
    let (addr, handle, thread) = server_thread();
    let mut publisher = connected(addr, "live").await;
    let h = publishing(&mut publisher, "cam").await;
    let mut players = Vec::new();
    for _ in 0..PLAYERS {
        let mut p = connected(addr, "live").await;
        playing(&mut p, "cam").await;
        players.push(p);
    }
    let frames: Vec<Media> = (0..FRAMES)
        .map(|i| {
            let mut body = vec![if i == 0 { 0x17 } else { 0x27 }, 1, 0, 0, 0];
            body.resize(FRAME_LEN, i as u8);
            Media {
                kind: MediaKind::Video,
                timestamp: i as u32 * 40,
                payload: Bytes::from(body),
            }
        })
        .collect();

    MEASURING.store(true, Ordering::SeqCst);
    let send = frames.clone();
    let pub_task = rt::spawn(async move {
        for m in send {
            publisher.session().send_media(h, m).unwrap();
        }
        bounded("publisher flush", publisher.flush()).await.unwrap();
        publisher
    });
    let mut readers = Vec::new();
    for mut p in players {
        readers.push(rt::spawn(async move {
            let mut n = 0;
            while n < FRAMES {
                if let ClientEvent::Media { media, .. } = next(&mut p).await {
                    assert_eq!(media.payload.len(), FRAME_LEN);
                    n += 1;
                }
            }
            p
        }));
    }
    let mut keep = Vec::new();
    for r in readers {
        keep.push(bounded("player to receive all", r).await);
    }
    MEASURING.store(false, Ordering::SeqCst);
    let _publisher = pub_task.await;

    let allocated = ALLOCATED.load(Ordering::SeqCst);
    let delivered = (PLAYERS * FRAMES * FRAME_LEN) as u64;
    let inbound = (FRAMES * FRAME_LEN) as u64;
    eprintln!(
        "fan-out of {FRAMES} x {FRAME_LEN} B to {PLAYERS} players: delivered {delivered} B, \
         server allocated {allocated} B ({:.3} B per delivered byte, {:.2} x the inbound bytes)",
        allocated as f64 / delivered as f64,
        allocated as f64 / inbound as f64
    );
    // Reassembling each inbound frame once costs 1x, chunking it once for all players
    // (`EncodedMessage`: the players share one group) another 1x; one copy per player
    // would cost 20x.
    assert!(
        allocated < 3 * inbound,
        "server allocated {allocated} B for {inbound} B of inbound media"
    );
    handle.shutdown();
    drop(keep);
    rt::unblock(move || thread.join().unwrap()).await;
}

threaded_tests!(fan_out_allocates_per_frame_not_per_player,);
