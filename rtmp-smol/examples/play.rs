//! Records an RTMP stream to an FLV file, reconnecting (and failing over to backup URLs)
//! when the connection drops.
//!
//! ```sh
//! cargo run -p rtmp-smol --example play -- --url rtmp://127.0.0.1:1935/live/test \
//!     --out out.flv --duration 10
//! ffprobe out.flv
//! ```
//!
//! Timestamps in the file start at 0 and stay monotonic across reconnects. Ctrl-C stops
//! early; the file is complete after every tag.

use std::path::PathBuf;
use std::time::Duration;

use async_signal::{Signal, Signals};
use clap::Parser;
use rtmp_smol::driver::client::flv_file::FlvFileWriter;
use rtmp_smol::{Client, PlayerEvent};
use smol::stream::StreamExt;
use smol::{Timer, future};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(about = "Record an RTMP stream to an FLV file (smol)")]
struct Args {
    /// Server URL, rtmp://host[:port]/app/stream. Repeat for backups, tried in order.
    #[arg(long, required = true)]
    url: Vec<String>,
    /// The FLV file to write.
    #[arg(long)]
    out: PathBuf,
    /// Stop after this many seconds (default: until Ctrl-C or the player gives up).
    #[arg(long, value_name = "S")]
    duration: Option<f64>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    smol::block_on(async {
        let mut builder = Client::builder();
        for url in &args.url {
            builder = builder.url(url);
        }
        let mut player = builder.play().await?;
        let mut file = FlvFileWriter::create(&args.out)?;
        // One timer for the whole run (`Timer::never` without a limit).
        let mut stop = match args
            .duration
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
        {
            Some(d) => Timer::after(d),
            None => Timer::never(),
        };
        let mut signals = Signals::new([Signal::Int])?;
        loop {
            // `None` outer: stop (time or Ctrl-C); `Some(None)`: the player ended.
            let event = future::or(async { Some(player.next().await) }, async {
                future::or(
                    async {
                        (&mut stop).await;
                    },
                    async {
                        signals.next().await;
                    },
                )
                .await;
                None
            })
            .await;
            let Some(event) = event else { break };
            match event {
                Some(PlayerEvent::Started { url }) => {
                    tracing::info!(%url, "playing");
                    file.discontinuity();
                }
                Some(PlayerEvent::Media(m)) => file.write_media(&m)?,
                Some(PlayerEvent::Metadata(m)) => file.write_metadata(&m)?,
                Some(PlayerEvent::Unpublished) => tracing::info!("publisher left; waiting"),
                Some(PlayerEvent::Interrupted { reason }) => {
                    tracing::warn!(?reason, "connection lost; reconnecting")
                }
                Some(_) => {}
                None => {
                    tracing::warn!(status = ?player.status().last_failure, "player stopped");
                    break;
                }
            }
        }
        let tags = file.tags();
        file.finish()?;
        player.close().await;
        tracing::info!(tags, out = %args.out.display(), "recorded");
        Ok(())
    })
}
