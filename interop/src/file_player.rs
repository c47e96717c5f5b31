//! The scenario every "real client plays from the relay into a file" test runs: the
//! player starts first and waits, ffmpeg publishes the pattern, the player must end by
//! itself (exit 0) once the stream ends, and its file must decode without errors.

use std::path::Path;
use std::time::Duration;

use crate::ffmpeg;
use crate::{Adapter, Peers, Proc, ServerOpts, start, temp_dir};

/// Runs the scenario with the player `spawn(url, out)` starts; returns the video frames of
/// its file. `who` names the player in messages.
pub fn plays_the_pattern(
    adapter: Adapter,
    p: &Peers,
    who: &str,
    frames: u32,
    spawn: impl FnOnce(&str, &Path) -> Proc,
) -> u64 {
    let srv = start(adapter, &ServerOpts::default());
    let url = srv.url("pattern");
    let out = temp_dir("file-player").join("played.flv");
    let mut player = spawn(&url, &out);
    srv.wait_players(1);
    Proc::spawn(
        "ffmpeg publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, frames, 25),
    )
    .wait_success(Duration::from_secs(20));
    player.wait_success(crate::player_end_limit());
    let saved = ffmpeg::clean_frames(&p.ffmpeg, &p.ffprobe, &out, who);
    eprintln!(
        "{who}/{}: ffmpeg published {frames} video frames; {who} saved {saved}",
        adapter.name()
    );
    srv.stop();
    saved
}
