//! Records an RTMP stream to an FLV file, reconnecting (and failing over to backup URLs)
//! when the connection drops.
//!
//! ```sh
//! cargo run -p rtmp-tokio --example play -- --url rtmp://127.0.0.1:1935/live/test \
//!     --out out.flv --duration 10
//! ffprobe out.flv
//! ```
//!
//! Timestamps in the file start at 0 and stay monotonic across reconnects. Ctrl-C stops
//! early; the file is complete after every tag.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use rtmp_tokio::driver::client::flv_file::FlvFileWriter;
use rtmp_tokio::{Client, PlayerEvent};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(about = "Record an RTMP stream to an FLV file (tokio)")]
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();

    let mut builder = Client::builder();
    for url in &args.url {
        builder = builder.url(url);
    }
    let mut player = builder.play().await?;
    let mut file = FlvFileWriter::create(&args.out)?;
    let limit = args
        .duration
        .and_then(|s| Duration::try_from_secs_f64(s).ok());
    let stop = async {
        match limit {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(stop);
    loop {
        let event = tokio::select! {
            e = player.next() => e,
            () = &mut stop => break,
            _ = tokio::signal::ctrl_c() => break,
        };
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
}
