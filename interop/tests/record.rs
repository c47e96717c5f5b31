//! `--record` (the builder's `record_dir`): the FLV file of a published stream is valid:
//! ffprobe reads it, its duration is within 5% of what was published, and our own FLV
//! reader parses every tag to a clean end.

use std::time::Duration;

use rtmp_interop::ffmpeg::{self, FPS};
use rtmp_interop::flv_file::read_flv;
use rtmp_interop::{
    Adapter, Proc, ServerOpts, for_each_adapter, peers, start, temp_dir, wait_until,
};

const FRAMES: u32 = 100;

fn recording_is_a_valid_flv_of_the_whole_stream(adapter: Adapter) {
    let Some(p) = peers::legacy("record") else {
        return;
    };
    let dir = temp_dir("record");
    let opts = ServerOpts {
        record_dir: Some(dir.clone()),
        ..ServerOpts::default()
    };
    let srv = start(adapter, &opts);
    let mut publisher = Proc::spawn(
        "publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &srv.url("rec"), FRAMES, 25),
    );
    let status = publisher.wait(Duration::from_secs(20));
    assert!(
        status.success(),
        "publisher: {status} {}",
        publisher.stderr()
    );
    // The recorder closes the file when the publisher's connection ends.
    wait_until("publisher gone", Duration::from_secs(5), || {
        srv.stats().publishers == 0
    });
    srv.stop();

    let file = dir.join("live/rec-1.flv");
    let flv = read_flv(&file);
    let (duration, frames) = ffmpeg::probe(&p.ffprobe, &file);
    let published = f64::from(FRAMES) / f64::from(FPS);
    eprintln!(
        "record/{}: {} tags ({} video, {} audio), ends cleanly: {}; ffprobe duration {duration:.3} s \
         (published {published:.3} s), {frames} decoded video frames of {FRAMES}",
        adapter.name(),
        flv.tags,
        flv.video_tags,
        flv.audio_tags,
        flv.ends_cleanly
    );
    assert!(flv.ends_cleanly, "file does not end after a complete tag");
    assert!(
        (duration - published).abs() <= published * 0.05,
        "duration {duration} s vs {published} s published"
    );
    assert_eq!(frames, u64::from(FRAMES), "decoded frames in the recording");
    std::fs::remove_dir_all(&dir).ok();
}

for_each_adapter!(recording_is_a_valid_flv_of_the_whole_stream);
