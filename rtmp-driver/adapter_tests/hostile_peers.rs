//! Peers that break the protocol lose their own connection, and nobody else notices: while
//! a publisher relays to a player, five raw TCP peers each send one kind of bad input (an
//! RTMPE handshake, bytes that are no chunk stream, a message over the configured length,
//! a flood of chunk streams, an AMF0 nesting bomb). Each is closed by the server within a
//! bounded time, the player still gets every frame byte-identical, and the server counts
//! only the two good connections afterwards.
//!
//! The hostile peers are plain blocking `std::net` sockets on their own threads, so the
//! bytes are exactly what the test wrote, whatever runtime the server runs on.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::rt;
use adapter::Server;
use adapter::proto::Limits;
use adapter::proto::session::{ClientEvent, Media, MediaKind};
use bytes::Bytes;

/// How long the server may take to close a hostile connection.
const CLOSE_WITHIN: Duration = Duration::from_secs(5);
/// The limit the oversized message breaks.
const MAX_MESSAGE_LEN: u32 = 1 << 20;

fn frames(n: u32) -> Vec<Media> {
    let mut v = vec![Media {
        kind: MediaKind::Video,
        timestamp: 0,
        payload: Bytes::from_static(&[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]),
    }];
    for i in 0..n {
        let mut body = if i % 10 == 0 {
            vec![0x17, 1, 0, 0, 0]
        } else {
            vec![0x27, 1, 0, 0, 0]
        };
        body.resize(2000 + i as usize * 100, i as u8);
        v.push(Media {
            kind: MediaKind::Video,
            timestamp: i * 40,
            payload: Bytes::from(body),
        });
    }
    v
}

/// A simple (non-digest) handshake by hand: C0+C1, read S0+S1+S2, C2 echoes S1.
fn handshake(s: &mut TcpStream) -> std::io::Result<()> {
    let mut c0c1 = vec![3u8];
    c0c1.extend((0..1536u32).map(|i| (i * 7 + 1) as u8));
    c0c1[1..9].fill(0);
    s.write_all(&c0c1)?;
    let mut s012 = vec![0u8; 1 + 1536 * 2];
    s.read_exact(&mut s012)?;
    s.write_all(&s012[1..1537])
}

/// `payload` as one message on chunk stream `csid` (< 64) of message stream 0, cut into
/// chunks of the default size, 128.
fn message(csid: u8, type_id: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = vec![csid, 0, 0, 0];
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(type_id);
    out.extend_from_slice(&[0, 0, 0, 0]);
    for (i, piece) in payload.chunks(128).enumerate() {
        if i > 0 {
            out.push(0xC0 | csid);
        }
        out.extend_from_slice(piece);
    }
    out
}

/// What each hostile peer sends after the TCP connect.
#[derive(Debug, Clone, Copy)]
enum Attack {
    /// C0 asks for RTMPE (version 6), which the server refuses.
    Rtmpe,
    /// A good handshake, then bytes that are no chunk stream (a continuation chunk on a
    /// chunk stream that never started).
    Garbage,
    /// A good handshake, then a message header announcing 16 MiB - 1 bytes, over the
    /// server's configured `max_message_len`.
    Oversized,
    /// A good handshake, then the first chunk of a message on each of 200 chunk streams,
    /// over `max_chunk_streams` (64).
    ChunkStreams,
    /// A good handshake, then a `connect` whose command object nests 1000 objects deep,
    /// over `max_amf_depth` (64).
    AmfBomb,
}

impl Attack {
    fn bytes(self) -> Vec<u8> {
        match self {
            Attack::Rtmpe => {
                let mut v = vec![6u8];
                v.resize(1537, 0x5A);
                v
            }
            Attack::Garbage => vec![0xFF; 4096],
            Attack::Oversized => {
                let mut v = vec![3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 20, 0, 0, 0, 0];
                v.resize(v.len() + 128, 0);
                v
            }
            Attack::ChunkStreams => {
                let mut v = Vec::new();
                for csid in 3u16..203 {
                    // Two-byte basic header: fmt 0, csid 64 + second byte.
                    let mut header = if csid < 64 {
                        vec![csid as u8]
                    } else {
                        vec![0, (csid - 64) as u8]
                    };
                    // A 1000-byte audio message of which only the first chunk comes.
                    header.extend_from_slice(&[0, 0, 0, 0, 0x03, 0xE8, 8, 1, 0, 0, 0]);
                    v.extend_from_slice(&header);
                    v.extend_from_slice(&[0xAF; 128]);
                }
                v
            }
            Attack::AmfBomb => {
                // "connect", transaction 1, then an object holding an object holding ...
                let mut amf = vec![2, 0, 7];
                amf.extend_from_slice(b"connect");
                amf.extend_from_slice(&[0, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]);
                for _ in 0..1000 {
                    amf.extend_from_slice(&[3, 0, 1, b'a']);
                }
                message(3, 20, &amf)
            }
        }
    }
}

/// Runs one attack; returns how long the server took to close after the bad bytes went
/// out, or why it did not.
fn attack(addr: SocketAddr, what: Attack) -> Result<Duration, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("{what:?}: connect: {e}"))?;
    s.set_read_timeout(Some(CLOSE_WITHIN))
        .map_err(|e| e.to_string())?;
    if !matches!(what, Attack::Rtmpe) {
        handshake(&mut s).map_err(|e| format!("{what:?}: handshake: {e}"))?;
    }
    let sent = Instant::now();
    // The server may close before it read everything: a failed write is a close too.
    let _ = s.write_all(&what.bytes());
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(sent.elapsed()),
            // Whatever the server says before it closes (a refusal, acks) is fine.
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!("{what:?}: still open after {CLOSE_WITHIN:?}"));
            }
            // A reset is a close as well.
            Err(_) => return Ok(sent.elapsed()),
        }
        if sent.elapsed() > CLOSE_WITHIN {
            return Err(format!("{what:?}: still talking after {CLOSE_WITHIN:?}"));
        }
    }
}

async fn hostile_peers_are_closed_and_the_live_relay_goes_on() {
    let mut limits = Limits::default();
    limits.max_message_len = MAX_MESSAGE_LEN;
    let srv = start(Server::builder().limits(limits)).await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "cam").await;
    let mut player = connected(srv.addr, "live").await;
    playing(&mut player, "cam").await;

    let all = frames(60);
    let (first, rest) = all.split_at(20);
    for m in first {
        publisher.session().send_media(h, m.clone()).unwrap();
    }
    bounded("publisher flush", publisher.flush()).await.unwrap();

    let attacks = [
        Attack::Rtmpe,
        Attack::Garbage,
        Attack::Oversized,
        Attack::ChunkStreams,
        Attack::AmfBomb,
    ];
    let addr = srv.addr;
    let hostile: Vec<_> = attacks
        .iter()
        .map(|&a| rt::unblock(move || attack(addr, a)))
        .collect();

    // The publisher goes on while the hostile peers are served and closed.
    let rest = rest.to_vec();
    let pub_task = rt::spawn(async move {
        for m in rest {
            publisher.session().send_media(h, m).unwrap();
            bounded("publisher flush", publisher.flush()).await.unwrap();
            rt::sleep(Duration::from_millis(5)).await;
        }
        publisher
    });

    let mut got = Vec::new();
    while got.len() < all.len() {
        match next(&mut player).await {
            ClientEvent::Media { media, .. } => got.push(media),
            ClientEvent::Closed(reason) => panic!("player closed: {reason:?}"),
            _ => {}
        }
    }
    assert!(
        got == all,
        "the player's frames differ from the published ones"
    );

    for (task, what) in hostile.into_iter().zip(attacks) {
        let closed_after = bounded("hostile peer", task)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            closed_after < CLOSE_WITHIN,
            "{what:?} closed after {closed_after:?}"
        );
    }
    let _publisher = pub_task.await;

    // Only the publisher and the player are left once the server noticed every close.
    let deadline = Instant::now() + CLOSE_WITHIN;
    while srv.handle.stats().connections != 2 {
        assert!(
            Instant::now() < deadline,
            "connections still counted: {}",
            srv.handle.stats().connections
        );
        rt::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(srv.handle.stats().publishers, 1);
    srv.stop().await;
}

tests!(hostile_peers_are_closed_and_the_live_relay_goes_on);
threaded_tests!(hostile_peers_are_closed_and_the_live_relay_goes_on);
