//! A stream published from the application's own code (`ServerHandle::publish`): an
//! H.264 + AAC file, read by our FLV reader and handed to a `LocalPublisher` at its own
//! pace, is decoded by an ffmpeg player (≥95% of the frames, no error), and an in-process
//! subscriber receives every tag, byte-identical.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtmp_interop::ffmpeg::{self, Play};
use rtmp_interop::{Adapter, Proc, ServerOpts, for_each_adapter, peers, start, temp_dir};
use rtmp_proto::media::flv::{FlvItem, FlvReader, FlvReaderConfig, FlvTagType};
use rtmp_proto::relay::Frame;
use rtmp_proto::session::{Media, MediaKind};

const FRAMES: u32 = 100;

fn frames_of(file: &std::path::Path) -> Vec<Frame> {
    let mut buf = BytesMut::from(&std::fs::read(file).expect("the pattern file")[..]);
    let mut reader = FlvReader::new(FlvReaderConfig::default());
    let mut frames = Vec::new();
    while let Some(item) = reader.read(&mut buf).expect("a valid FLV") {
        let FlvItem::Tag(tag) = item else { continue };
        let frame = match tag.tag_type {
            FlvTagType::Audio | FlvTagType::Video => Frame::media(Media {
                kind: if tag.tag_type == FlvTagType::Audio {
                    MediaKind::Audio
                } else {
                    MediaKind::Video
                },
                timestamp: tag.timestamp,
                payload: tag.data,
            }),
            FlvTagType::Script => Frame::metadata_payload(tag.data, tag.timestamp),
            _ => continue,
        };
        frames.push(frame);
    }
    frames
}

fn a_stream_published_from_code_is_decoded_by_ffmpeg(adapter: Adapter) {
    let Some(p) = peers::legacy("local_publish") else {
        return;
    };
    let dir = temp_dir("local-publish");
    let file = ffmpeg::pattern_file(&p.ffmpeg, &dir, FRAMES, 25);
    let frames = frames_of(&file);
    let mut opts = ServerOpts::default();
    opts.relay.publisher_grace = Duration::ZERO;
    let srv = start(adapter, &opts);
    // Both wait for the publisher (the relay's default).
    let mut player = Proc::spawn(
        "ffmpeg player",
        &mut ffmpeg::player(&p.ffmpeg, &srv.url("gen"), Play::Decode),
    );
    let mut subscriber = srv.handle.subscribe("live", "gen").expect("subscribe");
    srv.wait_players(2);

    // The subscriber reads as the frames come, on its own thread (a consumer that only
    // read at the end would be a lagging player, and lose inter frames for it).
    let reader = std::thread::spawn(move || {
        let mut got = Vec::new();
        loop {
            let next = smol::block_on(smol::future::or(
                async { Some(subscriber.next().await) },
                async {
                    smol::Timer::after(Duration::from_secs(5)).await;
                    None
                },
            ));
            match next.expect("the subscriber hung") {
                Ok(s) => got.push(s.frame.payload().clone()),
                Err(_) => return got,
            }
        }
    });
    let mut publisher = srv.handle.publish("live", "gen").expect("publish");
    let start_at = Instant::now();
    for f in &frames {
        let due = start_at + Duration::from_millis(u64::from(f.timestamp()));
        std::thread::sleep(due.saturating_duration_since(Instant::now()));
        publisher.send(std::slice::from_ref(f));
    }
    drop(publisher);
    let received = reader.join().expect("the subscriber's thread");
    let got = received.len();
    for (i, (r, f)) in received.iter().zip(&frames).enumerate() {
        assert_eq!(r, f.payload(), "tag {i} differs");
    }
    assert_eq!(
        got,
        frames.len(),
        "the subscriber got {got} of {} tags",
        frames.len()
    );
    let decoded = ffmpeg::finish_clean(&mut player, rtmp_interop::player_end_limit());
    eprintln!(
        "local_publish/{}: {} tags published from code; ffmpeg decoded {decoded} of {FRAMES} frames, the subscriber got all {got}",
        adapter.name(),
        frames.len()
    );
    ffmpeg::assert_most_frames("the ffmpeg player", decoded, FRAMES);
    srv.stop();
}

for_each_adapter!(a_stream_published_from_code_is_decoded_by_ffmpeg);
