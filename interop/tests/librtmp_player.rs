//! librtmp, the other RTMP client implementation in wide use (rtmpdump, GStreamer's
//! rtmpsrc; OBS's output is a fork of it), plays through the relay: its FP9 digest
//! handshake checks our S1 and S2, then it connects, plays, honours our acknowledgement
//! window and ends cleanly at the end of the stream. ffmpeg publishes a generated H.264 +
//! AAC pattern; rtmpdump's FLV must hold at least 95% of the video frames and decode
//! without errors.

use std::process::Command;
use std::time::Duration;

use rtmp_interop::ffmpeg;
use rtmp_interop::{
    Adapter, Proc, ServerOpts, for_each_adapter, peers, start, temp_dir, wait_until,
};

/// Published video frames (4 s at 25 fps).
const FRAMES: u32 = 100;

fn rtmpdump_plays_the_whole_stream(adapter: Adapter) {
    let Some((rtmpdump, p)) = peers::librtmp("librtmp_player") else {
        return;
    };
    let mut opts = ServerOpts::default();
    // The player starts first and waits for the publisher, so slow process start-up cannot
    // cost it the first frames.
    opts.relay.wait_for_publisher = true;
    let srv = start(adapter, &opts);
    let url = srv.url("pattern");
    let out = temp_dir("librtmp").join("played.flv");

    let mut player = Proc::spawn(
        "rtmpdump",
        Command::new(&rtmpdump)
            .args(["--live", "--timeout", "15", "-r"])
            .arg(&url)
            .arg("-o")
            .arg(&out),
    );
    wait_until("rtmpdump waiting", Duration::from_secs(10), || {
        srv.stats().players == 1
    });

    let mut publisher = Proc::spawn(
        "publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, 25),
    );
    let status = publisher.wait(Duration::from_secs(20));
    assert!(
        status.success(),
        "publisher: {status} {}",
        publisher.stderr()
    );

    // rtmpdump exits 0 only for a complete download: the stream's end reached it.
    let status = player.wait(Duration::from_secs(10));
    assert!(status.success(), "rtmpdump: {status} {}", player.stderr());
    let (_, frames) = ffmpeg::probe(&p.ffprobe, &out);
    eprintln!(
        "librtmp_player/{}: published {FRAMES} video frames; rtmpdump saved {frames}",
        adapter.name()
    );
    if let Err(e) = ffmpeg::decode_file(&p.ffmpeg, &out) {
        panic!("rtmpdump's file does not decode cleanly: {e}");
    }
    assert!(
        frames * 100 >= u64::from(FRAMES) * 95,
        "rtmpdump saved {frames} of {FRAMES} frames"
    );
    srv.stop();
}

for_each_adapter!(rtmpdump_plays_the_whole_stream);
