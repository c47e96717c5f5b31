//! Records an RTMP stream to an FLV file, reconnecting and failing over as needed; the
//! file's timeline stays monotonic across reconnects.
//!
//! ```sh
//! cargo run -p rtmp-smol --example play -- --url rtmp://127.0.0.1:1935/live/test --out out.flv --duration 10
//! ```
//!
//! The flags and the run are the driver's `cli::PlayArgs` / `cli::play`, the same on both
//! runtimes. Logs go to stderr (`RUST_LOG=rtmp_driver=debug` for more); Ctrl-C ends it.

use clap::Parser;
use rtmp_smol::Smol;
use rtmp_smol::driver::cli::{self, PlayArgs};
use smol::stream::StreamExt;

#[derive(Debug, Parser)]
#[command(about = "Record an RTMP stream to an FLV file (smol)")]
struct Args {
    #[command(flatten)]
    run: PlayArgs,
}

fn main() -> cli::CliResult {
    cli::init_logs();
    let args = Args::parse();
    let mut signals = async_signal::Signals::new([async_signal::Signal::Int])?;
    let ctrl_c = async move {
        let _ = signals.next().await;
    };
    smol::block_on(cli::play::<Smol>(&args.run, ctrl_c))
}
