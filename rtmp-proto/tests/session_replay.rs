//! Real ffmpeg 5.1 traffic replayed into a [`ServerSession`]: what ffmpeg sent to our
//! `std_server` example through a recording proxy (`scripts/capture-ffmpeg-session.py`),
//! from C0 on. Publish: one second of 64x64 H.264 + AAC, cut after 6 KiB (the first few
//! media messages). Play: everything ffmpeg sent to play `live/test`, which had no publisher.
//!
//! Every decision is accepted as soon as it is asked, and the exact event sequence must not
//! depend on how the bytes were split: whole, one byte per call, or random pieces.

use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use rtmp_proto::amf::Value;
use rtmp_proto::rng::Rng;
use rtmp_proto::session::{
    ConnectReply, MediaKind, PublishMode, ServerConfig, ServerEvent, ServerSession, StreamId,
};

const PUBLISH: &[u8] = include_bytes!("data/ffmpeg-publish-session.bin");
const PLAY: &[u8] = include_bytes!("data/ffmpeg-play-session.bin");

#[derive(Debug, Clone, Copy)]
enum Split {
    Whole,
    OneByte,
    Random(u64),
}

const SPLITS: [Split; 5] = [
    Split::Whole,
    Split::OneByte,
    Split::Random(1),
    Split::Random(7),
    Split::Random(0xFEED),
];

/// Feeds `bytes` in pieces, answering every decision at once; returns the events. Every
/// `handle_input` must succeed: ffmpeg speaks the protocol.
fn replay(bytes: &[u8], split: Split) -> Vec<ServerEvent> {
    let now = Instant::now();
    let mut s = ServerSession::new(Arc::new(ServerConfig::default()), now);
    let mut events = Vec::new();
    let mut input = BytesMut::new();
    let mut rng = Rng::new(match split {
        Split::Random(seed) => seed,
        _ => 0,
    });
    let mut rest = bytes;
    while !rest.is_empty() {
        let n = match split {
            Split::Whole => rest.len(),
            Split::OneByte => 1,
            Split::Random(_) => (1 + rng.below(300) as usize).min(rest.len()),
        };
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        input.extend_from_slice(piece);
        s.handle_input(now, &mut input)
            .unwrap_or_else(|e| panic!("{split:?}: ffmpeg's bytes refused: {e}"));
        while let Some(ev) = s.poll_event() {
            match &ev {
                ServerEvent::ConnectRequested { id, .. } => {
                    s.accept_connect(now, *id, ConnectReply::default()).unwrap();
                }
                ServerEvent::PublishRequested { id, .. } => s.accept_publish(now, *id).unwrap(),
                ServerEvent::PlayRequested { id, .. } => s.accept_play(now, *id).unwrap(),
                _ => {}
            }
            events.push(ev);
        }
        while s.poll_transmit().is_some() {}
    }
    assert!(!s.is_closed(), "{split:?}: the session closed");
    events
}

/// Every split gives the same events as the whole input.
fn same_under_every_split(bytes: &[u8]) -> Vec<ServerEvent> {
    let whole = replay(bytes, Split::Whole);
    for split in SPLITS {
        assert_eq!(replay(bytes, split), whole, "{split:?} differs from whole");
    }
    whole
}

/// HandshakeDone, then the connect of `live` with ffmpeg's flashVer.
fn expect_connect<'a>(events: &'a [ServerEvent], flash_ver: &str) -> &'a [ServerEvent] {
    let [
        ServerEvent::HandshakeDone,
        ServerEvent::ConnectRequested { request, .. },
        rest @ ..,
    ] = events
    else {
        panic!("expected HandshakeDone, ConnectRequested: {events:#?}");
    };
    assert_eq!(request.app, "live");
    assert_eq!(request.query, None);
    assert_eq!(request.flash_ver.as_deref(), Some(flash_ver));
    let tc_url = request.tc_url.as_deref().unwrap_or_default();
    assert!(
        tc_url.starts_with("rtmp://127.0.0.1:") && tc_url.ends_with("/live"),
        "{tc_url}"
    );
    assert_eq!(request.object_encoding, 0.0);
    rest
}

#[test]
fn ffmpeg_publish_session_replays_to_the_same_events() {
    let events = same_under_every_split(PUBLISH);
    let rest = expect_connect(&events, "FMLE/3.0 (compatible; Lavf59.27.100)");
    let one = StreamId(1);
    let [
        ServerEvent::FcPublish { name: announced },
        ServerEvent::StreamCreated { stream },
        ServerEvent::PublishRequested { request, .. },
        ServerEvent::Metadata {
            stream: meta_stream,
            metadata,
        },
        media @ ..,
    ] = rest
    else {
        panic!("expected FcPublish, StreamCreated, PublishRequested, Metadata: {rest:#?}");
    };
    assert_eq!(announced, "test");
    assert_eq!(*stream, one);
    assert_eq!(request.stream, one);
    assert_eq!(request.name, "test");
    assert_eq!(request.mode, PublishMode::Live);
    assert_eq!(*meta_stream, one);
    assert_eq!(
        metadata.values.get("width").and_then(Value::as_f64),
        Some(64.0)
    );
    assert_eq!(
        metadata.values.get("height").and_then(Value::as_f64),
        Some(64.0)
    );
    assert_eq!(
        metadata.values.get("videocodecid").and_then(Value::as_f64),
        Some(7.0)
    );
    assert_eq!(
        metadata.values.get("audiocodecid").and_then(Value::as_f64),
        Some(10.0)
    );
    // The relayed form drops the `@setDataFrame` wrapper.
    assert!(metadata.payload.starts_with(b"\x02\x00\x0aonMetaData"));

    let media: Vec<_> = media
        .iter()
        .map(|ev| match ev {
            ServerEvent::Media { stream, media } => {
                assert_eq!(*stream, one);
                (media.kind, media.timestamp, media.payload.clone())
            }
            other => panic!("only media after the metadata, got {other:?}"),
        })
        .collect();
    assert!(media.len() >= 5, "only {} media messages", media.len());
    // AVC sequence header (keyframe, packet type 0), AAC sequence header (0xAF 0x00), then
    // the first keyframe (packet type 1).
    let (k0, t0, p0) = &media[0];
    assert_eq!(
        (*k0, *t0, p0.get(..2)),
        (MediaKind::Video, 0, Some(&[0x17, 0][..]))
    );
    let (k1, t1, p1) = &media[1];
    assert_eq!(
        (*k1, *t1, p1.get(..2)),
        (MediaKind::Audio, 0, Some(&[0xAF, 0][..]))
    );
    let (k2, t2, p2) = &media[2];
    assert_eq!(
        (*k2, *t2, p2.get(..2)),
        (MediaKind::Video, 0, Some(&[0x17, 1][..]))
    );
    for kind in [MediaKind::Video, MediaKind::Audio] {
        let ts: Vec<u32> = media.iter().filter(|m| m.0 == kind).map(|m| m.1).collect();
        assert!(
            ts.windows(2).all(|w| w[0] <= w[1]),
            "{kind:?} timestamps {ts:?}"
        );
        assert!(
            ts.last() > ts.first(),
            "{kind:?} timestamps never advance: {ts:?}"
        );
    }
    // ffmpeg paces video at 10 fps: 100 ms apart.
    let video: Vec<u32> = media
        .iter()
        .filter(|m| m.0 == MediaKind::Video)
        .map(|m| m.1)
        .collect();
    assert_eq!(video.get(2), Some(&100));
}

/// Regression: ffmpeg's SetBufferLength for stream 1 used to overtake the `createStream` and
/// `play` held behind the connect decision when the whole session arrived at once.
#[test]
fn ffmpeg_play_session_replays_to_the_same_events() {
    let events = same_under_every_split(PLAY);
    let rest = expect_connect(&events, "LNX 9,0,124,2");
    let one = StreamId(1);
    let [
        ServerEvent::StreamCreated { stream },
        ServerEvent::PlayRequested { request, .. },
        ServerEvent::BufferLength {
            stream: buf_stream,
            millis,
        },
        more @ ..,
    ] = rest
    else {
        panic!("expected StreamCreated, PlayRequested, BufferLength: {rest:#?}");
    };
    assert_eq!(*stream, one);
    assert_eq!(request.stream, one);
    assert_eq!(request.name, "test");
    assert_eq!(request.query, None);
    assert_eq!(request.start, -2000.0);
    assert!(request.reset);
    assert_eq!((*buf_stream, *millis), (one, 3000));
    // Whatever ffmpeg sent while it waited for media (more buffer lengths, nothing else).
    assert!(
        more.iter()
            .all(|e| matches!(e, ServerEvent::BufferLength { stream, .. } if *stream == one)),
        "{more:#?}"
    );
}
