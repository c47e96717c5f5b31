//! A player joining 5 s after the start gets a decodable keyframe first and its first
//! frame in under 500 ms (GOP cache on): measured with our own client (time from `play` to
//! the first video frame, and the order sequence header -> keyframe), and checked with a
//! late ffmpeg player that decodes everything it gets without errors.

use std::time::{Duration, Instant};

use rtmp_interop::ffmpeg::{self, FPS, Play};
use rtmp_interop::{Adapter, Client, Proc, ServerOpts, for_each_adapter, peers, start, wait_until};
use rtmp_proto::relay::{Frame, FrameClass};
use rtmp_proto::session::{ClientEvent, MediaKind};

/// 8 s at 25 fps, a keyframe every 2 s: joining at 5 s lands mid-GOP (keyframe at 4 s).
const FRAMES: u32 = 200;
const GOP: u32 = 50;
const JOIN_AFTER: Duration = Duration::from_secs(5);

fn late_joiner_starts_at_a_cached_keyframe(adapter: Adapter) {
    let Some(p) = peers::legacy("late_joiner") else {
        return;
    };
    let srv = start(adapter, &ServerOpts::default());
    let url = srv.url("late");
    let mut publisher = Proc::spawn(
        "publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, GOP),
    );
    wait_until("publisher live", Duration::from_secs(10), || {
        srv.stats().frames_in > 0
    });
    let started = Instant::now();
    // Connected ahead of time: the measurement covers play -> first frame only.
    let mut client = Client::connect(srv.addr, "live");
    std::thread::sleep(JOIN_AFTER.saturating_sub(started.elapsed()));

    let mut ff = Proc::spawn(
        "late ffmpeg player",
        &mut ffmpeg::player(&p.ffmpeg, &url, Play::Decode),
    );
    let play_sent = Instant::now();
    let h = client.play("late");
    let deadline = play_sent + Duration::from_secs(5);
    let mut video = Vec::new();
    while video.len() < 2 {
        match client.next_event(deadline) {
            Some(ClientEvent::Media { handle, media })
                if handle == h && media.kind == MediaKind::Video =>
            {
                let ts = media.timestamp;
                video.push((play_sent.elapsed(), Frame::media(media).class(), ts));
            }
            Some(ClientEvent::StreamFailed { description, .. }) => {
                panic!("play failed: {description}")
            }
            Some(_) => {}
            None => panic!("fewer than 2 video frames within 5 s of play: {video:?}"),
        }
    }
    drop(client);
    let (first_at, first_class, _) = video[0];
    let (key_at, key_class, key_ts) = video[1];
    assert_eq!(
        first_class,
        FrameClass::VideoConfig,
        "first video is the sequence header"
    );
    assert_eq!(key_class, FrameClass::VideoKeyframe, "then a keyframe");

    let status = publisher.wait(Duration::from_secs(20));
    assert!(
        status.success(),
        "publisher: {status} {}",
        publisher.stderr()
    );
    let decoded = ffmpeg::finish_clean(&mut ff, rtmp_interop::player_end_limit());
    // The ffmpeg player joined at ~5 s: it must have at least everything after that.
    let after_join = u64::from(FRAMES) - JOIN_AFTER.as_secs() * u64::from(FPS);
    eprintln!(
        "late_joiner/{}: joined {:.2} s after the first frame; sequence header after {:?}, \
         keyframe (ts {key_ts} ms) after {key_at:?}; late ffmpeg player decoded {decoded} \
         frames ({after_join} published after it joined)",
        adapter.name(),
        (play_sent - started).as_secs_f64(),
        first_at,
    );
    assert!(
        key_at < Duration::from_millis(500),
        "first keyframe after {key_at:?}"
    );
    assert!(
        decoded >= after_join,
        "late ffmpeg player decoded {decoded} frames"
    );
    srv.stop();
}

for_each_adapter!(late_joiner_starts_at_a_cached_keyframe);
