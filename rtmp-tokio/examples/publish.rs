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
//! The flags and the run are the driver's `cli::PublishArgs` / `cli::publish`, the same on both
//! runtimes. Logs go to stderr (`RUST_LOG=rtmp_driver=debug` for more); Ctrl-C ends it.

use clap::Parser;
use rtmp_tokio::Tokio;
use rtmp_tokio::driver::cli::{self, PublishArgs};

#[derive(Debug, Parser)]
#[command(about = "Publish an FLV file over RTMP, paced in real time (tokio)")]
struct Args {
    #[command(flatten)]
    run: PublishArgs,
}

#[tokio::main]
async fn main() -> cli::CliResult {
    cli::init_logs();
    let args = Args::parse();
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    cli::publish::<Tokio>(&args.run, ctrl_c).await
}
