//! The `custom_server` example as a user runs it: the built example binary with its
//! `--listen` flag, and ffmpeg publishing to it. Needs ffmpeg
//! (`scripts/install-test-deps.sh`); without it the test fails, naming the script.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The example binary cargo built next to this test's directory.
fn example() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    dir.join("examples").join("custom_server")
}

#[test]
fn an_ffmpeg_publish_to_the_custom_server_is_logged() {
    assert!(
        Command::new("ffmpeg").arg("-version").output().is_ok(),
        "ffmpeg not installed: run scripts/install-test-deps.sh"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut server = Command::new(example())
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the custom_server example (built by cargo test)");
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi"])
        .args(["-i", "testsrc=size=320x240:rate=25", "-t", "2"])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
            "-f",
            "flv",
        ])
        .arg(format!("rtmp://127.0.0.1:{port}/live/test"))
        .status()
        .expect("ffmpeg");
    std::thread::sleep(Duration::from_millis(300));
    let _ = server.kill();
    let mut out = String::new();
    if let Some(mut stdout) = server.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    let _ = server.wait();
    assert!(status.success(), "ffmpeg failed; server said:\n{out}");
    for expected in ["connect app=live", "publish test", "32 frames", "in all"] {
        assert!(out.contains(expected), "{expected:?} not logged:\n{out}");
    }
}
