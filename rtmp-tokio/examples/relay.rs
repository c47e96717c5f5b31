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

/// The relay's allocator. mimalloc takes memory from the OS in large aligned segments and
/// asks the kernel to back them with transparent huge pages (`madvise`, Linux's default
/// mode; `AnonHugePages` in the process's smaps shows them), so the players' connection
/// state lives on a few 2 MiB pages instead of hundreds of 4 KiB ones.
/// The fan-out touches every player's state once per frame, and with 4 KiB pages most of
/// those first touches missed the TLB: measured on a 2-core VM with 100 players of a real
/// encoder's stream, mimalloc cut the relay's user CPU by ~25% (see docs/benchmarks.md).
/// Embedders choose their own allocator; the library does not depend on it.
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
