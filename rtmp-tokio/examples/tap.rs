//! A relay that writes every keyframe of one stream to its own Annex B file, decodable
//! alone: a live demonstration of `ServerHandle::tap` (parsed frames).
//!
//! ```sh
//! cargo run -p rtmp-tokio --example tap -- --stream live/test --out keyframes --log-events
//! ffmpeg -re -f lavfi -i testsrc=size=320x240:rate=25 -c:v libx264 -g 25 -f flv rtmp://127.0.0.1:1935/live/test
//! ffmpeg -i keyframes/key-0.h264 key-0.png
//! ```
//!
//! The relay's flags are the relay example's (`--log-events` prints every connection's
//! lifecycle); players may play the stream as usual meanwhile.
#![allow(clippy::print_stdout)]

use clap::Parser;
use rtmp_tokio::Tokio;
use rtmp_tokio::driver::cli::{self, TapArgs};

#[derive(Debug, Parser)]
#[command(about = "RTMP relay writing one stream's keyframes to files (tokio)")]
struct Args {
    #[command(flatten)]
    tap: TapArgs,
}

fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    cli::init_logs();
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = cli::or_exit(args.tap.relay.builder::<Tokio>())
            .bind()
            .await?;
        println!("{}", args.tap.banner(&server));
        let handle = server.handle();
        let relay = args.tap.relay.clone();
        let stop = handle.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            relay.on_signal(&stop);
        });
        let writer = tokio::spawn(cli::write_keyframes(handle, args.tap.clone()));
        server.run().await?;
        writer.await??;
        Ok(())
    })
}
