//! The `tap` examples: a relay that also writes every keyframe of one stream to a file of
//! its own, in Annex B with its parameter sets, so each file decodes alone
//! (`ffmpeg -i key-3.h264 key-3.png`): thumbnails, or a check of what a publisher sends.

use std::path::PathBuf;

use rtmp_proto::media::VideoCodec;
use rtmp_proto::media::depacketize::{Codec, FrameFormat};

use super::{CliResult, RelayArgs};
use crate::server::{ServerHandle, SubscriptionEnd, TapItem, TapMode};

/// The `tap` example's flags (clap: flatten them into an example's own `Args`).
#[derive(Debug, Clone, clap::Args)]
pub struct TapArgs {
    /// The relay's own flags.
    #[command(flatten)]
    pub relay: RelayArgs,
    /// The stream to tap, as `app/name`.
    #[arg(long, value_name = "APP/NAME", default_value = "live/test")]
    pub stream: String,
    /// Where the keyframes go: `DIR/key-<n>.h264` (or `.h265`).
    #[arg(long, value_name = "DIR", default_value = "keyframes")]
    pub out: PathBuf,
}

impl TapArgs {
    /// The relay's banner and where the keyframes go, for a bound `server`.
    pub fn banner<R: crate::runtime::Runtime>(&self, server: &crate::server::Server<R>) -> String {
        format!(
            "{}\nkeyframes of {} go to {}",
            self.relay.banner(server),
            self.stream,
            self.out.display()
        )
    }
}

/// Taps `--stream` on the server behind `handle` and writes its keyframes until the server
/// shuts down; a stream that ends is waited for again.
pub async fn write_keyframes(handle: ServerHandle, args: TapArgs) -> CliResult {
    let (app, name) = args
        .stream
        .split_once('/')
        .ok_or("--stream must be app/name")?;
    std::fs::create_dir_all(&args.out)?;
    let mut n = 0u64;
    loop {
        let mode = TapMode::Frames(FrameFormat::default());
        let mut tap = match handle.tap(app, name, mode) {
            Ok(tap) => tap,
            Err(why) => return Err(why.description.into()),
        };
        let end = loop {
            let frame = match tap.next().await {
                Ok(TapItem::Frame(f)) => f,
                Ok(_) => continue,
                Err(end) => break end,
            };
            let ext = match frame.codec {
                Codec::Video(VideoCodec::Avc) => "h264",
                Codec::Video(VideoCodec::Hevc) => "h265",
                _ => continue,
            };
            if !frame.keyframe {
                continue;
            }
            let path = args.out.join(format!("key-{n}.{ext}"));
            // Small files, one a second or so: a blocking write is fine for an example.
            std::fs::write(&path, &frame.data)?;
            tracing::info!(path = %path.display(), bytes = frame.data.len(),
                timestamp_ms = frame.timestamp, "keyframe written");
            n += 1;
        };
        let stats = tap.stats();
        tracing::info!(stream = %tap.key(), reason = ?end, dropped = stats.frames_dropped,
            "tap ended");
        if end == SubscriptionEnd::Shutdown {
            return Ok(());
        }
    }
}
