//! Finding the real peers: ffmpeg 5.1 + ffprobe (legacy RTMP), a recent ffmpeg from
//! imageio-ffmpeg (Enhanced RTMP), rtmpdump (librtmp), GStreamer (rtmp2sink/rtmp2src, and
//! rtmpsrc on librtmp), nginx with nginx-rtmp (a real server for our client) and Debian's
//! Chromium (a real browser for the relay's status page).
//!
//! Tests never install anything and never skip themselves: `scripts/install-test-deps.sh`
//! (idempotent) installs every peer, and a test whose peer is missing fails with one line
//! naming that script, under `CI=true` or not.

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
    // librtmp's RTMP in GStreamer (gst-plugins-bad's `rtmp` plugin).
    "rtmpsrc",
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

/// Looks for the peers once per process. Installs nothing.
fn peers() -> &'static Peers {
    static PEERS: OnceLock<Peers> = OnceLock::new();
    PEERS.get_or_init(find)
}

/// Fails the test `test` because `what` is missing, in one line naming the installer.
fn missing(test: &str, what: &str) -> ! {
    panic!(
        "{test}: {what} not found; install the test peers with `bash scripts/install-test-deps.sh`"
    )
}

/// ffmpeg 5.1 and ffprobe; a missing one fails the test.
///
/// This and the other finders below return `Some` or panic: there is no skip. The
/// `Option` stays so callers written as `let Some(p) = peers::legacy(..) else { return }`
/// keep compiling.
pub fn legacy(test: &str) -> Option<Peers> {
    let p = peers();
    if !legacy_ok(p) {
        missing(test, "ffmpeg/ffprobe");
    }
    Some(p.clone())
}

/// The encoders the Enhanced RTMP tests need from the recent ffmpeg: each of the first
/// list, and at least one of [`RECENT_AV1_ENCODERS`].
pub const RECENT_ENCODERS: &[&str] = &["libx265", "libopus"];

/// AV1 encoders; the Enhanced RTMP tests use the first one present.
pub const RECENT_AV1_ENCODERS: &[&str] = &["libsvtav1", "libaom-av1"];

/// The recent ffmpeg with every encoder the E-RTMP tests use (plus the legacy tools if
/// present); a missing one fails the test.
pub fn recent(test: &str) -> Option<(PathBuf, Peers)> {
    let p = peers();
    let Some(r) = &p.recent else {
        missing(test, "recent ffmpeg (python3 module imageio-ffmpeg)");
    };
    let lacking: Vec<&str> = RECENT_ENCODERS
        .iter()
        .copied()
        .filter(|e| !has_encoder(r, e))
        .collect();
    if !lacking.is_empty() {
        missing(
            test,
            &format!("encoder {} in the recent ffmpeg", lacking.join(", ")),
        );
    }
    if !RECENT_AV1_ENCODERS.iter().any(|e| has_encoder(r, e)) {
        missing(
            test,
            &format!(
                "an AV1 encoder ({}) in the recent ffmpeg",
                RECENT_AV1_ENCODERS.join(" or ")
            ),
        );
    }
    Some((r.clone(), p.clone()))
}

/// rtmpdump and our librtmp publisher (plus the legacy tools, which the tests need too);
/// a missing one fails the test.
pub fn librtmp(test: &str) -> Option<Librtmp> {
    let p = peers();
    let Some(rtmpdump) = &p.rtmpdump else {
        missing(test, "rtmpdump");
    };
    let Some(publish) = &p.librtmp_publish else {
        missing(
            test,
            "a C compiler (cc) with librtmp-dev to build interop/peers/librtmp_publish.c",
        );
    };
    if !legacy_ok(p) {
        missing(test, "ffmpeg/ffprobe");
    }
    Some(Librtmp {
        rtmpdump: rtmpdump.clone(),
        publish: publish.clone(),
        peers: p.clone(),
    })
}

/// The librtmp peers.
#[derive(Debug, Clone)]
pub struct Librtmp {
    pub rtmpdump: PathBuf,
    /// `librtmp_publish URL FILE.flv`: see `interop/peers/librtmp_publish.c`.
    pub publish: PathBuf,
    pub peers: Peers,
}

/// `gst-launch-1.0` (plus the legacy tools, which the tests need too); a missing one
/// fails the test.
pub fn gstreamer_launch(test: &str) -> Option<(PathBuf, Peers)> {
    let p = peers();
    let Some(g) = &p.gst_launch else {
        missing(
            test,
            &format!(
                "gst-launch-1.0 with the elements {}",
                GST_ELEMENTS.join(" ")
            ),
        );
    };
    if !legacy_ok(p) {
        missing(test, "ffmpeg/ffprobe");
    }
    Some((g.clone(), p.clone()))
}

/// nginx with nginx-rtmp (plus the legacy tools, which the tests need too); a missing one
/// fails the test.
pub fn nginx(test: &str) -> Option<(PathBuf, Peers)> {
    let p = peers();
    let Some(n) = &p.nginx else {
        missing(
            test,
            &format!("nginx with the RTMP module ({})", crate::nginx::RTMP_MODULE),
        );
    };
    if !legacy_ok(p) {
        missing(test, "ffmpeg/ffprobe");
    }
    Some((n.clone(), p.clone()))
}

/// [`nginx`] plus its `stream` module (TLS in front of nginx-rtmp); a missing one fails
/// the test.
pub fn nginx_stream(test: &str) -> Option<(PathBuf, Peers)> {
    let found = nginx(test);
    if !Path::new(crate::nginx::STREAM_MODULE).exists() {
        missing(
            test,
            &format!(
                "nginx's stream module ({}, libnginx-mod-stream)",
                crate::nginx::STREAM_MODULE
            ),
        );
    }
    found
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

/// Debian's Chromium (package `chromium`), to load the relay's status page headless; a
/// missing one fails the test.
pub fn chromium(test: &str) -> PathBuf {
    let chromium = PathBuf::from("chromium");
    if !runs_with(&chromium, "--version") {
        missing(test, "chromium (Debian package `chromium`)");
    }
    chromium
}
