//! Finding the real peers: ffmpeg 5.1 + ffprobe (legacy RTMP), a recent ffmpeg from
//! imageio-ffmpeg (Enhanced RTMP), rtmpdump (librtmp), GStreamer (rtmp2sink/rtmp2src) and
//! nginx with nginx-rtmp (a real server for our client). A missing peer is installed with
//! `scripts/install-test-deps.sh`; if it is still missing the test fails under `CI=true`
//! and prints a SKIPPED line elsewhere.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The peer executables.
#[derive(Debug, Clone)]
pub struct Peers {
    /// ffmpeg 5.1 (legacy RTMP).
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// A recent ffmpeg with Enhanced RTMP support, if found.
    pub recent: Option<PathBuf>,
    /// rtmpdump (librtmp), if found.
    pub rtmpdump: Option<PathBuf>,
    /// Our librtmp publisher (`interop/peers/librtmp_publish.c`), if it compiled.
    pub librtmp_publish: Option<PathBuf>,
    /// `gst-launch-1.0`, if found with every element [`GST_ELEMENTS`] names.
    pub gst_launch: Option<PathBuf>,
    /// nginx, if found with the RTMP module.
    pub nginx: Option<PathBuf>,
}

/// The GStreamer elements the interop tests use.
pub const GST_ELEMENTS: &[&str] = &[
    "rtmp2sink",
    "rtmp2src",
    "x264enc",
    "voaacenc",
    "flvmux",
    "h264parse",
    "aacparse",
];

fn gstreamer() -> Option<PathBuf> {
    let has = |element: &str| {
        Command::new("gst-inspect-1.0")
            .args(["--exists", element])
            .status()
            .is_ok_and(|s| s.success())
    };
    let launch = PathBuf::from("gst-launch-1.0");
    (runs_with(&launch, "--version") && GST_ELEMENTS.iter().all(|e| has(e))).then_some(launch)
}

fn runs(tool: &Path) -> bool {
    runs_with(tool, "-version")
}

fn runs_with(tool: &Path, arg: &str) -> bool {
    Command::new(tool)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn recent_ffmpeg() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    (out.status.success() && runs(&path)).then_some(path)
}

/// Compiles `interop/peers/librtmp_publish.c` against librtmp (librtmp-dev) into a fresh
/// temp dir; `None` when that fails.
fn build_librtmp_publisher() -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/librtmp_publish.c");
    let exe = crate::temp_dir("librtmp-publish").join("librtmp_publish");
    let flags = Command::new("pkg-config")
        .args(["--cflags", "--libs", "librtmp"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "-lrtmp".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).into_owned(),
        );
    let built = Command::new("cc")
        .args(["-O1", "-o"])
        .arg(&exe)
        .arg(&src)
        .args(flags.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    built.then_some(exe)
}

fn find() -> Peers {
    Peers {
        ffmpeg: PathBuf::from("ffmpeg"),
        ffprobe: PathBuf::from("ffprobe"),
        recent: recent_ffmpeg(),
        rtmpdump: Some(PathBuf::from("rtmpdump")).filter(|p| runs_with(p, "--help")),
        librtmp_publish: build_librtmp_publisher(),
        gst_launch: gstreamer(),
        nginx: Some(PathBuf::from("nginx"))
            .filter(|n| runs_with(n, "-v") && Path::new(crate::nginx::RTMP_MODULE).exists()),
    }
}

fn legacy_ok(p: &Peers) -> bool {
    runs(&p.ffmpeg) && runs(&p.ffprobe)
}

/// Looks for the peers once per process, running the install script when one is missing.
fn peers() -> &'static Peers {
    static PEERS: OnceLock<Peers> = OnceLock::new();
    PEERS.get_or_init(|| {
        let p = find();
        if legacy_ok(&p) && p.recent.is_some() && p.rtmpdump.is_some() && p.gst_launch.is_some() {
            return p;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install-test-deps.sh");
        // stdin closed: a `sudo` that wants a password fails instead of waiting for one.
        let _ = Command::new("bash")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status();
        find()
    })
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn missing(test: &str, what: &str) {
    assert!(
        !under_ci(),
        "{what} missing under CI=true (run scripts/install-test-deps.sh)"
    );
    eprintln!("SKIPPED {test}: {what} not installed (run scripts/install-test-deps.sh)");
}

/// ffmpeg 5.1 and ffprobe, or `None` after printing SKIPPED (panics under CI).
pub fn legacy(test: &str) -> Option<Peers> {
    let p = peers();
    if legacy_ok(p) {
        Some(p.clone())
    } else {
        missing(test, "ffmpeg/ffprobe");
        None
    }
}

/// The recent ffmpeg (plus the legacy tools if present), or `None` after printing SKIPPED
/// (panics under CI).
pub fn recent(test: &str) -> Option<(PathBuf, Peers)> {
    let p = peers();
    match &p.recent {
        Some(r) => Some((r.clone(), p.clone())),
        None => {
            missing(test, "recent ffmpeg (python imageio-ffmpeg)");
            None
        }
    }
}

/// rtmpdump and our librtmp publisher (plus the legacy tools, which the tests need too),
/// or `None` after printing SKIPPED (panics under CI).
pub fn librtmp(test: &str) -> Option<Librtmp> {
    let p = peers();
    match (&p.rtmpdump, &p.librtmp_publish) {
        (Some(rtmpdump), Some(publish)) if legacy_ok(p) => Some(Librtmp {
            rtmpdump: rtmpdump.clone(),
            publish: publish.clone(),
            peers: p.clone(),
        }),
        _ => {
            missing(
                test,
                "rtmpdump, librtmp-dev (for our librtmp publisher) or ffmpeg/ffprobe",
            );
            None
        }
    }
}

/// The librtmp peers.
#[derive(Debug, Clone)]
pub struct Librtmp {
    pub rtmpdump: PathBuf,
    /// `librtmp_publish URL FILE.flv`: see `interop/peers/librtmp_publish.c`.
    pub publish: PathBuf,
    pub peers: Peers,
}

/// `gst-launch-1.0` (plus the legacy tools, which the tests need too), or `None` after
/// printing SKIPPED (panics under CI).
pub fn gstreamer_launch(test: &str) -> Option<(PathBuf, Peers)> {
    let p = peers();
    match &p.gst_launch {
        Some(g) if legacy_ok(p) => Some((g.clone(), p.clone())),
        _ => {
            missing(
                test,
                "GStreamer (rtmp2sink, x264enc, voaacenc ...) or ffmpeg/ffprobe",
            );
            None
        }
    }
}

/// nginx with nginx-rtmp (plus the legacy tools, which the tests need too), or `None`
/// after printing SKIPPED (panics under CI).
pub fn nginx(test: &str) -> Option<(PathBuf, Peers)> {
    let p = peers();
    match &p.nginx {
        Some(n) if legacy_ok(p) => Some((n.clone(), p.clone())),
        _ => {
            missing(test, "nginx with libnginx-mod-rtmp or ffmpeg/ffprobe");
            None
        }
    }
}

/// Whether `ffmpeg` has the encoder `name` (`ffmpeg -encoders`).
pub fn has_encoder(ffmpeg: &Path, name: &str) -> bool {
    let Ok(out) = Command::new(ffmpeg)
        .args(["-hide_banner", "-encoders"])
        .stderr(Stdio::null())
        .output()
    else {
        return false;
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(name))
}
