//! The relay's HTTP side (`ServerBuilder::http_listen`): the JSON stream API and the
//! Prometheus metrics agree with what was published and delivered, `promtool` accepts the
//! exposition, an ended stream's series are gone, and hostile HTTP clients (a slow head,
//! an oversized head, 1000 idle connections, then up to the limit of 1024 and one more,
//! closed on accept) are bounded and closed while the RTMP players keep every frame.
#![allow(clippy::print_stdout)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::rt;
use adapter::Server;
use adapter::proto::amf::Value;
use adapter::proto::relay::RelayConfig;
use adapter::proto::session::{ClientEvent, Media, MediaKind, Metadata};
use bytes::Bytes;

const FPS: u32 = 25;
const SECONDS: u32 = 3;
const VIDEO: usize = 10_000;
/// Idle HTTP connections opened at once by the hostile clients.
const IDLE: usize = 1000;

/// A blocking `GET path`: status and body (the server closes or the body ends at
/// `Content-Length`).
pub(crate) fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("http connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// Whether the server closes `s` within `limit` (a response before the close is read).
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false;
            }
            Err(_) => return true,
        }
    }
}

/// The value of the series `name{labels}` in a text exposition.
pub(crate) fn series(metrics: &str, name_and_labels: &str) -> Option<f64> {
    metrics.lines().find_map(|l| {
        l.strip_prefix(name_and_labels)
            .and_then(|rest| rest.trim().parse().ok())
    })
}

/// Fails unless `promtool check metrics` accepts `metrics`.
pub(crate) async fn promtool_accepts(metrics: String) {
    let promtool = rt::unblock(move || {
        let mut child = std::process::Command::new("promtool")
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("promtool (bash scripts/install-test-deps.sh installs it)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(metrics.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await;
    assert!(
        promtool.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&promtool.stdout),
        String::from_utf8_lossy(&promtool.stderr)
    );
}

fn frames() -> Vec<Media> {
    let mut all = vec![
        Media {
            kind: MediaKind::Video,
            timestamp: 0,
            payload: Bytes::from_static(&[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]),
        },
        Media {
            kind: MediaKind::Audio,
            timestamp: 0,
            payload: Bytes::from_static(&[0xAF, 0, 0x12, 0x10]),
        },
    ];
    for i in 0..FPS * SECONDS {
        let mut body = vec![if i % FPS == 0 { 0x17 } else { 0x27 }, 1, 0, 0, 0];
        body.resize(VIDEO, i as u8);
        all.push(Media {
            kind: MediaKind::Video,
            timestamp: i * 1000 / FPS,
            payload: Bytes::from(body),
        });
    }
    all
}

/// A server with its HTTP side, both on free ports, running.
struct HttpServer {
    addr: SocketAddr,
    http: SocketAddr,
    handle: adapter::ServerHandle,
    run: rt::Task<std::io::Result<()>>,
}

async fn start_http(relay: RelayConfig, memory_budget: usize) -> HttpServer {
    let server = Server::builder()
        .memory_budget(memory_budget)
        .listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .http_listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .relay_config(relay)
        .bind()
        .await
        .expect("bind");
    HttpServer {
        addr: server.local_addr(),
        http: server.http_addr().expect("http addr"),
        handle: server.handle(),
        run: rt::serve(server),
    }
}

async fn http_side_reports_streams_and_metrics_and_bounds_hostile_clients() {
    let mut relay = RelayConfig::default();
    relay.publisher_grace = Duration::ZERO;
    let HttpServer {
        addr,
        http,
        handle,
        run,
    } = start_http(relay, adapter::driver::server::DEFAULT_MEMORY_BUDGET).await;

    let mut publisher = connected(addr, "live").await;
    let h = publishing(&mut publisher, "stats").await;
    let meta = Value::ecma_array([
        ("width", Value::Number(640.0)),
        ("height", Value::Number(360.0)),
        ("framerate", Value::Number(FPS as f64)),
        ("audiosamplerate", Value::Number(44100.0)),
        ("stereo", Value::Boolean(true)),
    ]);
    publisher
        .session()
        .send_metadata(h, &Metadata::new(meta))
        .unwrap();
    let all = frames();
    let total = all.len();
    let mut readers = Vec::new();
    for _ in 0..2 {
        let mut p = connected(addr, "live").await;
        playing(&mut p, "stats").await;
        readers.push(rt::spawn(async move {
            let (mut n, mut bytes) = (0, 0);
            while n < total {
                match next(&mut p).await {
                    ClientEvent::Media { media, .. } => {
                        n += 1;
                        bytes += media.payload.len();
                    }
                    ClientEvent::Closed(r) => panic!("player closed: {r:?}"),
                    _ => {}
                }
            }
            (p, bytes)
        }));
    }

    let start = Instant::now();
    let pub_task = rt::spawn(async move {
        for (i, m) in all.into_iter().enumerate() {
            publisher.session().send_media(h, m).unwrap();
            bounded("publisher flush", publisher.flush()).await.unwrap();
            if i >= 2 {
                rt::sleep(Duration::from_millis(1000 / FPS as u64)).await;
            }
        }
        publisher
    });
    rt::sleep(Duration::from_millis(2200)).await;

    let (status, body) = rt::unblock(move || get(http, "/api/streams")).await;
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let s = &doc["streams"][0];
    println!("{}: {s}", rt::NAME);
    assert_eq!(s["app"], "live");
    assert_eq!(s["stream"], "stats");
    assert_eq!(s["video"]["codec"], "avc1");
    assert_eq!(s["audio"]["codec"], "mp4a");
    assert_eq!(s["video"]["width"], 640);
    assert_eq!(s["video"]["height"], 360);
    assert_eq!(s["video"]["frame_rate"], FPS as f64);
    assert_eq!(s["players"], 2);
    let published = (VIDEO * FPS as usize * 8) as f64;
    let rate = s["bitrate_in_bps"].as_f64().unwrap();
    assert!(
        (rate - published).abs() < published * 0.2,
        "bitrate in {rate} against {published} published"
    );
    let (status, one) = rt::unblock(move || get(http, "/api/streams/live/stats")).await;
    assert_eq!(status, 200, "{one}");

    let (status, metrics) = rt::unblock(move || get(http, "/metrics")).await;
    assert_eq!(status, 200);
    let labels = r#"{app="live",stream="stats"}"#;
    assert_eq!(
        series(&metrics, &format!("rtmp_stream_players{labels}")),
        Some(2.0)
    );
    promtool_accepts(metrics.clone()).await;

    // Hostile HTTP clients while the stream still plays: a head that never ends, a 20 KiB
    // head, and 1000 idle connections (each closed when no head comes within
    // `HEAD_TIMEOUT`). The idle ones are opened 100 at a time, each hundred accepted before
    // the next: the listener's accept queue (std's backlog of 128) would otherwise hold
    // some back for a SYN-ACK retransmission, a second or more.
    let (slow, big) = rt::unblock(move || {
        let mut slow = TcpStream::connect(http).unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
        let mut big = TcpStream::connect(http).unwrap();
        let _ = write!(
            big,
            "GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n",
            "a".repeat(20_000)
        );
        (slow, big)
    })
    .await;
    let mut slow = slow;
    let opened = Instant::now();
    // The oversized head is answered and closed at once.
    let mut big = big;
    let big_closed = rt::unblock(move || closed_within(&mut big, Duration::from_secs(2))).await;
    assert!(big_closed, "the oversized head was not closed");
    let open = |n: u64| {
        let handle = handle.clone();
        async move {
            let until = Instant::now() + STEP;
            loop {
                let c = handle.stats();
                if c.http_connections == n {
                    break;
                }
                assert!(
                    Instant::now() < until,
                    "{} HTTP connections counted, not {n}: {c:?}",
                    c.http_connections
                );
                rt::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    open(1).await;
    let mut idle: Vec<TcpStream> = Vec::with_capacity(IDLE);
    while idle.len() < IDLE {
        let batch = rt::unblock(move || {
            (0..100)
                .map(|_| TcpStream::connect(http).unwrap())
                .collect::<Vec<_>>()
        })
        .await;
        idle.extend(batch);
        open(1 + idle.len() as u64).await;
    }
    // Up to the limit, then one more: closed on accept, and counted.
    let limit = adapter::driver::http::MAX_HTTP_CONNECTIONS;
    let more = limit - IDLE - 1;
    let (filled, over) = rt::unblock(move || {
        let filled: Vec<TcpStream> = (0..more)
            .map(|_| TcpStream::connect(http).unwrap())
            .collect();
        (filled, TcpStream::connect(http).unwrap())
    })
    .await;
    idle.extend(filled);
    open(limit as u64).await;
    let mut over = over;
    let over_closed = rt::unblock(move || closed_within(&mut over, Duration::from_secs(2))).await;
    assert!(
        over_closed,
        "connection {} was not closed on accept",
        limit + 1
    );
    assert!(
        opened.elapsed() < adapter::driver::http::HEAD_TIMEOUT,
        "the limit was reached too late to be checked: {:?}",
        opened.elapsed()
    );
    let c = handle.stats();
    assert_eq!(
        (c.http_connections, c.rejected.http_connections),
        (limit as u64, 1)
    );

    // Every frame reached both players while the hostile clients sat there.
    let mut received = 0;
    let mut players = Vec::new();
    for r in readers {
        let (p, bytes) = bounded("players to get every frame", r).await;
        received += bytes;
        players.push(p);
    }
    let _publisher = bounded("publisher", pub_task).await;

    // The slow head and every idle connection were closed by the server.
    let (slow_closed, idle_closed, idle_open) = rt::unblock(move || {
        let limit = Duration::from_secs(12);
        let slow_closed = closed_within(&mut slow, limit);
        let n = idle.len();
        let closed = idle
            .iter_mut()
            .map(|s| closed_within(s, Duration::from_secs(1) + limit / 2))
            .filter(|&closed| closed)
            .count();
        (slow_closed, closed, n)
    })
    .await;
    assert!(
        slow_closed,
        "the slow head is still open after {:?}",
        start.elapsed()
    );
    assert_eq!(idle_closed, idle_open, "idle HTTP connections left open");
    open(0).await;
    println!(
        "{}: {idle_open} idle HTTP connections closed by the server within {:?}; \
         connection {} refused",
        rt::NAME,
        opened.elapsed(),
        limit + 1
    );
    let (_, metrics) = rt::unblock(move || get(http, "/metrics")).await;
    let sent = series(&metrics, &format!("rtmp_stream_sent_bytes_total{labels}"))
        .expect("sent bytes series");
    assert!(
        (sent - received as f64).abs() <= received as f64 * 0.05,
        "metrics say {sent} bytes sent, players received {received}"
    );

    // The publisher leaves: the stream and its series are gone.
    drop(_publisher);
    rt::sleep(Duration::from_millis(300)).await;
    let (_, metrics) = rt::unblock(move || get(http, "/metrics")).await;
    assert!(
        !metrics.contains(labels),
        "an ended stream's series are still there:\n{metrics}"
    );
    let (status, _) = rt::unblock(move || get(http, "/api/streams/live/stats")).await;
    assert_eq!(status, 404);
    drop(players);
    handle.shutdown();
    bounded("server to stop", run).await.expect("run");
}

/// An HTTP-FLV reader that stops reading is cut by the relay's lag policy like an RTMP
/// player (its response ends, its connection closes), while an RTMP player of the same
/// stream gets every frame.
async fn a_stalled_http_flv_reader_is_cut_and_the_others_go_on() {
    let mut relay = RelayConfig::default();
    relay.player_soft_bytes = 256 * 1024;
    relay.player_hard_bytes = 1024 * 1024;
    stalled_http_flv_reader(relay, adapter::driver::server::DEFAULT_MEMORY_BUDGET, true).await;
}

/// The same reader under lag bounds far above a small memory budget: the budget ends it
/// (the frames its queue holds count like a connection's held bytes).
async fn a_stalled_http_flv_reader_over_the_memory_budget_is_cut() {
    let mut relay = RelayConfig::default();
    relay.player_soft_bytes = 512 * 1024 * 1024;
    relay.player_hard_bytes = 1024 * 1024 * 1024;
    relay.player_soft_age = Duration::from_secs(600);
    relay.player_max_age = Duration::from_secs(600);
    stalled_http_flv_reader(relay, 4 * 1024 * 1024, false).await;
}

/// An HTTP-FLV reader that reads the response head and stops: cut (by the lag policy when
/// `by_lag`, else by the memory budget) while an RTMP player gets every frame.
async fn stalled_http_flv_reader(relay: RelayConfig, memory_budget: usize, by_lag: bool) {
    // 20 MB: far more than loopback's socket buffers hold for a reader that stopped.
    const FRAMES: u32 = 400;
    const FRAME: usize = 50_000;
    let HttpServer {
        addr,
        http,
        handle,
        run,
    } = start_http(relay, memory_budget).await;

    let mut publisher = connected(addr, "live").await;
    let h = publishing(&mut publisher, "big").await;
    let mut player = connected(addr, "live").await;
    playing(&mut player, "big").await;
    // Asks for the stream, reads the response head, then never reads again.
    let mut stalled = rt::unblock(move || {
        let mut s = TcpStream::connect(http).unwrap();
        write!(s, "GET /live/big.flv HTTP/1.0\r\n\r\n").unwrap();
        let mut head = [0u8; 64];
        let n = s.read(&mut head).unwrap();
        assert!(head[..n].starts_with(b"HTTP/1.0 200"), "{:?}", &head[..n]);
        s
    })
    .await;

    let all = video_frames(FRAMES, FRAME, 25);
    let pub_task = publish_paced(publisher, h, all.clone(), Duration::from_millis(5));
    let got = media(&mut player, all.len(), "rtmp player").await;
    assert!(got == all, "the RTMP player's frames differ");
    let _publisher = bounded("publisher", pub_task).await;

    // The stalled reader's response was ended: reading now drains what the kernel held,
    // then meets the close long before the whole stream.
    let read = rt::unblock(move || {
        stalled
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut total = 0usize;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match stalled.read(&mut buf) {
                Ok(0) => return Some(total),
                Ok(n) => total += n,
                Err(_) => return None,
            }
        }
    })
    .await;
    let total = read.expect("the stalled reader's connection was not closed");
    println!(
        "{}: the stalled HTTP-FLV reader got {total} of {} bytes, then its close",
        rt::NAME,
        FRAMES as usize * FRAME
    );
    assert!(total < FRAMES as usize * FRAME / 2, "it got {total} bytes");
    if by_lag {
        let stats = handle.stats();
        assert_eq!(stats.lag_disconnects, 1, "{stats:?}");
    }
    handle.shutdown();
    bounded("server to stop", run).await.expect("run");
}

tests!(
    http_side_reports_streams_and_metrics_and_bounds_hostile_clients,
    a_stalled_http_flv_reader_is_cut_and_the_others_go_on,
    a_stalled_http_flv_reader_over_the_memory_budget_is_cut,
);
