//! `/api/streams` for an Enhanced RTMP publisher: a recent ffmpeg (imageio-ffmpeg) publishes
//! HEVC + Opus over E-RTMP; `/api/streams/live/x` reports video codec `hvc1` (from the
//! E-RTMP FourCC), the test pattern's 320x240 at 25 fps, audio `Opus`, and an input
//! bitrate within 20% of what our own player received over the same 5 s.

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use rtmp_interop::ffmpeg::FPS;
use rtmp_interop::{Adapter, Client, Proc, ServerOpts, for_each_adapter, peers, start};
use rtmp_proto::session::ClientEvent;

/// 10 s: long enough for the 5 s bitrate window to fill before the API is read.
const FRAMES: u32 = 250;
/// When the API is read, after the first frame.
const READ_AT: Duration = Duration::from_secs(7);
/// The stream figures' bitrate window.
const WINDOW: Duration = Duration::from_secs(5);

/// A blocking `GET path` (HTTP/1.0: the body ends at the close): the JSON body.
fn get_json(addr: std::net::SocketAddr, path: &str) -> serde_json::Value {
    let mut s = TcpStream::connect(addr).expect("http connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\n\r\n").unwrap();
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    let body = raw
        .split_once("\r\n\r\n")
        .map(|(_, b)| b)
        .unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {raw}"))
}

fn hevc_publisher(ffmpeg: &std::path::Path, url: &str) -> Command {
    let secs = f64::from(FRAMES) / f64::from(FPS);
    let mut c = Command::new(ffmpeg);
    c.args(["-hide_banner", "-nostdin", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i"])
        .arg(format!("testsrc=size=320x240:rate={FPS}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=sample_rate=48000:duration={secs}"))
        .args(["-frames:v", &FRAMES.to_string(), "-c:v", "libx265"])
        .args([
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error:pools=1:frame-threads=1",
        ])
        .args([
            "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "48k",
        ])
        .args(["-f", "flv", url]);
    c
}

fn api_reports_hvc1_for_an_enhanced_rtmp_publisher(adapter: Adapter) {
    let Some((recent, _)) = peers::recent("http_api_hevc") else {
        return;
    };
    let opts = ServerOpts {
        http: true,
        ..ServerOpts::default()
    };
    let srv = start(adapter, &opts);
    let http = srv.http_addr.expect("http address");
    let url = srv.url("x");
    let mut client = Client::connect(srv.addr, "live");
    let h = client.play("x");
    let mut publisher = Proc::spawn(
        "recent ffmpeg publisher",
        &mut hevc_publisher(&recent, &url),
    );

    // Our player counts the payload bytes it receives, by arrival, for the last 5 s.
    let mut arrivals: VecDeque<(Instant, usize)> = VecDeque::new();
    let mut first = None;
    let deadline = Instant::now() + Duration::from_secs(20);
    let doc = loop {
        let now = Instant::now();
        if first.is_some_and(|t: Instant| now >= t + READ_AT) {
            break get_json(http, "/api/streams/live/x");
        }
        match client.next_event(now + Duration::from_millis(50)) {
            Some(ClientEvent::Media { handle, media }) if handle == h => {
                let at = Instant::now();
                first.get_or_insert(at);
                arrivals.push_back((at, media.payload.len()));
            }
            Some(_) | None => {}
        }
        assert!(
            Instant::now() < deadline,
            "no 7 s of stream within 20 s: publisher {:?} {}",
            publisher.try_wait(),
            publisher.stderr()
        );
    };
    let cut = Instant::now() - WINDOW;
    let received: usize = arrivals
        .iter()
        .filter(|(at, _)| *at > cut)
        .map(|(_, n)| n)
        .sum();
    let received_bps = received as f64 * 8.0 / WINDOW.as_secs_f64();
    eprintln!(
        "http_api_hevc/{}: {doc}; our player received {received_bps:.0} bit/s",
        adapter.name()
    );
    assert_eq!(doc["video"]["codec"], "hvc1", "{doc}");
    assert_eq!(doc["video"]["width"], 320, "{doc}");
    assert_eq!(doc["video"]["height"], 240, "{doc}");
    assert_eq!(doc["video"]["frame_rate"], f64::from(FPS), "{doc}");
    assert_eq!(doc["audio"]["codec"], "Opus", "{doc}");
    let rate = doc["bitrate_in_bps"].as_f64().expect("bitrate_in_bps");
    assert!(
        (rate - received_bps).abs() <= received_bps * 0.2,
        "the API says {rate} bit/s in, our player received {received_bps} bit/s"
    );
    let status = publisher.wait(Duration::from_secs(20));
    assert!(
        status.success(),
        "publisher: {status} {}",
        publisher.stderr()
    );
    srv.stop();
}

for_each_adapter!(api_reports_hvc1_for_an_enhanced_rtmp_publisher);
