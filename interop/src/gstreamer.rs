//! GStreamer command lines: its own RTMP implementation (`rtmp2sink`, `rtmp2src` from
//! gst-plugins-bad), independent of ffmpeg's and librtmp's.

use std::path::Path;
use std::process::Command;

use crate::ffmpeg::FPS;

/// A live publisher of `frames` frames of a 320x240 H.264 test pattern (keyframe every
/// `gop` frames) plus AAC sine audio of the same duration, through `rtmp2sink`. The
/// pipeline ends by itself (end of stream) once the sources are done, and `rtmp2sink` then
/// unpublishes.
pub fn publish_h264_aac(gst_launch: &Path, url: &str, frames: u32, gop: u32) -> Command {
    // audiotestsrc's buffers hold 1024 samples at 44.1 kHz.
    let audio_buffers = u64::from(frames) * 44_100 / 1024 / u64::from(FPS);
    let mut c = Command::new(gst_launch);
    c.arg("-q");
    c.args(
        format!(
            "videotestsrc is-live=true num-buffers={frames} \
             ! video/x-raw,width=320,height=240,framerate={FPS}/1 \
             ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} threads=1 \
             ! h264parse ! flvmux streamable=true name=mux ! rtmp2sink location={url} \
             audiotestsrc is-live=true num-buffers={audio_buffers} \
             ! audio/x-raw,rate=44100 ! voaacenc ! aacparse ! mux."
        )
        .split_whitespace(),
    );
    c
}

/// A player that saves what `rtmp2src` receives (an FLV stream) to `out`; it ends at the
/// stream's end.
pub fn play_to_file(gst_launch: &Path, url: &str, out: &Path) -> Command {
    let mut c = Command::new(gst_launch);
    c.args(["-q", "rtmp2src"])
        .arg(format!("location={url}"))
        .args(["!", "filesink"])
        .arg(format!("location={}", out.display()));
    c
}

/// A player that saves what librtmp-based `rtmpsrc` (gst-plugins-bad's `rtmp` plugin)
/// receives (an FLV stream) to `out`, unbuffered, so the file is complete whenever the
/// process is killed.
///
/// It does not end by itself at the stream's end: librtmp closes its connection on
/// `Play.Stop` / `UnpublishNotify`, and `rtmpsrc` then reads from a new connection (it
/// dials again when its librtmp handle is not connected), which waits for the next
/// publisher. Against nginx-rtmp it does not end either.
pub fn play_to_file_librtmp(gst_launch: &Path, url: &str, out: &Path) -> Command {
    let mut c = Command::new(gst_launch);
    c.args(["-q", "rtmpsrc"])
        // gst-launch joins its arguments: the quotes keep the librtmp options in the URL.
        .arg(format!("location=\"{url} live=1\""))
        .args(["!", "filesink", "buffer-mode=unbuffered"])
        .arg(format!("location={}", out.display()));
    c
}
