//! Draining a relay to another: our resilient client publishes to relay A, with players
//! on A and on B (B's waits for the stream). A drains to B: the publisher is asked to
//! reconnect there (E-RTMP `ReconnectRequest`), moves within a second at a keyframe, and
//! the player on B receives the stream; A then shuts down and its player's stream ends
//! cleanly.
#![allow(clippy::print_stdout)]

use std::time::{Duration, Instant};

use crate::common::*;
use crate::rt;
use adapter::proto::session::ClientEvent;
use adapter::{Client, Server};
use bytes::Bytes;

const AVC_HEADER: &[u8] = &[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0];

fn frame(i: u32) -> Bytes {
    let mut v = vec![if i.is_multiple_of(5) { 0x17 } else { 0x27 }, 1, 0, 0, 0];
    v.extend_from_slice(&i.to_be_bytes());
    v.resize(600, 0xAB);
    Bytes::from(v)
}

/// The frame index a video frame carries (`None` for the sequence header).
fn index(payload: &[u8]) -> Option<u32> {
    let b: [u8; 4] = payload.get(5..9)?.try_into().ok()?;
    (payload.get(1) == Some(&1)).then(|| u32::from_be_bytes(b))
}

async fn draining_moves_the_publisher_and_ends_the_old_servers_players() {
    let a = start(Server::builder()).await;
    let b = start(Server::builder()).await;
    let publisher = bounded(
        "publish on a",
        Client::publish(&format!("rtmp://{}/live/cam", a.addr)),
    )
    .await
    .unwrap();
    publisher
        .send_video(0, Bytes::from_static(AVC_HEADER))
        .await
        .unwrap();
    let mut on_a = connected(a.addr, "live").await;
    playing(&mut on_a, "cam").await;
    let mut on_b = connected(b.addr, "live").await;
    playing(&mut on_b, "cam").await;

    let sending = rt::spawn(async move {
        for i in 0..150u32 {
            if publisher.send_video(i * 20, frame(i)).await.is_err() {
                break;
            }
            rt::sleep(Duration::from_millis(20)).await;
        }
        publisher
    });
    // The stream flows on A.
    until(&mut on_a, |e| match e {
        ClientEvent::Media { media, .. } => index(&media.payload).filter(|i| *i >= 10),
        _ => None,
    })
    .await;

    let drained_at = Instant::now();
    a.handle.drain(Some(format!("rtmp://{}/live", b.addr)));
    // The player on B starts receiving the moved stream, at a keyframe.
    let first_on_b = until(&mut on_b, |e| match e {
        ClientEvent::Media { media, .. } if media.payload.first() == Some(&0x17) => {
            index(&media.payload)
        }
        _ => None,
    })
    .await;
    let moved_after = drained_at.elapsed();
    assert!(
        moved_after < Duration::from_secs(1),
        "moved after {moved_after:?}"
    );
    // B keeps receiving: the frames after the switch arrive in order.
    let mut last = first_on_b;
    while last < first_on_b + 20 {
        if let ClientEvent::Media { media, .. } = next(&mut on_b).await
            && let Some(i) = index(&media.payload)
        {
            assert!(
                i > last || (i == last && media.payload[0] == 0x17),
                "{i} after {last}"
            );
            last = i;
        }
    }
    // A's player gets the end of its stream and A stops by itself.
    until(&mut on_a, |e| {
        matches!(e, ClientEvent::StreamEof { .. }).then_some(())
    })
    .await;
    a.finished().await;
    println!(
        "{}: publisher moved in {moved_after:?}, B's first frame {first_on_b}",
        rt::NAME
    );
    let publisher = sending.await;
    let s = publisher.status();
    assert_eq!(
        s.url.as_ref().map(|u| u.port()),
        Some(b.addr.port()),
        "{s:?}"
    );
    bounded("close", publisher.close()).await.unwrap();
    b.stop().await;
}

tests!(draining_moves_the_publisher_and_ends_the_old_servers_players);
