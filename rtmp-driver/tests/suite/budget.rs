//! The server-wide memory budget: 200 connections each start a 1 MiB video message on
//! their accepted publish and stop sending, together far over a 64 MiB budget. The
//! largest holders are closed until the rest fits; the rest, and a bystander stream on the
//! same server, go on.
//!
//! The holders are plain blocking sockets driven by a `ClientSession` up to the publish,
//! then a raw chunk header and first chunk (`holder`).
#![allow(clippy::print_stdout)]

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::*;
use crate::rt;
use adapter::Server;
use adapter::proto::relay::RelayConfig;
use adapter::proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectParams, PublishMode,
};
use bytes::BytesMut;

const BUDGET: usize = 64 * 1024 * 1024;
const HOLDERS: usize = 200;
const MESSAGE: u32 = 1024 * 1024;

/// A connection publishing `name` that has sent the first 4096-byte chunk of a 1 MiB video
/// message and nothing more: the server holds 1 MiB for it.
fn holder(addr: SocketAddr, name: &str) -> TcpStream {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let now = Instant::now();
    let mut c = ClientSession::new(Arc::new(ClientConfig::default()), now);
    c.connect(ConnectParams::new("live", format!("rtmp://{addr}/live")))
        .unwrap();
    let (mut input, mut buf) = (BytesMut::new(), [0u8; 8192]);
    let mut publish = None;
    loop {
        let mut started = false;
        while let Some(e) = c.poll_event() {
            match e {
                ClientEvent::Connected { .. } => {
                    publish = Some(c.publish(name, PublishMode::Live).unwrap());
                }
                ClientEvent::PublishStarted { .. } => started = true,
                ClientEvent::Closed(r) => panic!("holder closed early: {r:?}"),
                _ => {}
            }
        }
        // Answers to those events (the publish) go out before the next read.
        while let Some(seg) = c.poll_transmit() {
            s.write_all(&seg).expect("write");
        }
        if started {
            break;
        }
        let n = s
            .read(&mut buf)
            .unwrap_or_else(|e| panic!("{name}: read: {e}"));
        assert!(n > 0, "server closed during setup");
        input.extend_from_slice(&buf[..n]);
        c.handle_input(now, &mut input).unwrap();
    }
    assert!(publish.is_some());
    // fmt 0 on chunk stream 30 (one the session does not use), video, message stream 1.
    let mut raw = vec![30, 0, 0, 0];
    raw.extend_from_slice(&MESSAGE.to_be_bytes()[1..]);
    raw.extend_from_slice(&[9, 1, 0, 0, 0]);
    raw.push(0x17);
    raw.resize(raw.len() + 4095, 0);
    s.write_all(&raw).expect("first chunk");
    s
}

/// Whether the server closed `s` (anything it still sends is read and dropped).
fn is_closed(s: &mut TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return true,
        }
    }
}

async fn over_budget_the_largest_holders_are_closed_and_the_rest_go_on() {
    let srv = start(Server::builder().memory_budget(BUDGET)).await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "bystander").await;
    let mut player = connected(srv.addr, "live").await;
    playing(&mut player, "bystander").await;

    let addr = srv.addr;
    let holders = rt::unblock(move || {
        (0..HOLDERS)
            .map(|i| holder(addr, &format!("h{i}")))
            .collect::<Vec<_>>()
    });
    let all = video_frames(100, 3000, 10);
    let pub_task = publish_paced(publisher, h, all.clone(), Duration::from_millis(20));
    let got = media(&mut player, all.len(), "bystander player").await;
    assert!(
        got == all,
        "the bystander's frames differ from the published ones"
    );
    let mut holders = bounded("200 holders", holders).await;
    rt::sleep(Duration::from_millis(500)).await;
    let closed = holders.iter_mut().map(is_closed).filter(|c| *c).count();
    let open = HOLDERS - closed;
    let fits = BUDGET / MESSAGE as usize;
    println!(
        "{}: {closed} holders closed, {open} open (budget fits {fits})",
        rt::NAME
    );
    assert!(open > 0, "every holder was closed");
    assert!(
        open <= fits,
        "{open} holders of 1 MiB open under a {fits} MiB budget"
    );
    assert!(
        open + 2 >= fits,
        "only {open} open: more closed than the budget needs"
    );
    let _publisher = pub_task.await;
    srv.stop().await;
}

/// Output counts too: relayed frames are held, once each however many players share them,
/// until the last player's socket takes them. Three players that stop reading make the
/// server hold what they have not taken, past a small budget (the lag policy's bounds are
/// set far above it, so only the budget can act): they are closed, and a reading player
/// of the same stream gets every frame.
async fn over_budget_stalled_players_are_closed_and_a_reading_one_goes_on() {
    const OUT_BUDGET: usize = 8 * 1024 * 1024;
    const FRAMES: u32 = 160;
    const FRAME: usize = 100_000;
    let mut relay = RelayConfig::default();
    relay.player_soft_bytes = 512 * 1024 * 1024;
    relay.player_hard_bytes = 1024 * 1024 * 1024;
    relay.player_soft_age = Duration::from_secs(600);
    relay.player_max_age = Duration::from_secs(600);
    let builder = Server::builder()
        .memory_budget(OUT_BUDGET)
        .relay_config(relay);
    let srv = start(builder).await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "big").await;
    let mut reader = connected(srv.addr, "live").await;
    playing(&mut reader, "big").await;
    let mut stalled = Vec::new();
    for _ in 0..3 {
        let mut p = connected(srv.addr, "live").await;
        playing(&mut p, "big").await;
        stalled.push(p);
    }
    // Keyframes only: nothing is droppable, nothing is shed for lag.
    let all = video_frames(FRAMES, FRAME, 1);
    let pub_task = publish_paced(publisher, h, all.clone(), Duration::from_millis(5));
    let got = media(&mut reader, all.len(), "reading player").await;
    assert!(got == all, "the reading player's frames differ");
    // The stalled players read now: what the kernel held, then the server's close.
    for (i, p) in stalled.iter_mut().enumerate() {
        let frames = bounded("a stalled player to see its close", async {
            let mut frames = 0;
            loop {
                match p.next_event().await {
                    Ok(Some(ClientEvent::Media { .. })) => frames += 1,
                    Ok(Some(ClientEvent::Closed(_)) | None) | Err(_) => return frames,
                    Ok(Some(_)) => {}
                }
            }
        })
        .await;
        println!(
            "{}: stalled player {i} got {frames} of {FRAMES} frames, then was closed",
            rt::NAME
        );
        assert!(
            frames < FRAMES as usize,
            "stalled player {i} got everything"
        );
    }
    let _publisher = pub_task.await;
    srv.stop().await;
}

tests!(
    over_budget_the_largest_holders_are_closed_and_the_rest_go_on,
    over_budget_stalled_players_are_closed_and_a_reading_one_goes_on,
);
