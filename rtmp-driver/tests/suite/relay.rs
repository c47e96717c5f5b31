//! Publish then play through the in-process relay with our own client over TCP.

use std::time::{Duration, Instant};

use crate::common::*;
use crate::rt;
use adapter::ClientConnection;
use adapter::Server;
use adapter::proto::amf::Value;
use adapter::proto::relay::RelayConfig;
use adapter::proto::session::{ClientEvent, Media, MediaKind, Metadata, StreamHandle};
use bytes::Bytes;

fn media(kind: MediaKind, timestamp: u32, head: &[u8], len: usize, fill: u8) -> Media {
    let mut body = head.to_vec();
    body.resize(len, fill);
    Media {
        kind,
        timestamp,
        payload: Bytes::from(body),
    }
}

/// AVC sequence header, AAC config, a keyframe, then inter frames and audio; sizes span
/// several chunks.
fn stream_frames(n: u32) -> Vec<Media> {
    let mut v = vec![
        media(
            MediaKind::Video,
            0,
            &[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f],
            40,
            0,
        ),
        media(MediaKind::Audio, 0, &[0xAF, 0, 0x12, 0x10], 4, 0),
    ];
    for i in 0..n {
        let ts = i * 40;
        let key = i % 25 == 0;
        let head: &[u8] = if key {
            &[0x17, 1, 0, 0, 0]
        } else {
            &[0x27, 1, 0, 0, 0]
        };
        let len = if key {
            30_000
        } else {
            3000 + (i as usize % 7) * 500
        };
        v.push(media(MediaKind::Video, ts, head, len, i as u8));
        v.push(media(MediaKind::Audio, ts, &[0xAF, 1], 300, !(i as u8)));
    }
    v
}

async fn send_all(c: &mut ClientConnection, h: StreamHandle, frames: &[Media]) {
    for m in frames {
        c.session().send_media(h, m.clone()).unwrap();
    }
    bounded("publisher flush", c.flush()).await.unwrap();
}

async fn receive(c: &mut ClientConnection, count: usize) -> Vec<Media> {
    let mut got = Vec::new();
    while got.len() < count {
        if let ClientEvent::Media { media, .. } = next(c).await {
            got.push(media);
        }
    }
    got
}

async fn played_media_is_byte_identical_to_published_media() {
    relay_byte_identical(Server::builder()).await;
}

/// Under a write-merge window players get the same frames, only in fewer writes.
async fn with_a_write_merge_window_played_media_is_still_byte_identical() {
    relay_byte_identical(Server::builder().write_merge(Duration::from_millis(30))).await;
}

async fn relay_byte_identical(builder: adapter::ServerBuilder) {
    let srv = start(builder).await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "cam").await;
    let frames = stream_frames(60);
    let meta = Value::object(vec![("width".to_owned(), Value::Number(320.0))]);
    publisher
        .session()
        .send_metadata(h, &Metadata::new(meta))
        .unwrap();
    // Config, the first keyframe and a few frames before anyone plays: the late joiner
    // gets them from the cache.
    send_all(&mut publisher, h, &frames[..6]).await;
    rt::sleep(Duration::from_millis(50)).await;

    let mut players = Vec::new();
    for _ in 0..3 {
        let mut p = connected(srv.addr, "live").await;
        playing(&mut p, "cam").await;
        players.push(p);
    }
    // The publisher's connection must keep running while the players read.
    let rest = frames[6..].to_vec();
    let pub_task = rt::spawn(async move {
        send_all(&mut publisher, h, &rest).await;
        publisher
    });
    for p in &mut players {
        let got = receive(p, frames.len()).await;
        assert_eq!(got.len(), frames.len());
        for (i, (a, b)) in frames.iter().zip(&got).enumerate() {
            assert_eq!(a, b, "frame {i} differs");
        }
    }
    let _publisher = pub_task.await;
    let stats = srv.handle.stats();
    assert_eq!(stats.players, 3);
    assert_eq!(stats.publishers, 1);
    srv.stop().await;
}

async fn players_learn_the_end_of_the_stream_at_once() {
    // Without the publisher grace (`--publisher-grace-ms 0`): the end comes at once.
    let mut relay = RelayConfig::default();
    relay.publisher_grace = Duration::ZERO;
    let srv = start(Server::builder().relay_config(relay)).await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "cam").await;
    send_all(&mut publisher, h, &stream_frames(2)).await;
    let mut player = connected(srv.addr, "live").await;
    playing(&mut player, "cam").await;

    publisher.session().close_stream(h).unwrap();
    bounded("publisher flush", publisher.flush()).await.unwrap();
    let stopped = Instant::now();
    until(&mut player, |e| match e {
        ClientEvent::Status { code, .. } if code == "NetStream.Play.UnpublishNotify" => Some(()),
        _ => None,
    })
    .await;
    assert!(stopped.elapsed() < Duration::from_secs(1));
    // The key is free again.
    publishing(&mut publisher, "cam").await;
    srv.stop().await;
}

async fn shutdown_ends_streams_and_closes_every_connection() {
    let srv = start(Server::builder()).await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "cam").await;
    send_all(&mut publisher, h, &stream_frames(2)).await;
    let mut player = connected(srv.addr, "live").await;
    playing(&mut player, "cam").await;

    srv.handle.shutdown();
    let mut saw_eof = false;
    loop {
        match bounded("player to close", player.next_event()).await {
            Ok(Some(ClientEvent::StreamEof { .. })) => saw_eof = true,
            Ok(Some(ClientEvent::Closed(_))) | Ok(None) | Err(_) => break,
            Ok(Some(_)) => {}
        }
    }
    assert!(saw_eof, "player was not told the stream ended");
    srv.finished().await;
}

async fn play_of_a_stream_nobody_publishes_is_refused() {
    // With waiting players off (`--play-wait-ms 0`); by default the play would wait.
    let mut relay = RelayConfig::default();
    relay.max_play_wait = Some(Duration::ZERO);
    let srv = start(Server::builder().relay_config(relay)).await;
    let mut c = connected(srv.addr, "live").await;
    let h = c.session().play("nobody").unwrap();
    let code = until(&mut c, |e| match e {
        ClientEvent::StreamFailed { handle, code, .. } if *handle == h => Some(code.clone()),
        _ => None,
    })
    .await;
    assert_eq!(code, "NetStream.Play.StreamNotFound");
    srv.stop().await;
}

async fn a_player_that_stops_reading_is_cut_and_nobody_else_waits() {
    let mut relay = adapter::proto::relay::RelayConfig::default();
    relay.player_soft_bytes = 512 * 1024;
    relay.player_hard_bytes = 4 * 1024 * 1024;
    // Only the byte bound cuts players here (the reader may lag now and then in debug).
    relay.max_consecutive_lag_events = 0;
    relay.player_max_age = Duration::from_secs(1);
    let srv = start(Server::builder().relay_config(relay)).await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "cam").await;
    let mut stalled = connected(srv.addr, "live").await;
    playing(&mut stalled, "cam").await;
    let mut reader = connected(srv.addr, "live").await;
    playing(&mut reader, "cam").await;

    // 40 MiB, a keyframe every 25 frames, the last frame a keyframe with a marker; the
    // stalled player never reads again.
    let last = 999u32;
    let reading = rt::spawn(async move {
        until(&mut reader, |e| match e {
            ClientEvent::Media { media, .. } if media.timestamp == last => Some(()),
            _ => None,
        })
        .await;
        reader
    });
    let start = Instant::now();
    for i in 0..=last {
        let key = i % 25 == 0 || i == last;
        let head: &[u8] = if key {
            &[0x17, 1, 0, 0, 0]
        } else {
            &[0x27, 1, 0, 0, 0]
        };
        let m = media(MediaKind::Video, i, head, 40 * 1024, 0);
        publisher.session().send_media(h, m).unwrap();
        if i % 5 == 0 {
            bounded("publisher flush", publisher.flush()).await.unwrap();
            // 200 KiB per 5 ms: fast, but a reading player keeps up.
            rt::sleep(Duration::from_millis(5)).await;
        }
    }
    bounded("publisher flush", publisher.flush()).await.unwrap();
    let _reader = bounded("reader gets the last frame", reading).await;
    assert!(start.elapsed() < Duration::from_secs(10));
    // The stalled player only lost frames so far: its backlog stopped growing.
    let stats = srv.handle.stats();
    assert!(
        stats.lag_events >= 1 && stats.frames_dropped > 0,
        "{stats:?}"
    );
    // Its oldest queued frame passes `player_max_age`: the next frame cuts it.
    rt::sleep(Duration::from_millis(1100)).await;
    let m = media(MediaKind::Video, last + 1, &[0x17, 1, 0, 0, 0], 1000, 0);
    publisher.session().send_media(h, m).unwrap();
    bounded("publisher flush", publisher.flush()).await.unwrap();
    bounded("the stalled player to be cut", async {
        while srv.handle.stats().lag_disconnects == 0 {
            rt::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let stats = srv.handle.stats();
    assert_eq!((stats.players, stats.lag_disconnects), (1, 1), "{stats:?}");
    drop(stalled);
    srv.stop().await;
}

async fn with_replace_policy_a_new_publisher_takes_over_and_the_old_one_is_closed() {
    let mut relay = adapter::proto::relay::RelayConfig::default();
    relay.duplicate_publish = adapter::proto::relay::DuplicatePublish::Replace;
    let srv = start(Server::builder().relay_config(relay)).await;
    let mut old = connected(srv.addr, "live").await;
    publishing(&mut old, "cam").await;
    let mut new = connected(srv.addr, "live").await;
    let h = publishing(&mut new, "cam").await;
    loop {
        match bounded("old publisher to be closed", old.next_event()).await {
            Ok(Some(ClientEvent::Closed(_))) | Ok(None) | Err(_) => break,
            Ok(Some(_)) => {}
        }
    }
    // The stream is the newcomer's: a player receives its frames.
    send_all(&mut new, h, &stream_frames(1)).await;
    let mut player = connected(srv.addr, "live").await;
    playing(&mut player, "cam").await;
    let got = receive(&mut player, 4).await;
    assert_eq!(got, stream_frames(1));
    srv.stop().await;
}

tests!(
    played_media_is_byte_identical_to_published_media,
    with_a_write_merge_window_played_media_is_still_byte_identical,
    players_learn_the_end_of_the_stream_at_once,
    shutdown_ends_streams_and_closes_every_connection,
    play_of_a_stream_nobody_publishes_is_refused,
    with_replace_policy_a_new_publisher_takes_over_and_the_old_one_is_closed,
);

// On two worker threads the publisher's task writes to players (direct delivery) while their
// own tasks run on the other thread: frames must still arrive whole and in order.
threaded_tests!(
    a_player_that_stops_reading_is_cut_and_nobody_else_waits,
    played_media_is_byte_identical_to_published_media,
);
