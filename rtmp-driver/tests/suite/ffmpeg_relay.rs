//! Real peers: ffmpeg publishes an H.264 + AAC test pattern to the relay, an ffmpeg player
//! copies it to a file, ffprobe counts the frames.
//!
//! Needs `ffmpeg` and `ffprobe` (`scripts/install-test-deps.sh`); without them the test
//! fails, naming the script.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;
use rtmp_tokio::Server;
use rtmp_tokio::proto::relay::RelayConfig;
use rtmp_tokio::proto::session::{ClientEvent, PublishMode};

/// Kills the child when the test ends, however it ends.
struct Proc {
    name: &'static str,
    child: Child,
}

impl Proc {
    fn spawn(name: &'static str, cmd: &mut Command) -> Proc {
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {name}: {e}"));
        Proc { name, child }
    }

    /// Waits for the exit, at most `limit`.
    async fn wait(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                start.elapsed() < limit,
                "{} still running after {limit:?}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn count_video_frames(file: &Path) -> u64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("ffprobe");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("ffprobe output {text:?}"))
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "rtmp-tokio-ffmpeg-{}-{}",
        std::process::id(),
        Instant::now().elapsed().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ffmpeg_publish_relay_play_duplicate_refused_and_end_propagates() {
    require_tools(&["ffmpeg", "ffprobe"]);
    tokio::time::timeout(Duration::from_secs(40), scenario())
        .await
        .expect("whole ffmpeg scenario within 40 s");
}

async fn scenario() {
    let dir = temp_dir();
    // The relay's defaults: the player starts first and waits for the publisher, so it can
    // receive every frame however slowly the machine starts processes; after the
    // publisher ends it is held for the grace period, then its stream ends.
    let grace = RelayConfig::default().publisher_grace;
    let builder = Server::builder().record_dir(dir.join("rec"));
    let srv = start(builder).await;
    let url = format!("rtmp://{}/live/test", srv.addr);

    let out = dir.join("out.flv");
    let mut player = Proc::spawn(
        "ffmpeg player",
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-i"])
            .arg(&url)
            .args(["-c", "copy", "-f", "flv", "-y"])
            .arg(&out),
    );
    bounded("player to join", async {
        while srv.handle.stats().players == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;

    // 4 s of 25 fps video (100 frames) with a keyframe every second, plus AAC audio.
    let mut publisher = Proc::spawn(
        "ffmpeg publisher",
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-re"])
            .args(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"])
            .args(["-f", "lavfi", "-i", "sine"])
            .args(["-t", "4", "-c:v", "libx264", "-g", "25", "-c:a", "aac"])
            .args(["-f", "flv"])
            .arg(&url),
    );
    bounded("publish to start", async {
        while srv.handle.stats().publishers == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;

    // A second publisher on the live key is refused; the first keeps going.
    let mut dup = connected(srv.addr, "live").await;
    let h = dup.session().publish("test", PublishMode::Live).unwrap();
    let code = until(&mut dup, |e| match e {
        ClientEvent::StreamFailed { handle, code, .. } if *handle == h => Some(code.clone()),
        ClientEvent::PublishStarted { .. } => panic!("duplicate publish accepted"),
        _ => None,
    })
    .await;
    assert!(
        code.as_str().starts_with("NetStream.Publish."),
        "code {code}"
    );
    drop(dup);

    let status = publisher.wait(Duration::from_secs(20)).await;
    assert!(status.success(), "publisher failed: {status}");
    let stopped = Instant::now();
    let status = player.wait(grace + Duration::from_secs(5)).await;
    let ended_after = stopped.elapsed();
    assert!(status.success(), "player failed: {status}");
    assert!(
        ended_after >= grace - Duration::from_millis(500)
            && ended_after <= grace + Duration::from_secs(2),
        "player ended {ended_after:?} after the publisher (grace {grace:?})"
    );

    let frames = count_video_frames(&out);
    assert!(frames >= 95, "player received {frames} of 100 video frames");
    let recorded = dir.join("rec/live/test-1.flv");
    let rec_frames = count_video_frames(&recorded);
    assert!(
        rec_frames >= 95,
        "recording holds {rec_frames} of 100 video frames"
    );

    eprintln!(
        "ffmpeg relay: player {frames}/100 video frames, recording {rec_frames}/100, \
         player ended {ended_after:?} after the publisher"
    );
    srv.stop().await;
    std::fs::remove_dir_all(&dir).ok();
}
