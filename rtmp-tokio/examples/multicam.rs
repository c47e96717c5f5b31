//! Publishes N streams at once, one per camera id, to URLs built from a template, each
//! with its own reconnect loop: what a multi-camera recorder or a load test does.
//!
//! ```sh
//! cargo run -p rtmp-tokio --example relay &
//! cargo run -p rtmp-tokio --example multicam -- \
//!     --template 'rtmp://127.0.0.1:1935/live/cam{camera_id}_{stream}' --cameras 4 --stream main
//! ffplay rtmp://127.0.0.1:1935/live/cam2_main
//! ```
//!
//! Template variables: `{camera_id}` (1..=N) and `{stream}` (also `{stream_name}`).
//! Without `--file` each camera sends a synthetic stream (metadata, an H.264 sequence
//! header, then 25 frames per second with a keyframe every second; the frames are filler,
//! not decodable pictures); with `--file` each camera pushes that FLV file in real time.
//!
//! The flags and the run are the driver's `cli::MulticamArgs` / `cli::multicam`, the same on both
//! runtimes. Logs go to stderr (`RUST_LOG=rtmp_driver=debug` for more); Ctrl-C ends it.

use clap::Parser;
use rtmp_tokio::Tokio;
use rtmp_tokio::driver::cli::{self, MulticamArgs};

#[derive(Debug, Parser)]
#[command(about = "Publish one RTMP stream per camera from a URL template (tokio)")]
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
