//! Peers that break the protocol lose their own connection, and nobody else notices: while
//! a publisher relays to a player, five raw TCP peers each send one kind of bad input (an
//! RTMPE handshake, bytes that are no chunk stream, a message over the configured length,
//! a flood of chunk streams, an AMF0 nesting bomb). Each is closed by the server within a
//! bounded time, the player still gets every frame byte-identical, and the server counts
//! only the two good connections afterwards.
//!
//! The hostile peers are plain blocking `std::net` sockets on their own threads
//! (`hostile.rs`).

use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::hostile::*;
use crate::rt;
use adapter::Server;
use adapter::proto::Limits;
use adapter::proto::session::{Media, MediaKind};
use bytes::Bytes;

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

/// Runs one attack on the server; how long it took to close after the bad bytes went out.
fn attack(addr: SocketAddr, what: Attack) -> Result<Duration, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("{what:?}: connect: {e}"))?;
    if !matches!(what, Attack::Rtmpe) {
        client_handshake(&mut s).map_err(|e| format!("{what:?}: handshake: {e}"))?;
    }
    send_and_await_close(&mut s, what)
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

    let mut attacks = vec![Attack::Rtmpe];
    attacks.extend(AFTER_HANDSHAKE);
    let addr = srv.addr;
    let hostile: Vec<_> = attacks
        .iter()
        .map(|&a| rt::unblock(move || attack(addr, a)))
        .collect();

    // The publisher goes on while the hostile peers are served and closed.
    let pub_task = publish_paced(publisher, h, rest.to_vec(), Duration::from_millis(5));
    let got = media(&mut player, all.len(), "player").await;
    assert!(
        got == all,
        "the player's frames differ from the published ones"
    );

    for (task, what) in hostile.into_iter().zip(attacks.iter()) {
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
