//! `--record` when the server is killed (SIGKILL) mid-stream: the file is readable up to
//! the last tag. The server runs as a separate process (this test binary re-executed,
//! serving through the adapter's library API) so it can really be killed.

use std::time::{Duration, Instant};

use rtmp_interop::ffmpeg;
use rtmp_interop::flv_file::read_flv;
use rtmp_interop::{
    Adapter, Proc, ServerOpts, for_each_adapter, peers, serve_if_child, spawn_server_process,
    temp_dir, wait_until,
};

/// Runs only in the re-executed server process; a no-op in a normal test run.
#[test]
fn server_process() {
    serve_if_child();
}

/// How long the stream runs before the kill.
const RUN: Duration = Duration::from_secs(3);

fn recording_survives_a_killed_server(adapter: Adapter) {
    let Some(p) = peers::legacy("record_killed") else {
        return;
    };
    let dir = temp_dir("record-killed");
    let opts = ServerOpts {
        record_dir: Some(dir.clone()),
        ..ServerOpts::default()
    };
    let (mut server, addr) = spawn_server_process(adapter, "server_process", &opts);
    let url = format!("rtmp://{addr}/live/crash");
    // 20 s of stream; the server dies long before the end.
    let mut publisher = Proc::spawn(
        "publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, 500, 25),
    );
    let file = dir.join("live/crash-1.flv");
    wait_until("recording started", Duration::from_secs(10), || {
        file.exists()
    });
    let started = Instant::now();
    std::thread::sleep(RUN);
    server.kill();
    let ran = started.elapsed();
    let status = publisher.wait(Duration::from_secs(10));
    assert!(
        !status.success(),
        "publisher did not notice the server died"
    );

    let flv = read_flv(&file);
    let (duration, frames) = ffmpeg::probe(&p.ffprobe, &file);
    let last = f64::from(flv.last_video_ms) / 1000.0;
    eprintln!(
        "record_killed/{}: killed after {ran:?} of recording; {} tags ({} video), trailing \
         bytes {} (ends cleanly: {}), last video tag at {last:.3} s; ffprobe duration \
         {duration:.3} s, {frames} decoded video frames",
        adapter.name(),
        flv.tags,
        flv.video_tags,
        flv.trailing,
        flv.ends_cleanly,
    );
    // Every tag up to the kill is in the file (the recorder flushes per tag).
    assert!(
        last >= ran.as_secs_f64() * 0.8,
        "last tag at {last} s after {ran:?}"
    );
    assert!(
        (duration - last).abs() <= last * 0.05 + 0.05,
        "ffprobe duration {duration} s vs last tag {last} s"
    );
    // One video tag is the sequence header; every other one decodes.
    assert_eq!(frames + 1, flv.video_tags, "decoded frames vs video tags");
    std::fs::remove_dir_all(&dir).ok();
}

for_each_adapter!(recording_survives_a_killed_server);
