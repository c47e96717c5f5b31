//! Live streams across their edges, with the relay's default settings (players wait for
//! their publisher; a stream's players are held 5 s for a new publisher after the old one
//! went away) and real peers:
//!
//! - players that arrive 2 s before the publisher (ffmpeg, rtmpdump, GStreamer `rtmp2src`
//!   and GStreamer `rtmpsrc` on librtmp) wait, then each receives at least 95% of the
//!   published frames and its output decodes without errors; each but `rtmpsrc` ends by
//!   itself at the stream's end (`rtmpsrc` dials again when librtmp closes at the end, see
//!   `gstreamer::play_to_file_librtmp`, and is stopped);
//! - an ffmpeg player (writing an FLV file as the data arrives) watches a stream whose
//!   ffmpeg publisher is killed with SIGKILL and started again 1 s later: the player does
//!   not exit in the gap, its file holds the frames of both publishers, decodes without
//!   errors, and its video timestamps never go back and jump at most by the gap + 1 s;
//! - the same with our resilient `Client` publishing through a proxy whose connection the
//!   test cuts: the client reconnects within its backoff and every frame it sends after
//!   reconnecting, from its first keyframe on, reaches the player.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rtmp_interop::ffmpeg::{self, Play, assert_most_frames};
use rtmp_interop::flv_file::media_tags;
use rtmp_interop::proxy::CutProxy;
use rtmp_interop::{
    Adapter, Peers, Proc, ServerOpts, for_each_adapter, gstreamer, our_client, peers,
    player_end_limit, start, temp_dir, wait_until,
};
use rtmp_proto::media::VideoTag;
use rtmp_proto::session::MediaKind;

/// A player's video timeline, read back from its file with ffprobe.
#[derive(Debug)]
struct Timeline {
    /// Video packets.
    frames: usize,
    /// The largest step between consecutive decoding timestamps, in seconds.
    max_jump: f64,
    /// Video packets up to and including the one before the largest step.
    before_jump: usize,
}

/// Reads the video DTS of `file`, asserts they never decrease, and finds the largest step.
fn timeline(p: &Peers, file: &Path, who: &str) -> Timeline {
    let dts = ffmpeg::video_dts(&p.ffprobe, file);
    assert!(
        dts.len() > 1,
        "{who}'s file holds {} video frames",
        dts.len()
    );
    let mut t = Timeline {
        frames: dts.len(),
        max_jump: 0.0,
        before_jump: 0,
    };
    for (i, w) in dts.windows(2).enumerate() {
        let step = w[1] - w[0];
        assert!(
            step >= 0.0,
            "{who}'s video DTS go back at frame {}: {} -> {}",
            i + 1,
            w[0],
            w[1]
        );
        if step > t.max_jump {
            t.max_jump = step;
            t.before_jump = i + 1;
        }
    }
    t
}

/// Asserts that the audio tags of `file` are in timestamp order; returns how many there are.
fn audio_in_order(file: &Path, who: &str) -> usize {
    let audio: Vec<u32> = media_tags(file)
        .iter()
        .filter(|t| !t.video)
        .map(|t| t.timestamp)
        .collect();
    if let Some(i) = audio.windows(2).position(|w| w[1] < w[0]) {
        panic!(
            "{who}'s audio timestamps go back at tag {}: {:?}",
            i + 1,
            audio.get(i..i + 2)
        );
    }
    audio.len()
}

mod players_first {
    use super::*;

    /// Published video frames (4 s at 25 fps).
    const FRAMES: u32 = 100;
    /// How long the players wait before the publisher starts.
    const EARLY: Duration = Duration::from_secs(2);

    fn players_started_before_the_publisher_play_it(adapter: Adapter) {
        let test = "live_continuity/players_first";
        let Some(l) = peers::librtmp(test) else {
            return;
        };
        let Some((gst, p)) = peers::gstreamer_launch(test) else {
            return;
        };
        let srv = start(adapter, &ServerOpts::default());
        let url = srv.url("early");
        let dir = temp_dir("players-first");
        let file = |name: &str| dir.join(format!("{name}.flv"));

        let mut ff = Proc::spawn(
            "ffmpeg player",
            &mut ffmpeg::player(&p.ffmpeg, &url, Play::Decode),
        );
        // Players that end by themselves at the stream's end.
        let mut file_players = vec![
            (
                "rtmpdump",
                Proc::spawn(
                    "rtmpdump",
                    Command::new(&l.rtmpdump)
                        .args(["--live", "--timeout", "15", "-r", &url, "-o"])
                        .arg(file("rtmpdump")),
                ),
            ),
            (
                "rtmp2src",
                Proc::spawn(
                    "GStreamer rtmp2src",
                    &mut gstreamer::play_to_file(&gst, &url, &file("rtmp2src")),
                ),
            ),
        ];
        // rtmpsrc does not end by itself (see `play_to_file_librtmp`): stopped below once
        // the stream has ended.
        let mut rtmpsrc = Proc::spawn(
            "GStreamer rtmpsrc",
            &mut gstreamer::play_to_file_librtmp(&gst, &url, &file("rtmpsrc")),
        );
        srv.wait_players(4);
        std::thread::sleep(EARLY);
        assert!(ff.try_wait().is_none(), "ffmpeg: {}", ff.stderr());
        let waiting = file_players
            .iter_mut()
            .map(|(name, pl)| (*name, pl))
            .chain([("rtmpsrc", &mut rtmpsrc)]);
        for (name, pl) in waiting {
            assert!(
                pl.try_wait().is_none(),
                "{name} gave up waiting for the publisher: {}",
                pl.stderr()
            );
        }
        assert_eq!(srv.stats().players, 4, "players waiting after {EARLY:?}");

        Proc::spawn(
            "ffmpeg publisher",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, 25),
        )
        .wait_success(Duration::from_secs(20));
        let published = Instant::now();
        // Each ends by itself once the grace after the publisher's end is over.
        let limit = player_end_limit();
        let mut got = vec![(
            "ffmpeg",
            ffmpeg::finish_clean(&mut ff, limit),
            published.elapsed(),
        )];
        for (name, pl) in &mut file_players {
            pl.wait_success(limit);
            let ended = published.elapsed();
            let frames = ffmpeg::clean_frames(&p.ffmpeg, &p.ffprobe, &file(name), name);
            got.push((name, frames, ended));
        }
        // The stream has ended for every player; rtmpsrc's file is complete (unbuffered).
        let rtmpsrc_exit = rtmpsrc.try_wait();
        rtmpsrc.kill();
        let errors = rtmpsrc.stderr();
        assert!(
            rtmpsrc_exit.is_none_or(|s| s.success()) && errors.trim().is_empty(),
            "rtmpsrc failed ({rtmpsrc_exit:?}): {errors}"
        );
        let frames = ffmpeg::clean_frames(&p.ffmpeg, &p.ffprobe, &file("rtmpsrc"), "rtmpsrc");
        got.push(("rtmpsrc", frames, published.elapsed()));
        eprintln!(
            "live_continuity/players_first/{}: 4 players waited {EARLY:?}; ffmpeg published \
             {FRAMES} video frames; (player, decoded frames, ended (rtmpsrc: stopped) after \
             the publisher): {got:?}",
            adapter.name()
        );
        for (name, frames, _) in &got {
            assert_most_frames(name, *frames, FRAMES);
        }
        srv.stop();
    }

    for_each_adapter!(players_started_before_the_publisher_play_it);
}

mod ffmpeg_restart {
    use super::*;

    /// The first publisher is killed long before its end.
    const FIRST_FRAMES: u32 = 500;
    /// ... once the player has this many video frames (3 s).
    const KILL_AT: u64 = 75;
    const RESTART_AFTER: Duration = Duration::from_secs(1);
    /// The second publisher's frames (4 s), all of which the player must get.
    const SECOND_FRAMES: u32 = 100;

    fn a_player_keeps_its_stream_across_a_killed_publisher(adapter: Adapter) {
        let Some(p) = peers::legacy("live_continuity/ffmpeg_restart") else {
            return;
        };
        let srv = start(adapter, &ServerOpts::default());
        let url = srv.url("restart");
        let out = temp_dir("ffmpeg-restart").join("player.flv");
        let mut player = Proc::spawn(
            "ffmpeg player",
            &mut ffmpeg::player_to_file(&p.ffmpeg, &url, &out),
        );
        srv.wait_players(1);
        let mut first = Proc::spawn(
            "first publisher",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FIRST_FRAMES, 25),
        );
        wait_until(
            "player receiving the first publisher",
            Duration::from_secs(15),
            || ffmpeg::frames(&player) >= KILL_AT,
        );
        first.kill();
        let killed = Instant::now();
        let at_kill = ffmpeg::frames(&player);
        std::thread::sleep(RESTART_AFTER);
        assert!(
            player.try_wait().is_none(),
            "the player exited in the gap: {}",
            player.stderr()
        );
        let in_before = srv.stats().frames_in;
        let mut second = Proc::spawn(
            "second publisher",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, SECOND_FRAMES, 25),
        );
        wait_until("second publisher live", Duration::from_secs(10), || {
            srv.stats().frames_in > in_before
        });
        let gap = killed.elapsed();
        wait_until(
            "player receiving the second publisher",
            Duration::from_secs(10),
            || ffmpeg::frames(&player) > at_kill,
        );
        let resumed = killed.elapsed();
        assert!(
            player.try_wait().is_none(),
            "the player exited: {}",
            player.stderr()
        );
        second.wait_success(Duration::from_secs(20));
        let status = player.wait(player_end_limit());
        let errors = player.stderr();
        assert!(status.success(), "player: {status} {errors}");
        assert!(errors.trim().is_empty(), "player reported errors: {errors}");

        let decoded = ffmpeg::clean_frames(&p.ffmpeg, &p.ffprobe, &out, "the player");
        let t = timeline(&p, &out, "the player");
        let audio = audio_in_order(&out, "the player");
        let after = t.frames - t.before_jump;
        eprintln!(
            "live_continuity/ffmpeg_restart/{}: player had {at_kill} video frames at the kill; \
             second publisher live {gap:?} after the kill, reached the player after \
             {resumed:?}; file: {} video frames ({decoded} decoded), {} before the largest \
             DTS step of {:.3} s and {after} after it (second publisher sent {SECOND_FRAMES}); \
             {audio} audio tags in order",
            adapter.name(),
            t.frames,
            t.before_jump,
            t.max_jump,
        );
        assert!(
            t.max_jump <= (gap + Duration::from_secs(1)).as_secs_f64(),
            "video DTS jump {:.3} s across a {gap:?} gap",
            t.max_jump
        );
        // The gap shows in the timeline: it splits the two publishers' frames.
        assert!(
            t.max_jump >= 0.5,
            "no gap in the timeline: {:.3} s",
            t.max_jump
        );
        assert!(
            t.before_jump as u64 >= at_kill,
            "first publisher: {} frames in the file, {at_kill} seen by the player",
            t.before_jump
        );
        assert_most_frames(
            "the player, of the second publisher",
            after as u64,
            SECOND_FRAMES,
        );
        assert_eq!(decoded as usize, t.frames, "every video frame decodes");
        srv.stop();
    }

    for_each_adapter!(a_player_keeps_its_stream_across_a_killed_publisher);
}

mod client_reconnect {
    use super::*;

    /// The file our client publishes (10 s at 25 fps, a keyframe every second).
    const FRAMES: u32 = 250;
    /// The connection is cut once the player has this many video frames (3 s).
    const CUT_AT: u64 = 75;
    /// The default reconnect policy's first wait (1 s) plus its jitter (20%).
    const BACKOFF: Duration = Duration::from_millis(1200);

    /// The codec data of a tag body, without the FLV header byte(s) a remuxer rewrites.
    fn body(video: bool, data: &[u8]) -> &[u8] {
        data.get(if video { 5 } else { 2 }..).unwrap_or(&[])
    }

    fn every_frame_after_our_clients_reconnect_reaches_the_player(adapter: Adapter) {
        let Some(p) = peers::legacy("live_continuity/client_reconnect") else {
            return;
        };
        let dir = temp_dir("client-reconnect");
        let pattern = ffmpeg::pattern_file(&p.ffmpeg, &dir, FRAMES, 25);
        let srv = start(adapter, &ServerOpts::default());
        let proxy = CutProxy::start(srv.addr);
        let out = dir.join("player.flv");
        let mut player = Proc::spawn(
            "ffmpeg player",
            &mut ffmpeg::player_to_file(&p.ffmpeg, &srv.url("ours"), &out),
        );
        srv.wait_players(1);
        let publisher = {
            let url = format!("rtmp://{}/live/ours", proxy.addr);
            std::thread::spawn(move || {
                our_client::publish_file_tracked(adapter, &url, &pattern, Duration::from_secs(40))
            })
        };
        wait_until("player receiving", Duration::from_secs(15), || {
            ffmpeg::frames(&player) >= CUT_AT
        });
        assert_eq!(proxy.cut(), 1, "one proxied connection to cut");
        let cut = Instant::now();
        let at_cut = ffmpeg::frames(&player);
        wait_until("our client back", Duration::from_secs(10), || {
            proxy.accepted() >= 2 && srv.stats().publishers == 1
        });
        let back = cut.elapsed();
        wait_until(
            "player receiving after the reconnect",
            Duration::from_secs(10),
            || ffmpeg::frames(&player) > at_cut,
        );
        let resumed = cut.elapsed();
        assert!(
            player.try_wait().is_none(),
            "the player exited: {}",
            player.stderr()
        );
        let push = publisher
            .join()
            .expect("publisher thread")
            .unwrap_or_else(|e| panic!("our publisher: {e}"));
        assert!(
            player.try_wait().is_none(),
            "the player exited before the grace: {}",
            player.stderr()
        );
        let status = player.wait(player_end_limit());
        let errors = player.stderr();
        assert!(status.success(), "player: {status} {errors}");
        assert!(errors.trim().is_empty(), "player reported errors: {errors}");

        assert_eq!(push.status.starts, 2, "one reconnect: {:?}", push.status);
        assert_eq!(proxy.accepted(), 2, "connections through the proxy");
        let restarted = push
            .restarted_at
            .expect("the client reported its reconnect")
            .saturating_duration_since(cut);
        // From the first keyframe handed over after the client published again, every
        // frame must reach the player (before it, the client skips inter frames and the
        // relay holds audio: players resume at a keyframe).
        let after: Vec<&our_client::Handed> = push
            .frames
            .iter()
            .filter(|f| f.starts >= 2)
            .skip_while(|f| {
                f.media.kind != MediaKind::Video
                    || !VideoTag::parse(f.media.payload.clone()).is_ok_and(|t| t.is_keyframe())
            })
            .collect();
        let first_key = after.first().expect("a keyframe after the reconnect");
        let gap = first_key.at.saturating_duration_since(cut);

        // What the player saved after the gap: tags stamped past the middle of the largest
        // step between video timestamps.
        let tags = media_tags(&out);
        let video_ts: Vec<u32> = tags
            .iter()
            .filter(|t| t.video)
            .map(|t| t.timestamp)
            .collect();
        let split = video_ts
            .windows(2)
            .max_by_key(|w| w[1].saturating_sub(w[0]))
            .map_or(0, |w| w[0] + w[1].saturating_sub(w[0]) / 2);
        let mut received: HashMap<(bool, &[u8]), usize> = HashMap::new();
        for t in tags.iter().filter(|t| t.timestamp > split) {
            *received
                .entry((t.video, body(t.video, &t.data)))
                .or_default() += 1;
        }
        let mut missing = Vec::new();
        for f in &after {
            let video = f.media.kind == MediaKind::Video;
            match received.get_mut(&(video, body(video, &f.media.payload))) {
                Some(n) if *n > 0 => *n -= 1,
                _ => missing.push((f.media.kind, f.media.timestamp)),
            }
        }
        // Video frames with a picture, as ffprobe counts them (not the file's final
        // end-of-sequence tag).
        let sent_video = after
            .iter()
            .filter(|f| {
                f.media.kind == MediaKind::Video
                    && VideoTag::parse(f.media.payload.clone())
                        .is_ok_and(|t| !t.is_sequence_end() && !t.is_sequence_header())
            })
            .count();
        let decoded = ffmpeg::clean_frames(&p.ffmpeg, &p.ffprobe, &out, "the player");
        let t = timeline(&p, &out, "the player");
        let audio = audio_in_order(&out, "the player");
        eprintln!(
            "live_continuity/client_reconnect/{}: cut after {at_cut} video frames at the player; \
             client published again after {restarted:?} (relay saw it after {back:?}), first \
             keyframe handed over after {gap:?}, player resumed after {resumed:?}; \
             counters {:?}; after the reconnect {} frames ({sent_video} video) handed over \
             from that keyframe, {} missing at the player; file: {} video frames ({decoded} \
             decoded), {} after the largest DTS step of {:.3} s; {audio} audio tags in order",
            adapter.name(),
            push.status.counters,
            after.len(),
            missing.len(),
            t.frames,
            t.frames - t.before_jump,
            t.max_jump,
        );
        assert!(
            restarted <= BACKOFF + Duration::from_secs(1),
            "our client published again {restarted:?} after the cut (backoff {BACKOFF:?})"
        );
        assert!(
            missing.is_empty(),
            "frames sent after the reconnect that the player lacks (kind, ts): {missing:?}"
        );
        assert!(
            t.frames - t.before_jump >= sent_video,
            "{} video frames after the gap, {sent_video} sent",
            t.frames - t.before_jump
        );
        assert!(
            t.max_jump <= (gap + Duration::from_secs(1)).as_secs_f64(),
            "video DTS jump {:.3} s across a {gap:?} gap",
            t.max_jump
        );
        assert_eq!(decoded as usize, t.frames, "every video frame decodes");
        srv.stop();
    }

    for_each_adapter!(every_frame_after_our_clients_reconnect_reaches_the_player);
}
