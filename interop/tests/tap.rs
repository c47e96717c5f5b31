//! Taps and lifecycle events with real peers. ffmpeg publishes H.264 + AAC: a tap taking
//! parsed frames (Annex B, ADTS) gets keyframes that ffmpeg decodes one by one, and AAC
//! that ffprobe reads at the published sample rate and ffmpeg decodes; the publisher's
//! connection reports every step once, in order, ending with a client stop. A recent
//! ffmpeg publishes HEVC (Enhanced RTMP): the tap's HEVC keyframes decode too.

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtmp_interop::ffmpeg::{self, FPS};
use rtmp_interop::{
    Adapter, EventSink, Proc, RunningServer, ServerOpts, for_each_adapter, peers, start, temp_dir,
};
use rtmp_proto::media::depacketize::{Codec, FrameFormat, ParsedFrame};
use rtmp_proto::media::{AudioCodec, VideoCodec};
use rtmp_proto::relay::StreamKey;
use rtmp_tokio::{Event, EventKind, StopReason, TapItem, TapMode};

const FRAMES: u32 = 75;

/// Everything a tap delivered until its stream ended, read on a thread of its own as it
/// comes (a tap read only at the end would lag, and lose inter frames for it).
fn tap_all(srv: &RunningServer, name: &str) -> std::thread::JoinHandle<Vec<TapItem>> {
    let mut tap = srv
        .handle
        .tap("live", name, TapMode::Frames(FrameFormat::default()))
        .expect("tap");
    std::thread::spawn(move || {
        let mut got = Vec::new();
        loop {
            let next = smol::block_on(smol::future::or(async { Some(tap.next().await) }, async {
                smol::Timer::after(Duration::from_secs(20)).await;
                None
            }));
            match next.expect("the tap hung") {
                Ok(item) => got.push(item),
                Err(_) => return got,
            }
        }
    })
}

fn frames_of(items: &[TapItem], codec: Codec) -> Vec<&ParsedFrame> {
    items
        .iter()
        .filter_map(|i| match i {
            TapItem::Frame(f) if f.codec == codec => Some(f),
            _ => None,
        })
        .collect()
}

/// Writes every keyframe to a file of its own and decodes each alone: one picture each.
fn keyframes_decode(ffmpeg: &Path, dir: &Path, frames: &[&ParsedFrame], ext: &str) -> usize {
    let keys: Vec<_> = frames.iter().filter(|f| f.keyframe).collect();
    assert!(keys.len() >= 2, "{} keyframes", keys.len());
    for (i, k) in keys.iter().enumerate() {
        let file = dir.join(format!("key-{i}.{ext}"));
        std::fs::write(&file, &k.data).unwrap();
        let decoded = ffmpeg::decoded_video_frames(ffmpeg, &file)
            .unwrap_or_else(|e| panic!("keyframe {i} does not decode: {e}"));
        assert_eq!(decoded, 1, "keyframe {i}");
    }
    keys.len()
}

fn audio_sample_rate(ffprobe: &Path, file: &Path) -> String {
    let out = Command::new(ffprobe)
        .args(["-v", "error", "-select_streams", "a:0"])
        .args(["-show_entries", "stream=sample_rate", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("ffprobe");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn an_ffmpeg_publish_tapped_as_frames_decodes(adapter: Adapter) {
    let Some(p) = peers::legacy("tap") else {
        return;
    };
    let dir = temp_dir("tap");
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let log = events.clone();
    let mut opts = ServerOpts::default();
    opts.relay.publisher_grace = Duration::ZERO;
    opts.on_event = Some(EventSink(Arc::new(move |e| log.lock().unwrap().push(e))));
    let srv = start(adapter, &opts);
    // The tap waits for the publisher (the relay's default).
    let reader = tap_all(&srv, "gen");
    let mut publisher = Proc::spawn(
        "ffmpeg publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &srv.url("gen"), FRAMES, FPS),
    );
    publisher.wait_success(Duration::from_secs(30));
    let items = reader.join().expect("the tap's thread");

    let video = frames_of(&items, Codec::Video(VideoCodec::Avc));
    let keys = keyframes_decode(&p.ffmpeg, &dir, &video, "h264");
    let audio = frames_of(&items, Codec::Audio(AudioCodec::Aac));
    let aac = dir.join("audio.aac");
    let adts: Vec<u8> = audio.iter().flat_map(|f| f.data.iter().copied()).collect();
    std::fs::write(&aac, adts).unwrap();
    assert_eq!(audio_sample_rate(&p.ffprobe, &aac), "44100");
    ffmpeg::decode_file(&p.ffmpeg, &aac).unwrap_or_else(|e| panic!("the ADTS file: {e}"));
    eprintln!(
        "tap/{}: {} video frames ({keys} keyframes decoded alone), {} AAC frames in ADTS",
        adapter.name(),
        video.len(),
        audio.len()
    );
    assert!(
        video.len() as u32 * 100 >= FRAMES * 95,
        "{} frames",
        video.len()
    );

    // The publisher's connection, step by step.
    srv.stop();
    let all = events.lock().unwrap().clone();
    let conn = all
        .iter()
        .find(|e| matches!(e.kind, EventKind::PublishStarted { .. }))
        .expect("a publish")
        .conn;
    let kinds: Vec<_> = all
        .into_iter()
        .filter(|e| e.conn == conn)
        .map(|e| e.kind)
        .collect();
    let key = StreamKey::new("live", "gen");
    assert!(
        matches!(
            &kinds[..],
            [
                EventKind::Opened,
                EventKind::HandshakeDone,
                EventKind::Connected { .. },
                EventKind::FcPublish { .. },
                EventKind::PublishStarted { key: k1 },
                EventKind::Metadata { key: k2 },
                EventKind::PublishStopped { key: k3, reason: StopReason::Client },
                EventKind::Closed { bytes_in, .. },
            ] if *k1 == key && *k2 == key && *k3 == key && *bytes_in > 50_000
        ),
        "{kinds:#?}"
    );
}

fn an_hevc_publish_tapped_as_frames_decodes(adapter: Adapter) {
    let Some((recent, _)) = peers::recent("tap") else {
        return;
    };
    let dir = temp_dir("tap-hevc");
    let mut opts = ServerOpts::default();
    opts.relay.publisher_grace = Duration::ZERO;
    let srv = start(adapter, &opts);
    let reader = tap_all(&srv, "hevc");
    let secs = f64::from(FRAMES) / f64::from(FPS);
    let mut publisher = Proc::spawn(
        "ffmpeg 9 HEVC publisher",
        Command::new(&recent)
            .args(["-hide_banner", "-nostdin", "-loglevel", "error", "-re"])
            .args(["-f", "lavfi", "-i"])
            .arg(format!("testsrc=size=320x240:rate={FPS}"))
            .args(["-f", "lavfi", "-i"])
            .arg(format!("sine=sample_rate=48000:duration={secs}"))
            .args(["-frames:v", &FRAMES.to_string(), "-c:v", "libx265"])
            .args(["-preset", "ultrafast", "-x265-params"])
            .arg("log-level=error:pools=1:frame-threads=1")
            .args([
                "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
            ])
            .args(["-f", "flv"])
            .arg(srv.url("hevc")),
    );
    publisher.wait_success(Duration::from_secs(40));
    let items = reader.join().expect("the tap's thread");
    let video = frames_of(&items, Codec::Video(VideoCodec::Hevc));
    let keys = keyframes_decode(&recent, &dir, &video, "h265");
    eprintln!(
        "tap/{}: {} HEVC frames, {keys} keyframes decoded alone",
        adapter.name(),
        video.len()
    );
    srv.stop();
}

mod h264_aac {
    use super::*;
    for_each_adapter!(an_ffmpeg_publish_tapped_as_frames_decodes);
}

mod hevc {
    use super::*;
    for_each_adapter!(an_hevc_publish_tapped_as_frames_decodes);
}
