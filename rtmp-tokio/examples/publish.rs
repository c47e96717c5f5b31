//! Pushes an FLV file to an RTMP server in real time (paced by tag timestamps), with
//! failover to backup URLs and automatic reconnection.
//!
//! ```sh
//! cargo run -p rtmp-tokio --example relay -- --listen 127.0.0.1:1935 &
//! cargo run -p rtmp-tokio --example publish -- \
//!     --url rtmp://127.0.0.1:1935/live/test --url rtmp://127.0.0.1:1936/live/test \
//!     --file rtmp-proto/tests/data/legacy_h264_aac.flv --loop
//! ffplay rtmp://127.0.0.1:1935/live/test
//! ```
//!
//! Logs go to stderr (`RUST_LOG=rtmp_driver=debug` for more). Ctrl-C ends the stream.

use std::path::PathBuf;

use clap::Parser;
use rtmp_tokio::Client;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(about = "Publish an FLV file over RTMP, paced in real time (tokio)")]
struct Args {
    /// Server URL, rtmp://host[:port]/app/stream. Repeat for backups, tried in order.
    #[arg(long, required = true)]
    url: Vec<String>,
    /// The FLV file to send.
    #[arg(long)]
    file: PathBuf,
    /// Start over at the end of the file, forever.
    #[arg(long = "loop")]
    looping: bool,
    /// Do not reconnect after the stream fails once established.
    #[arg(long)]
    no_reconnect: bool,
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

    let mut builder = Client::builder().auto_reconnect(!args.no_reconnect);
    for url in &args.url {
        builder = builder.url(url);
    }
    let publisher = builder.publish().await?;
    tracing::info!(url = ?publisher.status().url.map(|u| u.to_string()), "publishing");

    let result = tokio::select! {
        r = publisher.push_flv_file(&args.file, args.looping) => r.map(Some),
        _ = tokio::signal::ctrl_c() => Ok(None),
    };
    let status = publisher.status();
    publisher.close().await?;
    match result {
        Ok(Some(items)) => tracing::info!(items, "file sent"),
        Ok(None) => tracing::info!("interrupted"),
        Err(e) => return Err(e.into()),
    }
    let c = status.counters;
    tracing::info!(
        sent = c.sent,
        dropped_offline = c.dropped_offline,
        resends = c.resends,
        starts = status.starts,
        "done"
    );
    Ok(())
}
