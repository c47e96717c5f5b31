//! The `publish` example: an FLV file pushed in real time, with failover and reconnection.

use std::future::Future;
use std::path::PathBuf;

use super::{CliResult, First, first};
use crate::client::Client;
use crate::runtime::Runtime;

/// The `publish` example's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct PublishArgs {
    /// Server URL, `rtmp[s]://host[:port]/app/stream`. Repeat for backups, tried in order.
    #[arg(long, required = true)]
    pub url: Vec<String>,
    /// The FLV file to send.
    #[arg(long)]
    pub file: PathBuf,
    /// Start over at the end of the file, forever.
    #[arg(long = "loop")]
    pub looping: bool,
    /// Do not reconnect after the stream fails once established.
    #[arg(long)]
    pub no_reconnect: bool,
    /// Trust only the certificate authorities in this PEM file for rtmps:// URLs (a
    /// private CA); default: the public web's roots.
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "FILE.pem")]
    pub ca: Option<PathBuf>,
}

/// Publishes `args.file` until it ends (or forever with `--loop`) or `interrupted`
/// completes (Ctrl-C), then ends the stream politely and logs the counters.
pub async fn publish<R: Runtime + Default>(
    args: &PublishArgs,
    interrupted: impl Future<Output = ()>,
) -> CliResult {
    let mut builder = Client::<R>::builder().auto_reconnect(!args.no_reconnect);
    for url in &args.url {
        builder = builder.url(url);
    }
    #[cfg(feature = "tls")]
    if let Some(ca) = &args.ca {
        builder = builder.ca_file(ca);
    }
    let publisher = builder.publish().await?;
    tracing::info!(url = ?publisher.status().url.map(|u| u.to_string()), "publishing");
    let result = match first(
        publisher.push_flv_file(&args.file, args.looping),
        interrupted,
    )
    .await
    {
        First::A(r) => r.map(Some),
        First::B(()) => Ok(None),
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
