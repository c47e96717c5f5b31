//! What strangers can make the server hold, with the shipped defaults: eight peers that
//! announce a 16 MiB command right after the handshake are closed on the header, ten that
//! trickle a connect one byte a second are closed at the connect deadline, while a live
//! relay on the same server keeps every frame. A counting allocator (this suite runs in a
//! test binary of its own) bounds the process's peak heap meanwhile: without the
//! pre-connect bound the eight would make the server reserve 128 MiB.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::hostile::{Attack, client_handshake};
use crate::rt;
use adapter::Server;
use adapter::proto::session::{ClientEvent, Media, MediaKind};
use bytes::Bytes;

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(now, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// The process's peak heap during the attacks may exceed what it held before them by at
/// most this much.
const PEAK_GROWTH_BOUND: usize = 4 * 1024 * 1024;
/// The shipped connect deadline (`Timeouts::connect`).
const CONNECT_DEADLINE: Duration = Duration::from_secs(15);

fn frames(n: u32) -> Vec<Media> {
    (0..n)
        .map(|i| {
            let mut body = vec![if i % 10 == 0 { 0x17 } else { 0x27 }, 1, 0, 0, 0];
            body.resize(2000, i as u8);
            Media {
                kind: MediaKind::Video,
                timestamp: i * 40,
                payload: Bytes::from(body),
            }
        })
        .collect()
}

/// Waits for the server to close `s`: how long after `since`.
fn await_close(s: &mut TcpStream, since: Instant, within: Duration) -> Result<Duration, String> {
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|e| e.to_string())?;
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(since.elapsed()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return Ok(since.elapsed()),
        }
        if since.elapsed() > within {
            return Err(format!("still open {within:?} after"));
        }
    }
}

/// Handshake, a 16 MiB - 1 command header: how long the close took after the header.
fn oversized(addr: SocketAddr) -> Result<Duration, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    client_handshake(&mut s).map_err(|e| e.to_string())?;
    let sent = Instant::now();
    let _ = s.write_all(&Attack::Oversized.bytes());
    await_close(&mut s, sent, Duration::from_secs(5))
}

/// Handshake, then a connect header one byte a second: how long after accept the close
/// came.
fn trickle(addr: SocketAddr) -> Result<Duration, String> {
    let accepted = Instant::now();
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    client_handshake(&mut s).map_err(|e| e.to_string())?;
    let header = [3u8, 0, 0, 0, 0, 0, 200, 20, 0, 0, 0, 0];
    s.set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| e.to_string())?;
    for i in 0.. {
        if s.write_all(&[header.get(i).copied().unwrap_or(0)]).is_err() {
            return Ok(accepted.elapsed());
        }
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(0) => return Ok(accepted.elapsed()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Ok(accepted.elapsed()),
        }
        if accepted.elapsed() > CONNECT_DEADLINE + Duration::from_secs(5) {
            return Err("still open 5 s after the connect deadline".into());
        }
    }
    unreachable!()
}

async fn strangers_cannot_make_the_server_hold_their_messages() {
    let srv = start(Server::builder()).await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "cam").await;
    let mut player = connected(srv.addr, "live").await;
    playing(&mut player, "cam").await;

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let addr = srv.addr;
    let oversized: Vec<_> = (0..8)
        .map(|_| rt::unblock(move || oversized(addr)))
        .collect();
    let tricklers: Vec<_> = (0..10)
        .map(|_| rt::unblock(move || trickle(addr)))
        .collect();

    // The publisher relays for as long as the tricklers trickle.
    let all = frames(400);
    let sent = all.clone();
    let pub_task = rt::spawn(async move {
        for m in sent {
            publisher.session().send_media(h, m).unwrap();
            bounded("publisher flush", publisher.flush()).await.unwrap();
            rt::sleep(Duration::from_millis(40)).await;
        }
        publisher
    });
    let mut got = Vec::new();
    while got.len() < all.len() {
        match bounded("player event", player.next_event()).await {
            Ok(Some(ClientEvent::Media { media, .. })) => got.push(media),
            Ok(Some(ClientEvent::Closed(reason))) => panic!("player closed: {reason:?}"),
            Ok(Some(_)) => {}
            other => panic!("player ended: {other:?}"),
        }
    }
    assert!(
        got == all,
        "the player's frames differ from the published ones"
    );

    for t in oversized {
        let after = bounded("oversized peer", t)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            after < Duration::from_secs(1),
            "a 16 MiB header closed after {after:?}"
        );
    }
    for t in tricklers {
        let after = rt::timeout(Duration::from_secs(30), t)
            .await
            .expect("trickler within 30 s")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            after >= CONNECT_DEADLINE - Duration::from_secs(1)
                && after < CONNECT_DEADLINE + Duration::from_secs(2),
            "a trickled connect closed {after:?} after accept"
        );
    }
    let growth = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    println!(
        "{}: peak heap growth during the attacks {} KiB (bound {} KiB)",
        rt::NAME,
        growth / 1024,
        PEAK_GROWTH_BOUND / 1024
    );
    assert!(
        growth < PEAK_GROWTH_BOUND,
        "peak heap grew by {growth} bytes"
    );
    let _publisher = pub_task.await;
    srv.stop().await;
}

tests!(strangers_cannot_make_the_server_hold_their_messages);
