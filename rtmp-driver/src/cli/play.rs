//! The `play` example: a stream recorded to an FLV file, surviving reconnects.

use std::future::Future;
use std::path::PathBuf;

use super::{CliResult, First, after, first};
use crate::client::flv_file::FlvFileWriter;
use crate::client::{Client, PlayerEvent};
use crate::runtime::Runtime;

/// The `play` example's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct PlayArgs {
    /// Server URL, `rtmp[s]://host[:port]/app/stream`. Repeat for backups, tried in order.
    #[arg(long, required = true)]
    pub url: Vec<String>,
    /// The FLV file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Stop after this many seconds (default: until Ctrl-C or the player gives up).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Trust only the certificate authorities in this PEM file for rtmps:// URLs (a
    /// private CA); default: the public web's roots.
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "FILE.pem")]
    pub ca: Option<PathBuf>,
}

/// Plays `args.url` into `args.out` until `--duration`, `interrupted` (Ctrl-C) or the
/// player gives up.
pub async fn play<R: Runtime + Default>(
    args: &PlayArgs,
    interrupted: impl Future<Output = ()>,
) -> CliResult {
    let mut builder = Client::<R>::builder();
    for url in &args.url {
        builder = builder.url(url);
    }
    #[cfg(feature = "tls")]
    if let Some(ca) = &args.ca {
        builder = builder.ca_file(ca);
    }
    let rt = R::default();
    let mut player = builder.play().await?;
    let mut file = FlvFileWriter::create(&args.out)?;
    let stop = first(after(&rt, args.duration), interrupted);
    let mut stop = std::pin::pin!(stop);
    loop {
        let event = match first(player.next(), stop.as_mut()).await {
            First::A(e) => e,
            First::B(_) => break,
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
