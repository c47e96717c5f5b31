//! ffmpeg command lines: publishers of generated test patterns with an exact frame count,
//! players that decode (or copy) to nowhere and report what they got, and ffprobe.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::Proc;

/// Frame rate of every generated pattern.
pub const FPS: u32 = 25;

/// The common head: quiet, errors only, single-threaded where it helps the 2-core box.
fn base(ffmpeg: &Path) -> Command {
    let mut c = Command::new(ffmpeg);
    c.args(["-hide_banner", "-nostdin", "-loglevel", "error"]);
    c
}

/// A publisher of `frames` frames of a 320x240 H.264 test pattern (keyframe every `gop`
/// frames) plus AAC sine audio, in real time (`-re`), with `-frames:v` so the count is exact.
pub fn publish_h264_aac(ffmpeg: &Path, url: &str, frames: u32, gop: u32) -> Command {
    let mut c = pattern(ffmpeg, frames, gop, true);
    c.args(["-f", "flv", url]);
    c
}

/// The same pattern as [`publish_h264_aac`] written to an FLV file as fast as it encodes.
pub fn write_h264_aac(ffmpeg: &Path, file: &Path, frames: u32, gop: u32) -> Command {
    let mut c = pattern(ffmpeg, frames, gop, false);
    c.args(["-f", "flv", "-y"]).arg(file);
    c
}

fn pattern(ffmpeg: &Path, frames: u32, gop: u32, realtime: bool) -> Command {
    let secs = f64::from(frames) / f64::from(FPS);
    let mut c = base(ffmpeg);
    if realtime {
        c.arg("-re");
    }
    c.args(["-f", "lavfi", "-i"])
        .arg(format!("testsrc=size=320x240:rate={FPS}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!(
            "sine=frequency=440:sample_rate=44100:duration={secs}"
        ))
        .args(["-frames:v", &frames.to_string()])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
        ])
        .args([
            "-threads",
            "1",
            "-g",
            &gop.to_string(),
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-c:a", "aac", "-b:a", "64k"]);
    c
}

/// An HEVC + Opus version of the pattern (Enhanced RTMP in FLV), for a recent ffmpeg with
/// libx265 and libopus, written as fast as it encodes.
pub fn write_hevc_opus(ffmpeg: &Path, file: &Path, frames: u32) -> Command {
    let secs = f64::from(frames) / f64::from(FPS);
    let mut c = base(ffmpeg);
    c.args(["-f", "lavfi", "-i"])
        .arg(format!("testsrc=size=320x240:rate={FPS}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=sample_rate=48000:duration={secs}"))
        .args(["-frames:v", &frames.to_string(), "-c:v", "libx265"])
        .args(["-preset", "ultrafast", "-x265-params"])
        .arg("log-level=error:pools=1:frame-threads=1")
        .args([
            "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "48k",
        ])
        .args(["-f", "flv", "-y"])
        .arg(file);
    c
}

/// Decodes the first video stream of a file with `-xerror`: the frames decoded, or `Err`
/// with ffmpeg's complaints.
pub fn decoded_video_frames(ffmpeg: &Path, file: &Path) -> Result<u64, String> {
    let out = base(ffmpeg)
        .args([
            "-nostats",
            "-progress",
            "pipe:1",
            "-xerror",
            "-threads",
            "1",
            "-i",
        ])
        .arg(file)
        .args(["-map", "0:v:0", "-f", "null", "-"])
        .output()
        .map_err(|e| format!("ffmpeg did not run: {e}"))?;
    let errors = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !errors.trim().is_empty() {
        return Err(format!("{} ({})", errors.trim(), out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("frame=")?.trim().parse().ok())
        .next_back()
        .unwrap_or(0))
}

/// ffmpeg as an RTMP server (`-listen 1`): accepts one publisher at `url` and saves what it
/// receives to the FLV file `out` without re-encoding; ends when the publisher does.
pub fn serve_one_publisher(ffmpeg: &Path, url: &str, out: &Path) -> Command {
    let mut c = base(ffmpeg);
    c.args(["-listen", "1", "-timeout", "20", "-i", url]);
    c.args(["-c", "copy", "-f", "flv", "-y"]).arg(out);
    c
}

/// Publishes an existing FLV file in real time without re-encoding.
pub fn publish_file(ffmpeg: &Path, file: &Path, url: &str) -> Command {
    let mut c = base(ffmpeg);
    c.arg("-re").arg("-i").arg(file);
    c.args(["-c", "copy", "-f", "flv", url]);
    c
}

/// How a player handles what it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Play {
    /// Decode audio and video; any decode error ends it with a failure (`-xerror`).
    Decode,
    /// Demux only (`-c copy`): counts packets, cheap.
    Copy,
}

/// A player writing to the null muxer, reporting `frame=<n>` on stdout (`-progress`).
/// `frame` counts output video frames: decoded frames with [`Play::Decode`] (the frame rate
/// is passed through, so nothing is duplicated or dropped), packets with [`Play::Copy`].
pub fn player(ffmpeg: &Path, url: &str, mode: Play) -> Command {
    let mut c = base(ffmpeg);
    c.args(["-nostats", "-progress", "pipe:1", "-stats_period", "0.2"]);
    if mode == Play::Decode {
        c.args(["-xerror", "-threads", "1"]);
    }
    c.args(["-i", url]);
    if mode == Play::Copy {
        c.args(["-c", "copy"]);
    }
    c.args(["-fps_mode", "passthrough", "-f", "null", "-"]);
    c
}

/// For a player that does not end by itself (ffmpeg 5.1 ignores nginx-rtmp's
/// `UnpublishNotify`): waits up to `grace` for it to report `frames` frames, stops it, and
/// checks it reported no error; the frames it decoded.
pub fn stop_after_frames(p: &mut Proc, frames: u32, grace: Duration) -> u64 {
    let deadline = std::time::Instant::now() + grace;
    while self::frames(p) < u64::from(frames) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = self::frames(p);
    p.kill();
    let errors = p.stderr();
    assert!(
        errors.trim().is_empty(),
        "{} reported errors: {errors}",
        p.name
    );
    got
}

/// Video frames a finished player reported.
pub fn frames(p: &Proc) -> u64 {
    p.last_progress("frame").unwrap_or(0)
}

/// Waits for a player to end and checks it ended cleanly: exit 0, nothing on stderr
/// (with `-loglevel error -xerror` any decode error shows there and fails the run).
pub fn finish_clean(p: &mut Proc, limit: Duration) -> u64 {
    let status = p.wait(limit);
    let err = p.stderr();
    assert!(status.success(), "{} failed ({status}): {err}", p.name);
    assert!(err.trim().is_empty(), "{} reported errors: {err}", p.name);
    frames(p)
}

/// `ffprobe` a file: `(format duration in seconds, decoded video frames)`; panics with
/// ffprobe's complaints when it cannot read the file.
pub fn probe(ffprobe: &Path, file: &Path) -> (f64, u64) {
    let out = Command::new(ffprobe)
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "format=duration:stream=nb_read_frames"])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(file)
        .output()
        .expect("run ffprobe");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let duration = field("duration").parse().ok();
    let frames = field("nb_read_frames").parse().ok();
    match (out.status.success(), duration, frames) {
        (true, Some(d), Some(f)) => (d, f),
        _ => panic!(
            "ffprobe could not read {}: {text} {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Encodes the [`write_h264_aac`] pattern into `dir/pattern.flv` and returns its path.
pub fn pattern_file(ffmpeg: &Path, dir: &Path, frames: u32, gop: u32) -> PathBuf {
    let file = dir.join("pattern.flv");
    Proc::spawn(
        "ffmpeg encoder",
        &mut write_h264_aac(ffmpeg, &file, frames, gop),
    )
    .wait_success(Duration::from_secs(30));
    file
}

/// The video frames of a file some peer saved, which must decode without an error
/// (panics with ffmpeg's complaints otherwise).
pub fn clean_frames(ffmpeg: &Path, ffprobe: &Path, file: &Path, who: &str) -> u64 {
    if let Err(e) = decode_file(ffmpeg, file) {
        panic!("{who}'s file does not decode cleanly: {e}");
    }
    probe(ffprobe, file).1
}

/// Panics unless `who` got at least 95% of the `sent` video frames.
pub fn assert_most_frames(who: &str, got: u64, sent: u32) {
    assert!(
        got * 100 >= u64::from(sent) * 95,
        "{who} got {got} of {sent} frames"
    );
}

/// Decodes a whole file with `-xerror`: `Err` with ffmpeg's complaints unless it decodes
/// without a single error.
pub fn decode_file(ffmpeg: &Path, file: &Path) -> Result<(), String> {
    let out = base(ffmpeg)
        .args(["-xerror", "-threads", "1", "-i"])
        .arg(file)
        .args(["-f", "null", "-"])
        .output()
        .map_err(|e| format!("ffmpeg did not run: {e}"))?;
    let errors = String::from_utf8_lossy(&out.stderr);
    if out.status.success() && errors.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("{} ({})", errors.trim(), out.status))
    }
}

/// A player that saves what it receives to the FLV file `out` without re-encoding
/// (`-c copy`), reporting `frame=<n>` (video packets) on stdout (`-progress`). No `-re`:
/// it writes whatever arrives, when it arrives.
pub fn player_to_file(ffmpeg: &Path, url: &str, out: &Path) -> Command {
    let mut c = base(ffmpeg);
    c.args(["-nostats", "-progress", "pipe:1", "-stats_period", "0.2"]);
    c.args(["-i", url, "-c", "copy", "-f", "flv", "-y"])
        .arg(out);
    c
}

/// The decoding timestamps (seconds) of a file's first video stream, in file order
/// (`ffprobe -show_entries packet=dts_time`); panics when ffprobe cannot read it.
pub fn video_dts(ffprobe: &Path, file: &Path) -> Vec<f64> {
    let out = Command::new(ffprobe)
        .args(["-v", "error", "-select_streams", "v:0"])
        .args(["-show_entries", "packet=dts_time", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe could not read {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v = l.trim().trim_end_matches(',');
            v.parse()
                .unwrap_or_else(|_| panic!("ffprobe dts_time {l:?} in {}", file.display()))
        })
        .collect()
}
