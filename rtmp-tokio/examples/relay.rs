//! A live RTMP relay: one publisher per stream key, any number of players.
//!
//! ```sh
//! cargo run --release -p rtmp-tokio --example relay -- --listen 127.0.0.1:1935
//! ffmpeg -re -f lavfi -i testsrc=size=320x240:rate=25 -c:v libx264 -g 25 -f flv rtmp://127.0.0.1:1935/live/test
//! ffplay rtmp://127.0.0.1:1935/live/test
//! ```
//!
//! `--threads N` picks the runtime: 1 runs every connection on tokio's `current_thread`
//! runtime (one OS thread, no cross-thread wake-ups), more runs the multi-thread runtime
//! with N workers. A live relay's work per frame is short and the same for every player, so
//! one thread wastes least CPU per delivered byte; more threads add throughput once one core
//! is saturated (see the README's comparison with nginx-rtmp for figures).
//!
//! Logs go to stderr; `RUST_LOG=rtmp_driver=debug` shows more. Ctrl-C shuts down
//! gracefully (players receive the end of their streams).
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use rtmp_tokio::Server;
use rtmp_tokio::proto::relay::RelayConfig;
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(about = "RTMP live relay (tokio)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:1935")]
    listen: SocketAddr,
    /// Also write each published stream to DIR/<app>/<stream>-<n>.flv (flushed per tag).
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Bytes of the last GOP kept per stream for late joiners (0 disables the GOP cache).
    #[arg(long, value_name = "N")]
    gop_cache_bytes: Option<usize>,
    /// Outbound chunk size.
    #[arg(long, value_name = "N")]
    chunk_size: Option<u32>,
    /// Most simultaneous connections.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    /// Hold each player's output up to MS milliseconds and write it in one go: less CPU per
    /// delivered byte, up to MS of added latency (0, the default: write every frame at once).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    merge_ms: u64,
    /// Runtime threads: 1 = `current_thread` runtime, N > 1 = multi-thread runtime with N
    /// workers.
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
}

fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
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
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> std::io::Result<()> {
    let mut relay = RelayConfig::default();
    if let Some(n) = args.gop_cache_bytes {
        relay.gop_max_bytes = n;
    }
    let mut builder = Server::builder()
        .listen(args.listen)
        .max_connections(args.max_connections)
        .write_merge(std::time::Duration::from_millis(args.merge_ms))
        .relay_config(relay);
    if let Some(n) = args.chunk_size {
        builder = builder.chunk_size(n);
    }
    if let Some(dir) = &args.record {
        builder = builder.record_dir(dir);
    }
    let server = builder.bind().await?;
    let addr = server.local_addr();
    println!("publish to: rtmp://{addr}/live/<stream>   (e.g. rtmp://{addr}/live/test)");
    println!("play from:  rtmp://{addr}/live/<stream>");
    if let Some(dir) = &args.record {
        println!("recording:  {}/<app>/<stream>-<n>.flv", dir.display());
    }

    let handle = server.handle();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::info!("ctrl-c: shutting down");
            handle.shutdown();
        }
    });
    server.run().await
}
