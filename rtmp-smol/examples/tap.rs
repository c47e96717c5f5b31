//! A relay that writes every keyframe of one stream to its own Annex B file, decodable
//! alone: `ServerHandle::tap` on smol (the same flags as the tokio `tap` example).
//!
//! ```sh
//! cargo run -p rtmp-smol --example tap -- --stream live/test --out keyframes --log-events
//! ```
#![allow(clippy::print_stdout)]

use async_signal::{Signal, Signals};
use clap::Parser;
use rtmp_smol::Smol;
use rtmp_smol::driver::cli::{self, TapArgs};
use smol::stream::StreamExt;

#[derive(Debug, Parser)]
#[command(about = "RTMP relay writing one stream's keyframes to files (smol)")]
struct Args {
    #[command(flatten)]
    tap: TapArgs,
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    cli::init_logs();
    let args = Args::parse();
    smol::block_on(async {
        let server = cli::or_exit(args.tap.relay.builder::<Smol>())
            .bind()
            .await?;
        println!("{}", args.tap.banner(&server));
        let handle = server.handle();
        let mut signals = Signals::new([Signal::Int, Signal::Term])?;
        let relay = args.tap.relay.clone();
        let stop = handle.clone();
        smol::spawn(async move {
            if let Some(Ok(_)) = signals.next().await {
                relay.on_signal(&stop);
            }
        })
        .detach();
        let writer = smol::spawn(cli::write_keyframes(handle, args.tap.clone()));
        server.run().await?;
        writer.await?;
        Ok(())
    })
}
