//! A camera fleet: every camera's streams published at once, each with its own failover
//! list and reconnect loop, and a status table (state, URL, bitrate, reconnects) every few
//! seconds, as a multi-camera recorder does.
//!
//! ```sh
//! cargo run -p rtmp-tokio --example relay &
//! cargo run -p rtmp-tokio --example multicam -- --config cameras.json
//! cargo run -p rtmp-tokio --example multicam -- \
//!     --template 'rtmp://127.0.0.1:1935/live/cam{camera_id}_{stream}' --cameras 4 --stream main
//! ffplay rtmp://127.0.0.1:1935/live/cam2_main
//! ```
//!
//! `--config` takes a JSON file with a URL template and fallback templates, or static URLs
//! per camera and stream (`docs/fleet.md`); the flags cover the simple case (`--template`,
//! repeated `--fallback`, `--cameras N`, `--stream`). Template variables: `{camera_id}`
//! and `{stream_name}` (also `{stream}`). Without a file each stream sends a synthetic
//! stream (metadata, an H.264 sequence header, then 25 frames per second with a keyframe
//! every second; the frames are filler, not decodable pictures).
//!
//! The flags and the run are the driver's `cli::MulticamArgs` / `cli::multicam`, the same on both
//! runtimes. Logs go to stderr (`RUST_LOG=rtmp_driver=debug` for more); Ctrl-C ends it.

use clap::Parser;
use rtmp_tokio::Tokio;
use rtmp_tokio::driver::cli::{self, MulticamArgs};

#[derive(Debug, Parser)]
#[command(about = "Publish a camera fleet from a config or a URL template (tokio)")]
struct Args {
    #[command(flatten)]
    run: MulticamArgs,
}

#[tokio::main]
async fn main() -> cli::CliResult {
    cli::init_logs();
    let args = Args::parse();
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    cli::multicam::<Tokio>(&args.run, ctrl_c).await
}
