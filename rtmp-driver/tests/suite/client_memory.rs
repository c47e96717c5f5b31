//! Memory per publishing session: N publishers push a GOP each to a server running in a
//! child process (so only the client side is measured); the growth of this process's
//! resident set divided by N is printed and bounded (embedded target: under 2 MB).
//!
//! Linux only (reads `/proc/self/status`); elsewhere it fails rather than skip.
// The child prints its port; the parent prints the measurement.
#![allow(clippy::print_stdout)]

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::common::bounded;
use crate::rt;
use adapter::{Client, Publisher, Server};
use bytes::Bytes;

const PUBLISHERS: usize = 64;
const BOUND_PER_SESSION: usize = 2 * 1024 * 1024;
const SERVE_ENV: &str = "RTMP_CLIENT_MEMORY_SERVER";

fn rss_bytes() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

/// The child: a relay on port 0, its port on stdout, running until stdin closes.
#[test]
#[ignore = "the server half of client_memory, run as a child process"]
fn serve_for_memory_test() {
    if std::env::var(SERVE_ENV).is_err() {
        return;
    }
    rt::block_on(async {
        let server = Server::builder()
            .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
            .max_connections(4 * PUBLISHERS)
            .bind()
            .await
            .unwrap();
        println!("PORT={}", server.local_addr().port());
        let handle = server.handle();
        let run = rt::serve(server);
        rt::unblock(|| {
            let mut sink = Vec::new();
            let _ = std::io::stdin().read_to_end(&mut sink);
        })
        .await;
        handle.shutdown();
        let _ = run.await;
    })
}

struct ChildServer {
    child: Child,
    port: u16,
}

impl ChildServer {
    fn start() -> ChildServer {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "client_memory::serve_for_memory_test",
                "--nocapture",
            ])
            .env(SERVE_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the server child");
        let out = child.stdout.take().unwrap();
        let port = BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .find_map(|l| l.strip_prefix("PORT=").and_then(|p| p.parse().ok()))
            .expect("child prints its port");
        ChildServer { child, port }
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A GOP: sequence header, an 8 KiB keyframe, 24 inter frames of 1 KiB.
async fn push_gop(p: &Publisher, base: u32) {
    let mut header = vec![0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0];
    header.resize(40, 0);
    p.send_video(base, Bytes::from(header)).await.unwrap();
    let mut key = vec![0x17, 1, 0, 0, 0];
    key.resize(8 * 1024, 0x65);
    p.send_video(base, Bytes::from(key)).await.unwrap();
    for i in 1..25u32 {
        let mut inter = vec![0x27, 1, 0, 0, 0];
        inter.resize(1024, 0x41);
        p.send_video(base + i * 40, Bytes::from(inter))
            .await
            .unwrap();
    }
}

async fn memory_per_publishing_session_is_bounded() {
    assert!(
        rss_bytes().is_some(),
        "this test measures RSS from /proc/self/status, which this platform lacks"
    );
    let server = ChildServer::start();
    let url = format!("rtmp://127.0.0.1:{}/live/", server.port);

    // Warm up: runtime threads, allocator arenas, lazily built statics.
    let warm = bounded("warm-up publish", Client::publish(&format!("{url}warm")))
        .await
        .unwrap();
    push_gop(&warm, 0).await;
    rt::sleep(Duration::from_millis(100)).await;
    let before = rss_bytes().unwrap();

    let mut publishers = Vec::with_capacity(PUBLISHERS);
    for i in 0..PUBLISHERS {
        let p = bounded("publish", Client::publish(&format!("{url}cam{i}")))
            .await
            .unwrap();
        publishers.push(p);
    }
    for p in &publishers {
        push_gop(p, 0).await;
    }
    // Everything sent and flushed (the counters count frames handed to the session).
    bounded("frames out", async {
        for p in &publishers {
            p.wait_until(|s| s.counters.sent >= 26).await.unwrap();
        }
    })
    .await;
    rt::sleep(Duration::from_millis(200)).await;
    let after = rss_bytes().unwrap();
    let per_session = after.saturating_sub(before) / PUBLISHERS;
    println!(
        "client memory: {PUBLISHERS} publishers, RSS {} KiB -> {} KiB, {} KiB per publishing session",
        before / 1024,
        after / 1024,
        per_session / 1024
    );
    eprintln!(
        "client memory: {} KiB per publishing session (bound {} KiB)",
        per_session / 1024,
        BOUND_PER_SESSION / 1024
    );
    assert!(
        per_session < BOUND_PER_SESSION,
        "{per_session} bytes per publishing session"
    );
    for p in publishers {
        bounded("close", p.close()).await.unwrap();
    }
    bounded("close", warm.close()).await.unwrap();
}

threaded_tests!(memory_per_publishing_session_is_bounded,);
