//! The status page (`GET /`) in a real browser: while ffmpeg publishes an H.264 + AAC
//! pattern and our client plays it, headless Chromium (Debian's package) loads the page,
//! takes a screenshot (a PNG) and dumps the DOM it rendered; the DOM holds the stream's row
//! with its codecs, size and frame rate, input bitrate, players and uptime.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use rtmp_interop::ffmpeg;
use rtmp_interop::{
    Adapter, Client, Proc, ServerOpts, for_each_adapter, peers, start, temp_dir, wait_until,
};

/// 12 s at 25 fps: live for the whole test.
const FRAMES: u32 = 300;
const GOP: u32 = 50;

/// Chromium headless on `url` with `args`, its own profile in `dir`; its output.
fn chromium(exe: &Path, dir: &Path, url: &str, args: &[&str]) -> Output {
    let out = Command::new(exe)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(["--window-size=1000,400", "--virtual-time-budget=2000"])
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium {args:?}: {} {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The text of each cell of the row whose first cell is `name`, in the rendered DOM.
fn row_cells(dom: &str, name: &str) -> Option<Vec<String>> {
    dom.split("<tr")
        .filter_map(|row| row.split_once('>').map(|(_, rest)| rest))
        .map(|row| {
            let row = row.split("</tr>").next().unwrap_or_default();
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let cell = cell.split_once('>').map_or("", |(_, c)| c);
                    cell.split("</td>").next().unwrap_or_default().to_owned()
                })
                .collect::<Vec<String>>()
        })
        .find(|cells| cells.first().is_some_and(|c| c == name))
}

fn the_status_page_shows_the_live_stream_in_chromium(adapter: Adapter) {
    let Some(p) = peers::legacy("status_page") else {
        return;
    };
    let browser = peers::chromium("status_page");
    let opts = ServerOpts {
        http: true,
        ..ServerOpts::default()
    };
    let srv = start(adapter, &opts);
    let url = srv.url("x");
    let mut publisher = Proc::spawn(
        "publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, GOP),
    );
    wait_until("publisher live", Duration::from_secs(10), || {
        srv.stats().frames_in > 0
    });
    let mut player = Client::connect(srv.addr, "live");
    player.play("x");
    srv.wait_players(1);
    // Over 2 s in: the uptime and the input bitrate are under way.
    std::thread::sleep(Duration::from_millis(2500));

    let dir = temp_dir("status-page");
    let page = srv.http_url("/");
    let shot = dir.join("status.png");
    chromium(
        &browser,
        &dir,
        &page,
        &[&format!("--screenshot={}", shot.display())],
    );
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 1000,
        "not a screenshot: {} bytes",
        png.len()
    );
    let out = chromium(&browser, &dir, &page, &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&out.stdout);
    eprintln!(
        "status_page/{}: screenshot {} ({} bytes); DOM: {dom}",
        adapter.name(),
        shot.display(),
        png.len()
    );
    // stream, video, size, audio, in kbit/s, out kbit/s, players, uptime
    let cells = row_cells(&dom, "live/x")
        .unwrap_or_else(|| panic!("no row for live/x in the rendered DOM: {dom}"));
    assert_eq!(cells.len(), 8, "{cells:?}");
    assert_eq!(cells[1], "avc1", "{cells:?}");
    assert_eq!(cells[2], "320x240 @ 25", "{cells:?}");
    assert_eq!(cells[3], "mp4a", "{cells:?}");
    let kbps: u64 = cells[4].parse().expect("input kbit/s");
    assert!(kbps > 0, "input bitrate {kbps} kbit/s: {cells:?}");
    assert_eq!(cells[6], "1", "players: {cells:?}");
    let uptime: u64 = cells[7]
        .strip_suffix('s')
        .and_then(|s| s.parse().ok())
        .expect("uptime in seconds");
    assert!((2..60).contains(&uptime), "uptime {uptime} s: {cells:?}");

    drop(player);
    publisher.kill();
    srv.stop();
}

for_each_adapter!(the_status_page_shows_the_live_stream_in_chromium);
