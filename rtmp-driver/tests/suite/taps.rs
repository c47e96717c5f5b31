//! Taps (`ServerHandle::tap`): one stream as FLV tags (zero-copy), as parsed frames, or as
//! events only; a tap that stops reading drops to keyframes, then is cut, its drops counted,
//! like a slow player.

use std::time::Duration;

use crate::common::*;
use adapter::driver::server::SubscriptionEnd;
use adapter::proto::media::VideoCodec;
use adapter::proto::media::depacketize::{AacFormat, Codec, FrameFormat, NalFormat, ParsedFrame};
use adapter::proto::media::flv::FlvTagType;
use adapter::proto::relay::RelayConfig;
use adapter::proto::session::{Media, MediaKind};
use adapter::{Server, TapEvent, TapItem, TapMode};
use bytes::Bytes;

/// An avcC with one SPS and one PPS, 4-byte NAL lengths.
const AVCC: &[u8] = &[
    1, 0x42, 0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0, 0x1e, 1, 0, 2, 0x68, 0xce,
];

fn video(timestamp: u32, body: &[u8]) -> Media {
    Media {
        kind: MediaKind::Video,
        timestamp,
        payload: Bytes::copy_from_slice(body),
    }
}

/// Sequence header, an IDR, an inter frame.
fn stream() -> Vec<Media> {
    let mut header = vec![0x17, 0, 0, 0, 0];
    header.extend_from_slice(AVCC);
    vec![
        video(0, &header),
        video(0, &[0x17, 1, 0, 0, 0, 0, 0, 0, 2, 0x65, 0x88]),
        video(40, &[0x27, 1, 0, 0, 0, 0, 0, 0, 2, 0x41, 0x9a]),
    ]
}

async fn items(tap: &mut adapter::Tap, n: usize) -> Vec<TapItem> {
    let mut got = Vec::new();
    while got.len() < n {
        got.push(bounded("a tap item", tap.next()).await.expect("an item"));
    }
    got
}

async fn a_stream_is_tapped_as_tags_frames_and_events() {
    let srv = start(Server::builder()).await;
    let mut tags = srv.handle.tap("live", "t", TapMode::Tags).unwrap();
    let raw = FrameFormat {
        nal: NalFormat::LengthPrefixed,
        aac: AacFormat::Raw,
    };
    let mut raw_frames = srv.handle.tap("live", "t", TapMode::Frames(raw)).unwrap();
    let mut annex_b = srv
        .handle
        .tap("live", "t", TapMode::Frames(FrameFormat::default()))
        .unwrap();
    let mut events = srv.handle.tap("live", "t", TapMode::Events).unwrap();
    let mut publisher = srv.handle.publish("live", "t").unwrap();
    let sent = stream();
    for m in &sent {
        publisher.send_media(m.clone());
    }

    // Tags: the published payloads themselves.
    for (i, item) in items(&mut tags, 3).await.into_iter().enumerate() {
        let TapItem::Tag(t) = item else {
            panic!("tag expected: {item:?}")
        };
        assert_eq!(t.tag_type, FlvTagType::Video);
        assert_eq!(
            t.data.as_ptr(),
            sent[i].payload.as_ptr(),
            "tag {i} was copied"
        );
        assert_eq!(t.timestamp, sent[i].timestamp);
    }
    // Frames: the configuration, then the two frames (length-prefixed: the message data).
    let got = items(&mut raw_frames, 3).await;
    assert!(matches!(&got[0], TapItem::Event(TapEvent::Config { data, .. }) if data[..] == *AVCC));
    let frame = |i: &TapItem| -> ParsedFrame {
        match i {
            TapItem::Frame(f) => f.clone(),
            other => panic!("frame expected: {other:?}"),
        }
    };
    let (key, inter) = (frame(&got[1]), frame(&got[2]));
    assert_eq!(key.codec, Codec::Video(VideoCodec::Avc));
    assert!(key.keyframe && !inter.keyframe);
    assert_eq!(key.data.as_ptr(), sent[1].payload[5..].as_ptr());
    assert_eq!(inter.timestamp, 40);
    // Annex B: the keyframe carries SPS and PPS in front.
    let got = items(&mut annex_b, 3).await;
    assert_eq!(
        frame(&got[1]).data[..],
        [
            0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0, 0, 0, 1, 0x68, 0xce, 0, 0, 0, 1, 0x65, 0x88
        ]
    );
    assert_eq!(frame(&got[2]).data[..], [0, 0, 0, 1, 0x41, 0x9a]);
    // Events: the configuration and the keyframe, nothing for the inter frame.
    let got = items(&mut events, 2).await;
    assert!(matches!(got[0], TapItem::Event(TapEvent::Config { .. })));
    assert!(matches!(
        got[1],
        TapItem::Event(TapEvent::Keyframe { timestamp: 0, .. })
    ));
    drop(publisher);
    srv.stop().await;
}

async fn a_tap_that_stops_reading_drops_to_keyframes_then_is_cut() {
    let mut relay = RelayConfig::default();
    relay.player_soft_bytes = 64 * 1024;
    relay.player_hard_bytes = 256 * 1024;
    relay.max_consecutive_lag_events = 0;
    relay.player_max_age = Duration::from_millis(300);
    let srv = start(Server::builder().relay_config(relay)).await;
    let mut tap = srv.handle.tap("live", "t", TapMode::Tags).unwrap();
    let mut publisher = srv.handle.publish("live", "t").unwrap();
    let mut i = 0;
    bounded("the tap to be cut", async {
        while tap.stats().lag_disconnects == 0 {
            for m in video_frames(25, 8 * 1024, 25) {
                let mut m = m;
                m.timestamp += i * 1000;
                publisher.send_media(m);
            }
            i += 1;
            crate::rt::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let stats = tap.stats();
    assert!(
        stats.frames_dropped > 0 && stats.lag_events >= 1,
        "{stats:?}"
    );
    assert!(matches!(
        bounded("the tap's end", tap.next()).await,
        Err(SubscriptionEnd::TooSlow(_))
    ));
    drop(publisher);
    srv.stop().await;
}

tests!(
    a_stream_is_tapped_as_tags_frames_and_events,
    a_tap_that_stops_reading_drops_to_keyframes_then_is_cut,
);
