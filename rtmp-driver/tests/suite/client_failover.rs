//! Publishing to a dead primary and a live backup: the stream arrives on the backup.

use std::time::Duration;

use crate::common::{bounded, start};
use crate::rt;
use adapter::proto::client::{ConnectionState, ReconnectPolicy};
use adapter::proto::session::MediaKind;
use adapter::{Client, PlayerEvent, Server};
use bytes::Bytes;

const AVC_HEADER: &[u8] = &[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0];
const KEY: &[u8] = &[0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65];

fn fast_policy() -> ReconnectPolicy {
    let mut p = ReconnectPolicy::default().without_jitter();
    p.initial_delay = Duration::from_millis(50);
    p.max_delay = Duration::from_millis(400);
    p
}

/// A loopback port with nothing listening.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn dead_primary_fails_over_to_the_live_backup() {
    let backup = start(Server::builder()).await;
    let primary = format!("rtmp://127.0.0.1:{}/live/cam1", dead_port());
    let secondary = format!("rtmp://{}/live/cam1", backup.addr);

    let publisher = bounded(
        "publish through the failover list",
        Client::builder()
            .url(&primary)
            .url(&secondary)
            .reconnect_policy(fast_policy())
            .publish(),
    )
    .await
    .expect("publishing on the backup");
    let status = publisher.status();
    assert_eq!(status.state, ConnectionState::Publishing);
    assert_eq!(
        status.url.as_ref().map(|u| u.port()),
        Some(backup.addr.port())
    );
    assert!(
        matches!(
            status.last_failure,
            Some(adapter::proto::client::FailureReason::Dial(_))
        ),
        "the primary's dial failure is recorded: {status:?}"
    );

    publisher
        .send_video(0, Bytes::from_static(AVC_HEADER))
        .await
        .unwrap();
    publisher
        .send_video(0, Bytes::from_static(KEY))
        .await
        .unwrap();

    let mut player = Client::builder()
        .url(&secondary)
        .reconnect_policy(fast_policy())
        .play()
        .await
        .unwrap();
    let sender = rt::spawn(async move {
        for i in 1..60u32 {
            let frame = if i % 10 == 0 {
                KEY
            } else {
                &[0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41][..]
            };
            if publisher
                .send_video(i * 40, Bytes::copy_from_slice(frame))
                .await
                .is_err()
            {
                break;
            }
            rt::sleep(Duration::from_millis(10)).await;
        }
        publisher
    });
    let mut saw_header = false;
    let mut frames = 0;
    bounded("media on the backup", async {
        while frames < 5 {
            match player.next().await.expect("player ended") {
                PlayerEvent::Media(m) if m.kind == MediaKind::Video => {
                    saw_header |= m.payload[..] == *AVC_HEADER;
                    frames += 1;
                }
                _ => {}
            }
        }
    })
    .await;
    assert!(
        saw_header,
        "the backup relays the sequence header to the player"
    );
    let publisher = bounded("sender", sender).await;
    assert!(publisher.status().counters.sent >= 5);
    bounded("publisher close", publisher.close()).await.unwrap();
    bounded("player close", player.close()).await;
    backup.stop().await;
}

tests!(dead_primary_fails_over_to_the_live_backup,);
