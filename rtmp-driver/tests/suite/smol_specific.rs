//! What is particular to the smol adapter: its wait polls every source on each wake-up
//! (no `select!`), its executor can get worker threads, and shutdown is bounded by the
//! grace period.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::common::*;
use bytes::Bytes;
use rtmp_smol::Server;
use rtmp_smol::proto::relay::RelayConfig;
use rtmp_smol::proto::session::{ClientEvent, Media, MediaKind};

fn frame(i: u32, len: usize) -> Media {
    let mut body = vec![if i.is_multiple_of(50) { 0x17 } else { 0x27 }, 1, 0, 0, 0];
    body.resize(len, i as u8);
    Media {
        kind: MediaKind::Video,
        timestamp: i,
        payload: Bytes::from(body),
    }
}

/// A player woken by every frame of a busy publisher still has its own socket read: a
/// command it sends meanwhile is answered while the flood goes on.
#[test]
fn a_flooded_player_still_gets_its_commands_answered() {
    smol::block_on(async {
        let mut relay = RelayConfig::default();
        relay.player_soft_bytes = 64 << 20;
        relay.player_hard_bytes = 128 << 20;
        // The play it asks for is refused (not kept waiting) so there is an answer.
        relay.wait_for_publisher = false;
        let srv = start(Server::builder().relay_config(relay)).await;
        let mut publisher = connected(srv.addr, "live").await;
        let h = publishing(&mut publisher, "cam").await;
        let mut player = connected(srv.addr, "live").await;
        playing(&mut player, "cam").await;

        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let flood = smol::spawn(async move {
            let mut i = 0u32;
            while !stop2.load(Ordering::Relaxed) {
                for _ in 0..10 {
                    publisher.session().send_media(h, frame(i, 2000)).unwrap();
                    i += 1;
                }
                bounded("publisher flush", publisher.flush()).await.unwrap();
                smol::future::yield_now().await;
            }
            (publisher, i)
        });
        // Be sure the flood reaches the player before asking.
        until(&mut player, |e| match e {
            ClientEvent::Media { media, .. } if media.timestamp >= 200 => Some(()),
            _ => None,
        })
        .await;
        let asked = player.session().play("nobody").unwrap();
        let code = until(&mut player, |e| match e {
            ClientEvent::StreamFailed { handle, code, .. } if *handle == asked => {
                Some(code.clone())
            }
            _ => None,
        })
        .await;
        assert_eq!(code, "NetStream.Play.StreamNotFound");
        stop.store(true, Ordering::Relaxed);
        let (_publisher, sent) = bounded("flood to stop", flood).await;
        assert!(sent > 200);
        srv.stop().await;
    })
}

/// The same relay, with connection tasks spread over worker threads.
#[test]
fn worker_threads_relay_every_frame_in_order() {
    smol::block_on(async {
        let srv = start(Server::builder().worker_threads(2)).await;
        let mut publisher = connected(srv.addr, "live").await;
        let h = publishing(&mut publisher, "cam").await;
        let mut players = Vec::new();
        for _ in 0..4 {
            let mut p = connected(srv.addr, "live").await;
            playing(&mut p, "cam").await;
            players.push(p);
        }
        let frames: Vec<Media> = (0..300).map(|i| frame(i, 5000)).collect();
        let send = frames.clone();
        let pub_task = smol::spawn(async move {
            for m in send {
                publisher.session().send_media(h, m).unwrap();
            }
            bounded("publisher flush", publisher.flush()).await.unwrap();
            publisher
        });
        for p in &mut players {
            let mut got = Vec::new();
            while got.len() < frames.len() {
                if let ClientEvent::Media { media, .. } = next(p).await {
                    got.push(media);
                }
            }
            assert!(got == frames, "frames differ");
        }
        let _publisher = pub_task.await;
        srv.stop().await;
    })
}

/// A player that never reads cannot hold shutdown past the grace period.
#[test]
fn shutdown_is_bounded_by_the_grace_period() {
    smol::block_on(async {
        let mut relay = RelayConfig::default();
        relay.player_soft_bytes = 64 << 20;
        relay.player_hard_bytes = 128 << 20;
        relay.max_consecutive_lag_events = 0;
        let grace = Duration::from_millis(300);
        let srv = start(Server::builder().relay_config(relay).shutdown_grace(grace)).await;
        let mut publisher = connected(srv.addr, "live").await;
        let h = publishing(&mut publisher, "cam").await;
        let mut stalled = connected(srv.addr, "live").await;
        playing(&mut stalled, "cam").await;
        // 16 MiB toward a player that never reads again: far more than socket buffers.
        for i in 0..256 {
            publisher
                .session()
                .send_media(h, frame(i, 64 * 1024))
                .unwrap();
        }
        bounded("publisher flush", publisher.flush()).await.unwrap();
        smol::Timer::after(Duration::from_millis(200)).await;
        let asked = Instant::now();
        srv.stop().await;
        let took = asked.elapsed();
        assert!(
            took < grace + Duration::from_secs(2),
            "shutdown took {took:?}"
        );
        drop(stalled);
    })
}
