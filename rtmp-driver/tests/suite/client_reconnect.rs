//! Killing the server mid-stream and restarting it on the same port: the publisher is back
//! within the backoff schedule, resends its sequence header, and players see the stream
//! again.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::{TestServer, bounded};
use crate::rt;
use adapter::proto::client::{ConnectionState, ReconnectPolicy};
use adapter::proto::relay::RelayConfig;
use adapter::proto::session::{Media, MediaKind};
use adapter::{Client, Player, PlayerEvent, Server};
use bytes::Bytes;

const AVC_HEADER: &[u8] = &[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0];
const KEY: &[u8] = &[0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65];
const INTER: &[u8] = &[0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41];

const MAX_DELAY: Duration = Duration::from_millis(400);

fn policy() -> ReconnectPolicy {
    let mut p = ReconnectPolicy::default().without_jitter();
    p.initial_delay = Duration::from_millis(50);
    p.max_delay = MAX_DELAY;
    p.max_attempts = None;
    p
}

async fn serve(addr: SocketAddr) -> TestServer {
    let mut relay = RelayConfig::default();
    relay.wait_for_publisher = true;
    let server = Server::builder()
        .listen(addr)
        .relay_config(relay)
        .shutdown_grace(Duration::from_millis(200))
        .bind()
        .await
        .expect("bind (same port after restart)");
    let addr = server.local_addr();
    let handle = server.handle();
    let run = rt::serve(server);
    TestServer { addr, handle, run }
}

/// Waits for `Started`, then for the first video frame; returns that frame.
async fn first_video_after_start(player: &mut Player) -> Media {
    let mut started = false;
    loop {
        match player.next().await.expect("player ended") {
            PlayerEvent::Started { .. } => started = true,
            PlayerEvent::Media(m) if started && m.kind == MediaKind::Video => return m,
            _ => {}
        }
    }
}

async fn publisher_and_player_come_back_after_a_server_restart() {
    let server = serve(SocketAddr::from(([127, 0, 0, 1], 0))).await;
    let addr = server.addr;
    let url = format!("rtmp://{addr}/live/cam");

    let publisher = bounded(
        "first publish",
        Client::builder()
            .url(&url)
            .reconnect_policy(policy())
            .publish(),
    )
    .await
    .unwrap();
    let mut player = Client::builder()
        .url(&url)
        .reconnect_policy(policy())
        .play()
        .await
        .unwrap();

    // The caller sends the sequence header once, at the start; after the restart only
    // the publisher's resend can give the new server one.
    publisher
        .send_video(0, Bytes::from_static(AVC_HEADER))
        .await
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let sender = rt::spawn({
        let stop = stop.clone();
        async move {
            let mut ts = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let frame = if (ts / 40).is_multiple_of(5) {
                    KEY
                } else {
                    INTER
                };
                let _ = publisher.send_video(ts, Bytes::from_static(frame)).await;
                ts += 40;
                rt::sleep(Duration::from_millis(10)).await;
            }
            publisher
        }
    });
    let first = bounded(
        "video before the restart",
        first_video_after_start(&mut player),
    )
    .await;
    assert_eq!(first.payload[..], *AVC_HEADER);

    // Kill the server; keep it down for a while, then restart it on the same port.
    server.stop().await;
    let down = Instant::now();
    rt::sleep(Duration::from_millis(300)).await;
    let server = serve(addr).await;
    let restarted = Instant::now();
    assert_eq!(server.addr, addr);

    // The player reconnects, waits for the publisher, and gets the resent header first.
    let again = bounded(
        "video after the restart",
        first_video_after_start(&mut player),
    )
    .await;
    assert_eq!(
        again.payload[..],
        *AVC_HEADER,
        "the publisher resends the sequence header to the new server"
    );
    let back = Instant::now();
    let status = player.status();
    assert!(status.starts >= 2, "{status:?}");

    stop.store(true, Ordering::Relaxed);
    let publisher = bounded("sender", sender).await;
    let s = publisher.status();
    assert!(s.starts >= 2, "publisher re-published: {s:?}");
    assert!(s.counters.resends >= 1, "{s:?}");
    assert!(
        s.counters.dropped_offline > 0,
        "frames sent while down are dropped: {s:?}"
    );
    // Back within the schedule: after the restart, at most one backoff step (capped at
    // MAX_DELAY) plus connect time before the stream flows again.
    let after_restart = back.duration_since(restarted);
    eprintln!(
        "server down {:?}; stream back {:?} after the restart",
        restarted.duration_since(down),
        after_restart
    );
    assert!(
        after_restart < MAX_DELAY * 2 + Duration::from_millis(500),
        "{after_restart:?}"
    );
    assert_eq!(publisher.state(), ConnectionState::Publishing);

    bounded("publisher close", publisher.close()).await.unwrap();
    bounded("player close", player.close()).await;
    server.stop().await;
}

tests!(publisher_and_player_come_back_after_a_server_restart,);
