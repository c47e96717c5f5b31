//! Backpressure reaches the caller: when the server stops reading, the publisher's queue
//! fills, `try_send_media` says `Full` and `send_video` waits, while the bytes held for
//! the link stay bounded by the builder's settings.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::bounded;
use crate::rt;
use crate::rt::TcpListener;
use crate::rt::{AsyncReadExt, AsyncWriteExt};
use adapter::proto::session::{
    ConnectReply, Media, MediaKind, ServerConfig, ServerEvent, ServerSession,
};
use adapter::{Client, ClientError};
use bytes::Bytes;

/// Accepts one publisher, then never reads again once publishing was accepted.
async fn stalling_server() -> (std::net::SocketAddr, rt::Task<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = rt::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut s = ServerSession::new(Arc::new(ServerConfig::default()), Instant::now());
        let mut buf = vec![0u8; 16 * 1024];
        let mut stalled = false;
        loop {
            while let Some(ev) = s.poll_event() {
                match ev {
                    ServerEvent::ConnectRequested { id, .. } => s
                        .accept_connect(Instant::now(), id, ConnectReply::default())
                        .unwrap(),
                    ServerEvent::PublishRequested { id, .. } => {
                        s.accept_publish(Instant::now(), id).unwrap();
                        stalled = true;
                    }
                    _ => {}
                }
            }
            while let Some(seg) = s.poll_transmit() {
                sock.write_all(&seg).await.unwrap();
            }
            if stalled {
                // Hold the connection open without reading until the test ends.
                rt::sleep(Duration::from_secs(30)).await;
                return;
            }
            let n = sock.read(&mut buf).await.unwrap();
            s.handle_input_slice(Instant::now(), &buf[..n]).unwrap();
        }
    });
    (addr, task)
}

async fn a_stalled_link_fills_the_queue_and_the_caller_sees_it() {
    let (addr, server) = stalling_server().await;
    const QUEUE: usize = 8;
    let publisher = bounded(
        "publish",
        Client::builder()
            .url(&format!("rtmp://{addr}/live/cam"))
            .queue_capacity(QUEUE)
            .high_water(256 * 1024)
            .publish(),
    )
    .await
    .unwrap();

    let frame = Bytes::from(
        vec![0x17, 1, 0, 0, 0]
            .into_iter()
            .chain(std::iter::repeat_n(0u8, 64 * 1024))
            .collect::<Vec<u8>>(),
    );
    let mut accepted = 0usize;
    let full = bounded("queue to fill", async {
        loop {
            let m = Media {
                kind: MediaKind::Video,
                timestamp: accepted as u32,
                payload: frame.clone(),
            };
            match publisher.try_send_media(m) {
                Ok(()) => accepted += 1,
                Err(ClientError::Full) => return true,
                Err(e) => panic!("unexpected {e}"),
            }
            // Let the task move frames to the socket until the kernel buffers are full.
            rt::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(full);
    // What was accepted is bounded: socket buffers + high water + the queue, not the
    // whole history (64 KiB frames; a few MiB of kernel buffers on loopback at most).
    eprintln!("frames accepted before Full: {accepted}");
    assert!(
        accepted < 400,
        "{accepted} frames accepted by a stalled link"
    );
    assert_eq!(publisher.queue_room(), 0);
    let waited = rt::timeout(
        Duration::from_millis(200),
        publisher.send_video(0, frame.clone()),
    )
    .await;
    assert!(
        waited.is_none(),
        "send_video waits while the link is stalled"
    );
    server.abort();
}

tests!(a_stalled_link_fills_the_queue_and_the_caller_sees_it,);
