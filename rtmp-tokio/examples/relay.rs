//! A live RTMP relay: one publisher per stream key, any number of players.
//!
//! ```sh
//! cargo run --release -p rtmp-tokio --example relay -- --listen 127.0.0.1:1935
//! ffmpeg -re -f lavfi -i testsrc=size=320x240:rate=25 -c:v libx264 -g 25 -f flv rtmp://127.0.0.1:1935/live/test
//! ffplay rtmp://127.0.0.1:1935/live/test
//! ```
//!
//! The flags are the driver's `cli::RelayArgs`, the same as the smol relay's; `--threads N`
//! picks the runtime: 1 runs every connection on tokio's `current_thread` runtime (one OS
//! thread, no cross-thread wake-ups), more runs the multi-thread runtime with N workers. A
//! live relay's work per frame is short and the same for every player, so one thread
//! wastes least CPU per delivered byte; more threads add throughput once one core is
//! saturated (see docs/nginx-comparison.md for figures).
//!
//! Logs go to stderr; `RUST_LOG=rtmp_driver=debug` shows more. Ctrl-C or SIGTERM shuts
//! down gracefully (players receive the end of their streams), or with `--drain-to URL`
//! first moves Enhanced RTMP publishers to that server.
#![allow(clippy::print_stdout)]

use clap::Parser;
use rtmp_tokio::Tokio;
use rtmp_tokio::driver::cli::{self, RelayArgs};

/// mimalloc: its segments get transparent huge pages, so the players' state the fan-out
/// touches every frame sits on a few 2 MiB pages (why and what it saves:
/// docs/nginx-comparison.md, "huge pages for the players' state"). The library does not
/// depend on it; embedders choose their own allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(about = "RTMP live relay (tokio)")]
struct Args {
    #[command(flatten)]
    relay: RelayArgs,
    /// Runtime threads: 1 = `current_thread` runtime, N > 1 = multi-thread runtime with N
    /// workers.
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
}

fn main() -> std::io::Result<()> {
    cli::init_logs();
    let args = Args::parse();
    let runtime = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    runtime.block_on(async {
        let server = cli::or_exit(args.relay.builder::<Tokio>()).bind().await?;
        println!("{}", args.relay.banner(&server));
        let handle = server.handle();
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let relay = args.relay.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            relay.on_signal(&handle);
        });
        server.run().await
    })
}
