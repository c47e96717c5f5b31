//! Pushes an FLV file to an RTMP server in real time (paced by tag timestamps), with
//! failover to backup URLs and automatic reconnection.
//!
//! ```sh
//! cargo run -p rtmp-smol --example relay -- --listen 127.0.0.1:1935 &
//! cargo run -p rtmp-smol --example publish -- \
//!     --url rtmp://127.0.0.1:1935/live/test --url rtmp://127.0.0.1:1936/live/test \
//!     --file rtmp-proto/tests/data/legacy_h264_aac.flv --loop
//! ffplay rtmp://127.0.0.1:1935/live/test
//! ```
//!
//! The flags and the run are the driver's `cli::PublishArgs` / `cli::publish`, the same on both
//! runtimes. Logs go to stderr (`RUST_LOG=rtmp_driver=debug` for more); Ctrl-C ends it.

use clap::Parser;
use rtmp_smol::Smol;
use rtmp_smol::driver::cli::{self, PublishArgs};
use smol::stream::StreamExt;

#[derive(Debug, Parser)]
#[command(about = "Publish an FLV file over RTMP, paced in real time (smol)")]
struct Args {
    #[command(flatten)]
    run: PublishArgs,
}

fn main() -> cli::CliResult {
    cli::init_logs();
    let args = Args::parse();
    let mut signals = async_signal::Signals::new([async_signal::Signal::Int])?;
    let ctrl_c = async move {
        let _ = signals.next().await;
    };
    smol::block_on(cli::publish::<Smol>(&args.run, ctrl_c))
}
