//! What a `Player` records (the `play` example's path: `Player` events into
//! `FlvFileWriter`) is a valid FLV file: ffprobe finds the H.264 and AAC streams of the
//! file a `Publisher` pushed in real time, and decodes video frames.
//!
//! Needs `ffprobe` (`scripts/install-test-deps.sh`); without it the test fails, naming
//! the script.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{bounded, require_tools, start};
use crate::rt;
use adapter::driver::client::flv_file::FlvFileWriter;
use adapter::{Client, PlayerEvent, Server};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../rtmp-proto/tests/data/legacy_h264_aac.flv")
}

async fn recorded_play_output_is_valid_flv() {
    require_tools(&["ffprobe"]);
    let server = start(Server::builder()).await;
    let url = format!("rtmp://{}/live/file", server.addr);
    let publisher = bounded("publish", Client::publish(&url)).await.unwrap();
    let pusher = rt::spawn(async move {
        let r = publisher.push_flv_file(&fixture(), true).await;
        (publisher, r)
    });

    let out = std::env::temp_dir().join(format!(
        "rtmp-{}-play-{}-{}.flv",
        rt::NAME,
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    let mut player = Client::play(&url).await.unwrap();
    let mut file = FlvFileWriter::create(&out).unwrap();
    let record_for = Duration::from_millis(1500);
    let began = Instant::now();
    bounded("record", async {
        while began.elapsed() < record_for {
            let ev = rt::timeout(record_for, player.next()).await;
            match ev {
                Some(Some(PlayerEvent::Media(m))) => file.write_media(&m).unwrap(),
                Some(Some(PlayerEvent::Metadata(m))) => file.write_metadata(&m).unwrap(),
                Some(Some(PlayerEvent::Started { .. })) => file.discontinuity(),
                Some(Some(_)) | None => {}
                Some(None) => panic!("player ended"),
            }
        }
    })
    .await;
    let tags = file.tags();
    file.finish().unwrap();
    assert!(tags > 20, "recorded {tags} tags");
    player.close().await;
    pusher.abort();

    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames"])
        .args([
            "-show_entries",
            "stream=codec_name,nb_read_frames",
            "-of",
            "csv=p=0",
        ])
        .arg(&out)
        .output()
        .expect("ffprobe runs");
    let text = String::from_utf8_lossy(&probe.stdout).into_owned();
    let errors = String::from_utf8_lossy(&probe.stderr).into_owned();
    eprintln!("ffprobe: {text:?} stderr: {errors:?}");
    assert!(probe.status.success(), "ffprobe failed: {errors}");
    assert!(
        errors.trim().is_empty(),
        "ffprobe reported errors: {errors}"
    );
    let video_frames: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("h264,"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no h264 stream in {text:?}"));
    assert!(
        text.lines().any(|l| l.starts_with("aac,")),
        "no aac stream in {text:?}"
    );
    assert_eq!(
        text.lines().count(),
        2,
        "only the video and audio streams: {text:?}"
    );
    assert!(video_frames >= 5, "{video_frames} video frames decoded");
    std::fs::remove_file(&out).ok();
    server.stop().await;
}

tests!(recorded_play_output_is_valid_flv,);
