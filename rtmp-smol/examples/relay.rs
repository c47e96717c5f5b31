//! A live RTMP relay: one publisher per stream key, any number of players.
//!
//! ```sh
//! cargo run --release -p rtmp-smol --example relay -- --listen 127.0.0.1:1935
//! ffmpeg -re -f lavfi -i testsrc=size=320x240:rate=25 -c:v libx264 -g 25 -f flv rtmp://127.0.0.1:1935/live/test
//! ffplay rtmp://127.0.0.1:1935/live/test
//! ```
//!
//! The flags are the driver's `cli::RelayArgs`, the same as the tokio relay's; `--threads N`
//! runs connections on N threads (1: all on the thread of `block_on`; 0: one per core).
//!
//! Logs go to stderr; `RUST_LOG=rtmp_driver=debug` shows more. Ctrl-C or SIGTERM shuts
//! down gracefully (players receive the end of their streams), or with `--drain-to URL`
//! first moves Enhanced RTMP publishers to that server.
#![allow(clippy::print_stdout)]

use async_signal::{Signal, Signals};
use clap::Parser;
use rtmp_smol::Smol;
use rtmp_smol::driver::cli::{self, RelayArgs};
use smol::stream::StreamExt;

/// mimalloc: its segments get transparent huge pages, so the players' state the fan-out
/// touches every frame sits on a few 2 MiB pages (why and what it saves:
/// docs/nginx-comparison.md, "huge pages for the players' state"). The library does not
/// depend on it; embedders choose their own allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(about = "RTMP live relay (smol)")]
struct Args {
    #[command(flatten)]
    relay: RelayArgs,
    /// Threads that run connections: 1 runs them all on the thread of `block_on`, N > 1
    /// adds N - 1 executor threads (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
}

fn main() -> std::io::Result<()> {
    cli::init_logs();
    let args = Args::parse();
    // One thread wastes least CPU per relayed byte (no wake-ups across threads); more
    // threads are for a load that outgrows one core.
    let threads = match args.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let builder =
        cli::or_exit(args.relay.builder::<Smol>()).worker_threads(threads.saturating_sub(1));
    smol::block_on(async {
        let server = builder.bind().await?;
        println!("{}", args.relay.banner(&server));
        let handle = server.handle();
        let mut signals = Signals::new([Signal::Int, Signal::Term])?;
        let relay = args.relay.clone();
        let ctrl_c = async move {
            if let Some(Ok(_)) = signals.next().await {
                relay.on_signal(&handle);
            }
            // `run` returns once the shutdown is done.
            std::future::pending::<std::io::Result<()>>().await
        };
        smol::future::or(server.run(), ctrl_c).await
    })
}
