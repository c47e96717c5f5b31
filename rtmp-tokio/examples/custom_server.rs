//! A server that is not the relay, on the public connection API: it accepts every connect
//! and publish and logs what each publisher sends. The place to start a recorder, a
//! transcoder's ingest or a test server of your own.
//!
//! ```sh
//! cargo run -p rtmp-tokio --example custom_server -- --listen 127.0.0.1:1935
//! ffmpeg -re -f lavfi -i testsrc=rate=25 -c:v libx264 -f flv rtmp://127.0.0.1:1935/live/test
//! ```
#![allow(clippy::print_stdout)]

use std::net::SocketAddr;
use std::sync::Arc;

use clap::Parser;
use rtmp_tokio::driver::runtime::{Runtime, accept};
use rtmp_tokio::proto::session::{ConnectReply, ServerConfig, ServerEvent};
use rtmp_tokio::{ServerConnection, Tokio};

#[derive(Debug, Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:1935")]
    listen: SocketAddr,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let listener = Tokio.bind(args.listen)?;
    println!("listening on {}", args.listen);
    let config = Arc::new(ServerConfig::default());
    loop {
        let (sock, peer) = accept(&listener).await?;
        let conn = ServerConnection::accept(Tokio, sock, peer, config.clone());
        tokio::spawn(serve(conn));
    }
}

/// One connection: accept everything, count frames, say what happened.
async fn serve(mut conn: ServerConnection) {
    let peer = conn.peer_addr();
    let (mut frames, mut bytes) = (0u64, 0usize);
    while let Ok(Some(event)) = conn.next_event().await {
        let now = conn.now();
        match event {
            ServerEvent::ConnectRequested { id, request } => {
                println!("{peer}: connect app={}", request.app);
                let _ = conn
                    .session()
                    .accept_connect(now, id, ConnectReply::default());
            }
            ServerEvent::PublishRequested { id, request } => {
                println!("{peer}: publish {}", request.name);
                let _ = conn.session().accept_publish(now, id);
            }
            ServerEvent::Metadata { metadata, .. } => println!("{peer}: {}", metadata.values),
            ServerEvent::Media { media, .. } => {
                frames += 1;
                bytes += media.payload.len();
                if frames.is_power_of_two() {
                    println!("{peer}: {frames} frames, {bytes} bytes");
                }
            }
            ServerEvent::PublishStopped { .. } => println!("{peer}: publish stopped"),
            ServerEvent::Closed(reason) => println!("{peer}: closed ({reason:?})"),
            _ => {}
        }
    }
    println!("{peer}: {frames} frames, {bytes} bytes in all");
}
