//! Helpers of the shared adapter suite: an in-process server on port 0 and a
//! `ClientSession`-based client. Written against `adapter` (the crate under test, aliased
//! by each test file) and `crate::rt` (that adapter's runtime calls).
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use adapter::proto::session::{
    ClientConfig, ClientEvent, ConnectParams, Media, MediaKind, PublishMode, StreamHandle,
};
use adapter::{ClientConnection, ServerBuilder, ServerHandle};
use bytes::Bytes;

use crate::rt;

/// Every wait in these tests is bounded by this.
pub const STEP: Duration = Duration::from_secs(10);

/// Fails the test instead of hanging.
pub async fn bounded<T>(what: &str, f: impl Future<Output = T>) -> T {
    match rt::timeout(STEP, f).await {
        Some(v) => v,
        None => panic!("timed out on {}: {what}", rt::NAME),
    }
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub handle: ServerHandle,
    /// What `run` returns.
    pub run: rt::Task<std::io::Result<()>>,
}

/// Binds on port 0 and runs the server as an application would (see `rt::serve`).
pub async fn start(builder: ServerBuilder) -> TestServer {
    let server = builder
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .bind()
        .await
        .expect("bind");
    let addr = server.local_addr();
    let handle = server.handle();
    let run = rt::serve(server);
    TestServer { addr, handle, run }
}

impl TestServer {
    /// Waits for `run` to return (after a shutdown) and checks it returned `Ok`.
    pub async fn finished(self) {
        bounded("server run to return", self.run)
            .await
            .expect("run");
    }

    pub async fn stop(self) {
        self.handle.shutdown();
        self.finished().await;
    }
}

/// Next event, bounded; panics when the connection ends first.
pub async fn next(c: &mut ClientConnection) -> ClientEvent {
    bounded("client event", c.next_event())
        .await
        .expect("io")
        .expect("connection ended early")
}

/// Skips events until `pick` returns something.
pub async fn until<T>(
    c: &mut ClientConnection,
    mut pick: impl FnMut(&ClientEvent) -> Option<T>,
) -> T {
    loop {
        let e = next(c).await;
        if let Some(v) = pick(&e) {
            return v;
        }
        if let ClientEvent::Closed(reason) = e {
            panic!("closed while waiting: {reason:?}");
        }
    }
}

/// Opens a connection and sends connect; returns before the answer.
pub async fn open(addr: SocketAddr, app: &str) -> ClientConnection {
    let mut c = bounded(
        "tcp connect",
        ClientConnection::connect(addr, Arc::new(ClientConfig::default())),
    )
    .await
    .expect("connect");
    let url = format!("rtmp://{addr}/{app}");
    c.session().connect(ConnectParams::new(app, url)).unwrap();
    c
}

/// Opens and waits for the connect `_result`.
pub async fn connected(addr: SocketAddr, app: &str) -> ClientConnection {
    let mut c = open(addr, app).await;
    until(&mut c, |e| {
        matches!(e, ClientEvent::Connected { .. }).then_some(())
    })
    .await;
    c
}

pub async fn publishing(c: &mut ClientConnection, name: &str) -> StreamHandle {
    let h = c.session().publish(name, PublishMode::Live).unwrap();
    until(c, |e| match e {
        ClientEvent::PublishStarted { handle, .. } if *handle == h => Some(()),
        ClientEvent::StreamFailed { description, .. } => panic!("publish failed: {description}"),
        _ => None,
    })
    .await;
    h
}

pub async fn playing(c: &mut ClientConnection, name: &str) -> StreamHandle {
    let h = c.session().play(name).unwrap();
    until(c, |e| match e {
        ClientEvent::PlayStarted { handle, .. } if *handle == h => Some(()),
        ClientEvent::StreamFailed { description, .. } => panic!("play failed: {description}"),
        _ => None,
    })
    .await;
    h
}

fn have(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("-version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Fails the test, naming the install script, unless every one of `tools` (ffmpeg,
/// ffprobe) runs. Tests never install anything and never skip themselves.
pub fn require_tools(tools: &[&str]) {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !have(t)).collect();
    assert!(
        missing.is_empty(),
        "{} not installed: run scripts/install-test-deps.sh",
        missing.join(", ")
    );
}

/// `n` video frames of `len` bytes, 40 ms apart, a keyframe every `key_every` (1: all
/// keyframes, nothing droppable), each filled with its number.
pub fn video_frames(n: u32, len: usize, key_every: u32) -> Vec<Media> {
    (0..n)
        .map(|i| {
            let key = i.is_multiple_of(key_every);
            let mut body = vec![if key { 0x17 } else { 0x27 }, 1, 0, 0, 0];
            body.resize(len, i as u8);
            Media {
                kind: MediaKind::Video,
                timestamp: i * 40,
                payload: Bytes::from(body),
            }
        })
        .collect()
}

/// A task publishing `frames` on `h`, one flush each and `pause` between them; it hands
/// the connection back when done.
pub fn publish_paced(
    mut publisher: ClientConnection,
    h: StreamHandle,
    frames: Vec<Media>,
    pause: Duration,
) -> rt::Task<ClientConnection> {
    rt::spawn(async move {
        for m in frames {
            publisher.session().send_media(h, m).unwrap();
            bounded("publisher flush", publisher.flush()).await.unwrap();
            rt::sleep(pause).await;
        }
        publisher
    })
}

/// The next `n` media messages `player` receives; panics naming `who` if it closes first.
pub async fn media(player: &mut ClientConnection, n: usize, who: &str) -> Vec<Media> {
    let mut got = Vec::with_capacity(n);
    while got.len() < n {
        match next(player).await {
            ClientEvent::Media { media, .. } => got.push(media),
            ClientEvent::Closed(reason) => panic!("{who} closed: {reason:?}"),
            _ => {}
        }
    }
    got
}
