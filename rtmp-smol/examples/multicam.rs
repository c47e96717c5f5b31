//! A camera fleet: every camera's streams published at once, each with its own failover
//! list and reconnect loop, and a status table (state, URL, bitrate, reconnects) every few
//! seconds, as a multi-camera recorder does.
//!
//! ```sh
//! cargo run -p rtmp-smol --example relay &
//! cargo run -p rtmp-smol --example multicam -- --config cameras.json
//! cargo run -p rtmp-smol --example multicam -- \
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
use rtmp_smol::Smol;
use rtmp_smol::driver::cli::{self, MulticamArgs};
use smol::stream::StreamExt;

#[derive(Debug, Parser)]
#[command(about = "Publish a camera fleet from a config or a URL template (smol)")]
struct Args {
    #[command(flatten)]
    run: MulticamArgs,
}

fn main() -> cli::CliResult {
    cli::init_logs();
    let args = Args::parse();
    let mut signals = async_signal::Signals::new([async_signal::Signal::Int])?;
    let ctrl_c = async move {
        let _ = signals.next().await;
    };
    smol::block_on(cli::multicam::<Smol>(&args.run, ctrl_c))
}
