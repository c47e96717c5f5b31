//! Honouring `NetConnection.Connect.ReconnectRequest` (RTMP-NOTES 25): the publisher moves
//! to the new server at a keyframe, sends metadata and the sequence header there first,
//! then drops the old connection; every frame arrives exactly once, in order.
//!
//! The servers are minimal `ServerSession` loops (the relay `Server` has no way to ask a
//! publisher to move), so the test sees exactly what each connection received.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::bounded;
use crate::rt;
use crate::rt::channel::Sender;
use crate::rt::{AsyncReadExt, AsyncWriteExt};
use crate::rt::{TcpListener, TcpStream};
use adapter::Client;
use adapter::proto::amf::Value;
use adapter::proto::client::ConnectionState;
use adapter::proto::session::{ConnectReply, ServerConfig, ServerEvent, ServerSession};
use bytes::Bytes;

const AVC_HEADER: &[u8] = &[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0];
const FRAMES: u32 = 60;
const GOP: u32 = 10;

#[derive(Debug, Clone, PartialEq)]
enum Got {
    Metadata,
    Header,
    Frame(u32),
    Closed,
}

/// Serves connections; each reports what it received as `(server, connection, Got)`.
/// With `move_to`, a connection asks its publisher to reconnect there after `after`
/// indexed frames.
async fn mini_server(
    name: &'static str,
    move_to: Option<String>,
    after: u32,
    tx: Sender<(&'static str, usize, Got)>,
) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    rt::spawn(async move {
        let mut n = 0;
        while let Ok((sock, _)) = listener.accept().await {
            n += 1;
            rt::spawn(serve(sock, name, n, move_to.clone(), after, tx.clone()));
        }
    });
    addr
}

async fn serve(
    mut sock: TcpStream,
    name: &'static str,
    conn: usize,
    move_to: Option<String>,
    after: u32,
    tx: Sender<(&'static str, usize, Got)>,
) {
    let mut s = ServerSession::new(Arc::new(ServerConfig::default()), Instant::now());
    let mut frames = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(ev) = s.poll_event() {
            match ev {
                ServerEvent::ConnectRequested { id, .. } => s
                    .accept_connect(Instant::now(), id, ConnectReply::default())
                    .unwrap(),
                ServerEvent::PublishRequested { id, .. } => {
                    s.accept_publish(Instant::now(), id).unwrap()
                }
                ServerEvent::Metadata { .. } => {
                    let _ = tx.try_send((name, conn, Got::Metadata));
                }
                ServerEvent::Media { media, .. } => {
                    let got = if media.payload[..] == *AVC_HEADER {
                        Got::Header
                    } else {
                        let p = &media.payload[5..9];
                        Got::Frame(u32::from_be_bytes([p[0], p[1], p[2], p[3]]))
                    };
                    let _ = tx.try_send((name, conn, got));
                    frames += 1;
                    if frames == after
                        && let Some(to) = &move_to
                    {
                        s.request_reconnect(Some(to), Some("maintenance")).unwrap();
                    }
                }
                ServerEvent::Closed(_) => {
                    let _ = tx.try_send((name, conn, Got::Closed));
                    return;
                }
                _ => {}
            }
        }
        while let Some(seg) = s.poll_transmit() {
            if sock.write_all(&seg).await.is_err() {
                s.handle_eof(Instant::now());
            }
        }
        match rt::timeout(Duration::from_secs(10), sock.read(&mut buf)).await {
            Some(Ok(0)) | Some(Err(_)) | None => s.handle_eof(Instant::now()),
            Some(Ok(n)) => {
                let _ = s.handle_input_slice(Instant::now(), &buf[..n]);
            }
        }
    }
}

fn frame(i: u32) -> Bytes {
    let first = if i.is_multiple_of(GOP) { 0x17 } else { 0x27 };
    let mut v = vec![first, 1, 0, 0, 0];
    v.extend_from_slice(&i.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0, 1, 0x65]);
    Bytes::from(v)
}

async fn reconnect_request_moves_the_publisher_at_a_keyframe_without_losing_frames() {
    let (tx, rx) = rt::channel::unbounded();
    let b = mini_server("b", None, 0, tx.clone()).await;
    let a = mini_server("a", Some(format!("rtmp://{b}/live")), 15, tx).await;

    let publisher = bounded(
        "publish on a",
        Client::publish(&format!("rtmp://{a}/live/cam")),
    )
    .await
    .unwrap();
    publisher
        .send_metadata(Value::ecma_array([("width", Value::Number(320.0))]))
        .await
        .unwrap();
    publisher
        .send_video(0, Bytes::from_static(AVC_HEADER))
        .await
        .unwrap();
    for i in 0..FRAMES {
        publisher.send_video(i * 40, frame(i)).await.unwrap();
        rt::sleep(Duration::from_millis(5)).await;
    }

    let mut on_a = Vec::new();
    let mut on_b = Vec::new();
    bounded("every frame and the old connection's close", async {
        loop {
            let (server, _, got) = rx.recv().await.unwrap();
            match server {
                "a" => on_a.push(got),
                _ => on_b.push(got),
            }
            let done_b = on_b.contains(&Got::Frame(FRAMES - 1));
            if done_b && on_a.contains(&Got::Closed) {
                break;
            }
        }
    })
    .await;

    let frames = |v: &[Got]| -> Vec<u32> {
        v.iter()
            .filter_map(|g| match g {
                Got::Frame(i) => Some(*i),
                _ => None,
            })
            .collect()
    };
    let (fa, fb) = (frames(&on_a), frames(&on_b));
    let switch = *fb.first().expect("frames on b");
    assert_eq!(switch % GOP, 0, "switched at a keyframe: {fb:?}");
    assert!(switch >= 15, "not before the request: {switch}");
    assert_eq!(
        fa,
        (0..switch).collect::<Vec<_>>(),
        "a got every frame before the switch"
    );
    assert_eq!(
        fb,
        (switch..FRAMES).collect::<Vec<_>>(),
        "b got every frame after it"
    );
    assert_eq!(
        &on_b[..3],
        &[Got::Metadata, Got::Header, Got::Frame(switch)],
        "metadata and the sequence header precede the switch keyframe on b"
    );
    let s = publisher.status();
    assert_eq!(s.counters.handovers, 1, "{s:?}");
    assert_eq!(s.state, ConnectionState::Publishing);
    assert_eq!(s.url.map(|u| u.port()), Some(b.port()));
    bounded("close", publisher.close()).await.unwrap();
}

tests!(reconnect_request_moves_the_publisher_at_a_keyframe_without_losing_frames,);
