//! Load generator: N players (and optionally the publisher) against one RTMP server.
//!
//! ```sh
//! cargo run --release -p rtmp-tokio --example load -- \
//!     --url rtmp://127.0.0.1:1935/live/load --players 100 --duration 20 --publish
//! ```
//!
//! With `--publish` it also publishes a synthetic stream (25 fps video at `--kbps`, a
//! keyframe every 2 s, 50 audio frames/s) whose frames carry their send time, so every
//! player measures end-to-end latency through the server. It reports per-player bytes and
//! frames, time to first frame (and whether that frame was a keyframe after the sequence
//! headers), latency percentiles and dropped connections, and how long each player waited
//! from its TCP connect to the connect `_result` and to `NetStream.Play.Start` (a server
//! that sends its connect replies in several small writes shows here as a Nagle/delayed-ACK
//! stall of ~40 ms).
//!
//! With `--idle` the players only connect and hold their connections; once every one of them
//! has its `_result` (or failed) the tool prints `CONNECTED <n>`, so a script can measure the
//! server's memory per idle connection at that moment.
//!
//! Without `--publish` the players play a stream someone else publishes (e.g. ffmpeg): bytes,
//! frames, time to first frame and connect timing are measured as usual, latency is not (its
//! frames carry no send time; the SUMMARY line says `latency_samples=0`).
//!
//! With `--http-flv http://host:port/app/stream.flv` the players read that HTTP-FLV URL (the
//! relay's `--http-listen`) instead of playing `--url` over RTMP, through hyper's HTTP/1.1
//! client (a chunked response body, its FLV tags read by `rtmp_proto`'s `FlvReader`); the
//! publisher still publishes to `--url`. The same figures are measured: payload bytes and
//! frames per player (script tags are not counted, as RTMP players do not count data
//! messages), time to first frame, latency; "connect" and "Play.Start" are then the time to
//! the response head.
//!
//! An `rtmps://` URL runs every connection over TLS (the driver's `TlsSocket`, rustls with
//! aws-lc-rs), trusting the CAs of `--ca FILE.pem` (default: the public web's roots); the
//! publisher prints the negotiated cipher suite. Plain `rtmp://` runs as before, through
//! tokio's own stream.
#![allow(clippy::print_stdout)]

use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use clap::Parser;
use http_body_util::BodyExt;
use rtmp_proto::media::flv::{FlvItem, FlvReader, FlvReaderConfig, FlvTagType};
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectParams, Media, MediaKind, PublishMode,
    StreamHandle,
};
use rtmp_tokio::driver::http::HyperIo;
use rtmp_tokio::driver::io::tls::{TlsConnector, TlsSocket};
use rtmp_tokio::driver::runtime::{Runtime, Socket};
use rtmp_tokio::{Tokio, TokioSocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Parser, Debug, Clone)]
struct Args {
    /// rtmp[s]://host[:port]/app/stream
    #[arg(long)]
    url: String,
    /// For rtmps://: trust only the CAs in this PEM file.
    #[arg(long, value_name = "FILE.pem")]
    ca: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 10)]
    players: usize,
    /// Where the players play, when not `--url` (repeat: players are dealt round-robin
    /// over these, e.g. an origin and its edges, and a `URL` line per URL reports its
    /// latency).
    #[arg(long, value_name = "URL")]
    play_url: Vec<String>,
    /// Seconds of playing.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Also publish a synthetic stream with embedded send times.
    #[arg(long)]
    publish: bool,
    /// Video bitrate of the synthetic stream.
    #[arg(long, default_value_t = 3000)]
    kbps: u64,
    /// Seconds between starting the publisher and the players.
    #[arg(long, default_value_t = 1.0)]
    join_after: f64,
    /// Connect only (no play) and hold the connections: for memory per idle connection.
    #[arg(long)]
    idle: bool,
    /// Players read this HTTP-FLV URL (http://host:port/app/stream.flv) instead of playing
    /// `--url` over RTMP; the publisher still uses `--url`.
    #[arg(long, value_name = "URL")]
    http_flv: Option<String>,
    /// Start the players this many microseconds apart instead of all at once (connect
    /// timing without the load generator's own queueing).
    #[arg(long, default_value_t = 0)]
    spawn_interval_us: u64,
}

const MAGIC: &[u8; 8] = b"RTMPLOAD";

struct Target {
    addr: String,
    app: String,
    stream: String,
    tc_url: String,
    /// `rtmps://`: the TLS settings and the name to check (and send as SNI).
    tls: Option<(TlsConnector, String)>,
}

fn parse_url(url: &str, ca: Option<&std::path::Path>) -> Target {
    let (scheme, rest, port) = match url.strip_prefix("rtmps://") {
        Some(rest) => ("rtmps", rest, 443),
        None => (
            "rtmp",
            url.strip_prefix("rtmp://").expect("an rtmp[s]:// URL"),
            1935,
        ),
    };
    let (host, path) = rest.split_once('/').expect("rtmp://host/app/stream");
    let (app, stream) = path.rsplit_once('/').expect("rtmp://host/app/stream");
    let addr = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:{port}")
    };
    let tls = (scheme == "rtmps").then(|| {
        let connector = match ca {
            Some(ca) => TlsConnector::with_ca_file(ca).expect("the --ca file"),
            None => TlsConnector::default(),
        };
        let name = host.rsplit_once(':').map_or(host, |(h, _)| h).to_owned();
        (connector, name)
    });
    Target {
        addr,
        app: app.to_owned(),
        stream: stream.to_owned(),
        tc_url: format!("{scheme}://{host}/{app}"),
        tls,
    }
}

/// A connection's transport: plain TCP through tokio's own stream, or TLS through the
/// driver's socket (readiness and non-blocking tries, as the relay and client use it).
enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsSocket<TokioSocket>>),
}

impl Transport {
    async fn write_all(&mut self, mut buf: &[u8]) -> std::io::Result<()> {
        let s = match self {
            Transport::Plain(sock) => return sock.write_all(buf).await,
            Transport::Tls(s) => s,
        };
        while !buf.is_empty() {
            match s.try_write_vectored(&[IoSlice::new(buf)]) {
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    poll_fn(|cx| s.poll_writable(cx)).await?
                }
                Err(e) => return Err(e),
            }
        }
        // Records rustls still holds go out before the next read waits.
        while s.unsent() > 0 {
            poll_fn(|cx| s.poll_writable(cx)).await?;
        }
        Ok(())
    }

    async fn read_buf(&mut self, buf: &mut BytesMut) -> std::io::Result<usize> {
        let s = match self {
            Transport::Plain(sock) => return sock.read_buf(buf).await,
            Transport::Tls(s) => s,
        };
        loop {
            if buf.capacity() - buf.len() < 4096 {
                buf.reserve(64 * 1024);
            }
            match s.try_read_buf(buf) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    poll_fn(|cx| s.poll_readable(cx)).await?
                }
                r => return r,
            }
        }
    }
}

/// One connection's session loop: write what the session queued, read, feed, repeat.
struct Conn {
    sock: Transport,
    session: ClientSession,
    input: BytesMut,
}

impl Conn {
    async fn open(t: &Target, seed: u64) -> std::io::Result<Conn> {
        let sock = match &t.tls {
            None => {
                let sock = TcpStream::connect(&t.addr).await?;
                sock.set_nodelay(true)?;
                Transport::Plain(sock)
            }
            Some((connector, name)) => {
                let tls = TlsSocket::client(Tokio.connect(&t.addr).await?, connector, name)?;
                tls.handshake().await?;
                Transport::Tls(Box::new(tls))
            }
        };
        let mut config = ClientConfig::default();
        config.rng_seed = seed;
        let mut session = ClientSession::new(Arc::new(config), Instant::now());
        session
            .connect(ConnectParams::new(t.app.clone(), t.tc_url.clone()))
            .expect("fresh session");
        Ok(Conn {
            sock,
            session,
            input: BytesMut::with_capacity(64 * 1024),
        })
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        let mut batch = BytesMut::new();
        while let Some(seg) = self.session.poll_transmit() {
            batch.extend_from_slice(&seg);
        }
        if !batch.is_empty() {
            self.sock.write_all(&batch).await?;
        }
        Ok(())
    }

    /// Reads once (bounded by `deadline`) and returns the events that produced.
    async fn step(&mut self, deadline: Instant) -> std::io::Result<Vec<ClientEvent>> {
        self.flush().await?;
        let wait = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(wait, self.sock.read_buf(&mut self.input)).await {
            Ok(Ok(0)) => self.session.handle_eof(Instant::now()),
            Ok(Ok(_)) => {
                let _ = self.session.handle_input(Instant::now(), &mut self.input);
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => self.session.handle_timeout(Instant::now()),
        }
        let events: Vec<ClientEvent> = std::iter::from_fn(|| self.session.poll_event()).collect();
        self.flush().await?;
        Ok(events)
    }
}

#[derive(Debug, Default)]
struct PlayerReport {
    bytes: u64,
    video_frames: u64,
    audio_frames: u64,
    /// Video sequence headers (not in `video_frames`).
    video_headers: u64,
    first_frame: Option<Duration>,
    /// From TCP connect to the connect `_result`.
    connected: Option<Duration>,
    /// From TCP connect to `NetStream.Play.Start`.
    play_started: Option<Duration>,
    first_is_key_after_headers: bool,
    latencies_us: Vec<u64>,
    dropped: bool,
}

fn micros_since(origin: Instant) -> u64 {
    Instant::now().duration_since(origin).as_micros() as u64
}

/// Counts what one player receives, the same for an RTMP media message and an HTTP-FLV tag
/// (both carry the same payload).
struct Receiving {
    /// When the player's connection was opened.
    started: Instant,
    origin: Instant,
    /// Frames sent before this player joined arrive in the GOP-cache burst: their age is the
    /// cache's doing, not the relay's latency, so only later frames are timed.
    joined_us: u64,
    saw_video_header: bool,
}

impl Receiving {
    fn new(origin: Instant) -> Self {
        Receiving {
            started: Instant::now(),
            origin,
            joined_us: micros_since(origin),
            saw_video_header: false,
        }
    }

    fn media(&mut self, r: &mut PlayerReport, kind: MediaKind, p: &[u8]) {
        r.bytes += p.len() as u64;
        match kind {
            MediaKind::Audio => r.audio_frames += 1,
            MediaKind::Video => {
                let is_header = p.get(1) == Some(&0);
                if is_header {
                    self.saw_video_header = true;
                    r.video_headers += 1;
                    return;
                }
                r.video_frames += 1;
                if r.first_frame.is_none() {
                    r.first_frame = Some(self.started.elapsed());
                    r.first_is_key_after_headers =
                        self.saw_video_header && p.first() == Some(&0x17);
                }
                if let Some(sent) = sent_at(p).filter(|s| *s >= self.joined_us) {
                    r.latencies_us
                        .push(micros_since(self.origin).saturating_sub(sent));
                }
            }
        }
    }
}

/// Where HTTP-FLV players read: `http://host:port/path`.
struct HttpTarget {
    addr: String,
    host: String,
    path: String,
}

fn parse_http_url(url: &str) -> HttpTarget {
    let rest = url
        .strip_prefix("http://")
        .expect("an http://host:port/app/stream.flv URL");
    let (host, path) = rest
        .split_once('/')
        .expect("http://host:port/app/stream.flv");
    let addr = if host.contains(':') {
        host.to_owned()
    } else {
        format!("{host}:80")
    };
    HttpTarget {
        addr,
        host: host.to_owned(),
        path: format!("/{path}"),
    }
}

/// One HTTP-FLV player: GET the URL, read the FLV body's tags until `until`.
async fn http_player(
    t: Arc<HttpTarget>,
    until: Instant,
    origin: Instant,
    settled: Arc<AtomicUsize>,
) -> PlayerReport {
    let mut r = PlayerReport::default();
    let mut settled = Some(settled);
    let outcome = http_play(&t, until, origin, &mut r, &mut settled).await;
    if let Some(s) = settled {
        s.fetch_add(1, Ordering::AcqRel);
    }
    if let Err(e) = outcome {
        if !r.dropped {
            println!("http-flv player: {e}");
        }
        r.dropped = true;
    }
    r
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn http_play(
    t: &HttpTarget,
    until: Instant,
    origin: Instant,
    r: &mut PlayerReport,
    settled: &mut Option<Arc<AtomicUsize>>,
) -> Result<(), BoxError> {
    let sock = Tokio.connect(&t.addr).await?;
    // Timed from the TCP connect, as an RTMP player's figures are.
    let mut rx = Receiving::new(origin);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(HyperIo::new(sock)).await?;
    let conn = tokio::spawn(conn);
    let request = hyper::Request::get(t.path.as_str())
        .header(hyper::header::HOST, t.host.as_str())
        .body(http_body_util::Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()).into());
    }
    r.connected = Some(rx.started.elapsed());
    r.play_started = r.connected;
    if let Some(s) = settled.take() {
        s.fetch_add(1, Ordering::AcqRel);
    }
    let mut body = response.into_body();
    let mut buf = BytesMut::with_capacity(64 * 1024);
    let mut flv = FlvReader::new(FlvReaderConfig::default());
    loop {
        let frame = match tokio::time::timeout_at(until.into(), body.frame()).await {
            // The run is over.
            Err(_) => break,
            Ok(None) => return Err("the response ended".into()),
            Ok(Some(frame)) => frame?,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        buf.extend_from_slice(&data);
        while let Some(item) = flv.read(&mut buf)? {
            if let FlvItem::Tag(tag) = item {
                let kind = match tag.tag_type {
                    FlvTagType::Audio => MediaKind::Audio,
                    FlvTagType::Video => MediaKind::Video,
                    _ => continue,
                };
                rx.media(r, kind, &tag.data);
            }
        }
    }
    conn.abort();
    Ok(())
}

async fn player(
    t: Arc<Target>,
    id: usize,
    until: Instant,
    origin: Instant,
    idle: bool,
    settled: Arc<AtomicUsize>,
) -> PlayerReport {
    let mut r = PlayerReport::default();
    // Counts this player as settled (connected or failed) exactly once.
    let mut settle = Some(settled);
    let mut mark_settled = move || {
        if let Some(s) = settle.take() {
            s.fetch_add(1, Ordering::AcqRel);
        }
    };
    let Ok(mut c) = Conn::open(&t, 1000 + id as u64).await else {
        r.dropped = true;
        mark_settled();
        return r;
    };
    let mut rx = Receiving::new(origin);
    let started = rx.started;
    let mut handle: Option<StreamHandle> = None;
    while Instant::now() < until {
        let Ok(events) = c.step(until).await else {
            r.dropped = true;
            break;
        };
        for ev in events {
            match ev {
                ClientEvent::Connected { .. } => {
                    r.connected = Some(started.elapsed());
                    mark_settled();
                    if !idle {
                        handle = c.session.play(&t.stream).ok();
                    }
                }
                ClientEvent::PlayStarted { .. } => r.play_started = Some(started.elapsed()),
                ClientEvent::Media { media, .. } => rx.media(&mut r, media.kind, &media.payload),
                ClientEvent::Closed(_) => {
                    r.dropped = true;
                    mark_settled();
                    return r;
                }
                _ => {}
            }
        }
    }
    mark_settled();
    let _ = handle;
    r
}

/// The send time embedded by [`synthetic_video`], if this frame carries one.
fn sent_at(payload: &[u8]) -> Option<u64> {
    let body = payload.get(5..)?;
    if body.get(..8)? != MAGIC {
        return None;
    }
    Some(u64::from_be_bytes(body.get(8..16)?.try_into().ok()?))
}

fn synthetic_video(key: bool, sent_us: u64, size: usize) -> Bytes {
    let mut b = BytesMut::with_capacity(size.max(21));
    b.put_u8(if key { 0x17 } else { 0x27 });
    b.put_slice(&[1, 0, 0, 0]); // AVC NALU, composition time 0
    b.put_slice(MAGIC);
    b.put_u64(sent_us);
    b.resize(size.max(b.len()), 0xAB);
    b.freeze()
}

async fn publisher(
    t: Arc<Target>,
    args: Args,
    stop: Arc<AtomicBool>,
    origin: Instant,
) -> std::io::Result<()> {
    let mut c = Conn::open(&t, 7).await?;
    if let Transport::Tls(s) = &c.sock {
        println!("tls cipher suite: {:?}", s.cipher_suite());
    }
    let mut handle = None;
    let far = || Instant::now() + Duration::from_millis(5);
    while handle.is_none() {
        for ev in c.step(far()).await? {
            match ev {
                ClientEvent::Connected { .. } => {
                    c.session.publish(&t.stream, PublishMode::Live).ok();
                }
                ClientEvent::PublishStarted { handle: h, .. } => handle = Some(h),
                ClientEvent::Closed(reason) => {
                    return Err(std::io::Error::other(format!(
                        "publisher closed: {reason:?}"
                    )));
                }
                _ => {}
            }
        }
    }
    let h = handle.expect("loop exits with a handle");
    let seq = Bytes::from_static(&[
        0x17, 0, 0, 0, 0, 1, 0x42, 0xC0, 0x1E, 0xFF, 0xE1, 0, 0, 1, 0, 0,
    ]);
    c.session
        .send_media(
            h,
            Media {
                kind: MediaKind::Video,
                timestamp: 0,
                payload: seq,
            },
        )
        .ok();
    let aac_seq = Bytes::from_static(&[0xAF, 0, 0x12, 0x10]);
    c.session
        .send_media(
            h,
            Media {
                kind: MediaKind::Audio,
                timestamp: 0,
                payload: aac_seq,
            },
        )
        .ok();
    let frame_bytes = (args.kbps * 1000 / 8 / 25) as usize;
    let start = Instant::now();
    let mut n: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        let ts = (n * 40) as u32;
        let video = synthetic_video(n.is_multiple_of(50), micros_since(origin), frame_bytes);
        c.session
            .send_media(
                h,
                Media {
                    kind: MediaKind::Video,
                    timestamp: ts,
                    payload: video,
                },
            )
            .ok();
        for a in 0..2u32 {
            let audio = Bytes::from_static(&[0xAF, 1, 0x21, 0x10, 0x04, 0x60, 0x8C, 0x1C]);
            c.session
                .send_media(
                    h,
                    Media {
                        kind: MediaKind::Audio,
                        timestamp: ts + a * 20,
                        payload: audio,
                    },
                )
                .ok();
        }
        n += 1;
        let next = start + Duration::from_millis(n * 40);
        while Instant::now() < next {
            c.step(next).await?;
        }
    }
    Ok(())
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// The sorted microsecond values of one per-player duration.
fn sorted_us(reports: &[PlayerReport], f: impl Fn(&PlayerReport) -> Option<Duration>) -> Vec<u64> {
    let mut v: Vec<u64> = reports
        .iter()
        .filter_map(|r| f(r).map(|d| d.as_micros() as u64))
        .collect();
    v.sort_unstable();
    v
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let t = Arc::new(parse_url(&args.url, args.ca.as_deref()));
    let origin = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let publishing = args.publish.then(|| {
        let (t, args, stop) = (t.clone(), args.clone(), stop.clone());
        tokio::spawn(async move { publisher(t, args, stop, origin).await })
    });
    if args.publish {
        tokio::time::sleep(Duration::from_secs_f64(args.join_after)).await;
    }
    let until = Instant::now() + Duration::from_secs(args.duration);
    let settled = Arc::new(AtomicUsize::new(0));
    let play_targets: Vec<Arc<Target>> = if args.play_url.is_empty() {
        vec![t.clone()]
    } else {
        args.play_url
            .iter()
            .map(|u| Arc::new(parse_url(u, args.ca.as_deref())))
            .collect()
    };
    let http = args
        .http_flv
        .as_deref()
        .map(|u| Arc::new(parse_http_url(u)));
    let mut players = Vec::with_capacity(args.players);
    for i in 0..args.players {
        if args.spawn_interval_us > 0 && i > 0 {
            tokio::time::sleep(Duration::from_micros(args.spawn_interval_us)).await;
        }
        let settled = settled.clone();
        players.push(match &http {
            Some(h) => tokio::spawn(http_player(h.clone(), until, origin, settled)),
            None => tokio::spawn(player(
                play_targets[i % play_targets.len()].clone(),
                i,
                until,
                origin,
                args.idle,
                settled,
            )),
        });
    }
    let n = args.players;
    tokio::spawn(async move {
        while settled.load(Ordering::Acquire) < n {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        println!("CONNECTED {n}");
    });
    let mut reports = Vec::new();
    for p in players {
        reports.push(p.await.expect("player task"));
    }
    if args.play_url.len() > 1 {
        for (u, url) in args.play_url.iter().enumerate() {
            let mut lat: Vec<u64> = reports
                .iter()
                .enumerate()
                .filter(|(i, _)| i % args.play_url.len() == u)
                .flat_map(|(_, r)| r.latencies_us.iter().copied())
                .collect();
            lat.sort_unstable();
            println!(
                "URL {url} players={} latency_samples={} latency_p50_us={} latency_p99_us={}",
                (0..reports.len())
                    .filter(|i| i % args.play_url.len() == u)
                    .count(),
                lat.len(),
                percentile(&lat, 0.5),
                percentile(&lat, 0.99)
            );
        }
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(p) = publishing
        && let Ok(Err(e)) = p.await
    {
        println!("publisher error: {e}");
    }
    let secs = args.duration as f64;
    let mut lat: Vec<u64> = reports
        .iter()
        .flat_map(|r| r.latencies_us.iter().copied())
        .collect();
    lat.sort_unstable();
    let ttff = sorted_us(&reports, |r| r.first_frame);
    let connect = sorted_us(&reports, |r| r.connected);
    let play = sorted_us(&reports, |r| r.play_started);
    let total_bytes: u64 = reports.iter().map(|r| r.bytes).sum();
    let frames: Vec<u64> = reports.iter().map(|r| r.video_frames).collect();
    println!(
        "players {}  dropped {}",
        reports.len(),
        reports.iter().filter(|r| r.dropped).count()
    );
    println!(
        "video frames per player: min {} max {}  ({:.1} fps avg); audio frames {:.1}/s avg",
        frames.iter().min().unwrap_or(&0),
        frames.iter().max().unwrap_or(&0),
        frames.iter().sum::<u64>() as f64 / reports.len().max(1) as f64 / secs,
        reports.iter().map(|r| r.audio_frames).sum::<u64>() as f64
            / reports.len().max(1) as f64
            / secs
    );
    println!(
        "delivered {:.1} MB ({:.1} Mbit/s total)",
        total_bytes as f64 / 1e6,
        total_bytes as f64 * 8.0 / 1e6 / secs
    );
    println!(
        "time to first frame ms: p50 {:.1} p99 {:.1} max {:.1}; first frame a keyframe after headers: {}/{}",
        percentile(&ttff, 0.5) as f64 / 1000.0,
        percentile(&ttff, 0.99) as f64 / 1000.0,
        ttff.last().copied().unwrap_or(0) as f64 / 1000.0,
        reports
            .iter()
            .filter(|r| r.first_is_key_after_headers)
            .count(),
        reports.len()
    );
    println!(
        "TCP connect to connect _result ms: p50 {:.2} p99 {:.2} max {:.2} ({} players)",
        ms(percentile(&connect, 0.5)),
        ms(percentile(&connect, 0.99)),
        ms(connect.last().copied().unwrap_or(0)),
        connect.len()
    );
    if !play.is_empty() {
        println!(
            "TCP connect to Play.Start ms: p50 {:.2} p99 {:.2} max {:.2} ({} players)",
            ms(percentile(&play, 0.5)),
            ms(percentile(&play, 0.99)),
            ms(play.last().copied().unwrap_or(0)),
            play.len()
        );
    }
    // One line for scripts (scripts/compare-nginx.sh). delivered_frames counts the media
    // messages (video and audio, sequence headers included) all players received;
    // latency_samples is 0 when the frames carry no send time (another publisher), and the
    // latency fields are then 0, not a measurement.
    let delivered_frames: u64 = reports
        .iter()
        .map(|r| r.video_frames + r.video_headers + r.audio_frames)
        .sum();
    println!(
        "SUMMARY players={} dropped={} delivered_bytes={} delivered_frames={} ttff_p99_us={} latency_samples={} latency_p50_us={} latency_p99_us={} connect_p50_us={} connect_p99_us={} play_p50_us={} play_p99_us={}",
        reports.len(),
        reports.iter().filter(|r| r.dropped).count(),
        total_bytes,
        delivered_frames,
        percentile(&ttff, 0.99),
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&connect, 0.5),
        percentile(&connect, 0.99),
        percentile(&play, 0.5),
        percentile(&play, 0.99)
    );
    if !lat.is_empty() {
        println!(
            "latency ms: p50 {:.2} p99 {:.2} max {:.2} ({} samples)",
            percentile(&lat, 0.5) as f64 / 1000.0,
            percentile(&lat, 0.99) as f64 / 1000.0,
            lat.last().copied().unwrap_or(0) as f64 / 1000.0,
            lat.len()
        );
    }
}
