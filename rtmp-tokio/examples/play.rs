//! Records an RTMP stream to an FLV file, reconnecting and failing over as needed; the
//! file's timeline stays monotonic across reconnects.
//!
//! ```sh
//! cargo run -p rtmp-tokio --example play -- --url rtmp://127.0.0.1:1935/live/test --out out.flv --duration 10
//! ```
//!
//! The flags and the run are the driver's `cli::PlayArgs` / `cli::play`, the same on both
//! runtimes. Logs go to stderr (`RUST_LOG=rtmp_driver=debug` for more); Ctrl-C ends it.

use clap::Parser;
use rtmp_tokio::Tokio;
use rtmp_tokio::driver::cli::{self, PlayArgs};

#[derive(Debug, Parser)]
#[command(about = "Record an RTMP stream to an FLV file (tokio)")]
struct Args {
    #[command(flatten)]
    run: PlayArgs,
}

#[tokio::main]
async fn main() -> cli::CliResult {
    cli::init_logs();
    let args = Args::parse();
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    cli::play::<Tokio>(&args.run, ctrl_c).await
}
