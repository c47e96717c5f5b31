//! An RTMP server on blocking `std::net` sockets, one thread per connection, no async
//! runtime: the embedding loop of `rtmp-proto` end to end. It accepts every connect,
//! publish and play and logs one line per event.
//!
//! ```sh
//! cargo run --release -p rtmp-proto --example std_server -- --listen 127.0.0.1:1935
//! ffmpeg -re -i in.flv -c copy -f flv rtmp://127.0.0.1:1935/live/test
//! ```
#![allow(clippy::print_stdout)]

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtmp_proto::session::{ConnectReply, ServerConfig, ServerEvent, ServerSession};

fn main() -> std::io::Result<()> {
    let mut listen = "127.0.0.1:1935".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--listen", Some(addr)) => listen = addr,
            _ => {
                eprintln!("usage: std_server [--listen ADDR]");
                std::process::exit(2);
            }
        }
    }
    let listener = TcpListener::bind(&listen)?;
    println!("listening on rtmp://{listen}/  (publish to rtmp://{listen}/live/test)");
    let config = Arc::new(ServerConfig::default());
    for (n, conn) in listener.incoming().enumerate() {
        let conn = conn?;
        let mut config = (*config).clone();
        config.rng_seed = n as u64 ^ 0x5EED_5EED;
        std::thread::spawn(move || {
            let peer = conn.peer_addr().map(|a| a.to_string()).unwrap_or_default();
            match serve(conn, Arc::new(config)) {
                Ok(()) => println!("[{peer}] done"),
                Err(e) => println!("[{peer}] io error: {e}"),
            }
        });
    }
    Ok(())
}

/// The loop every embedder writes: drain events, drain transmits, then wait for input or
/// the next deadline.
fn serve(mut sock: TcpStream, config: Arc<ServerConfig>) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let peer = sock.peer_addr()?;
    let mut session = ServerSession::new(config, Instant::now());
    let mut input = BytesMut::with_capacity(64 * 1024);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(event) = session.poll_event() {
            println!("[{peer}] {}", describe(&event));
            // Decisions take the time like every other input.
            let now = Instant::now();
            match event {
                ServerEvent::ConnectRequested { id, .. } => {
                    session
                        .accept_connect(now, id, ConnectReply::default())
                        .ok();
                }
                ServerEvent::PublishRequested { id, .. } => {
                    session.accept_publish(now, id).ok();
                }
                ServerEvent::PlayRequested { id, .. } => {
                    session.accept_play(now, id).ok();
                }
                _ => {}
            }
        }
        while let Some(segment) = session.poll_transmit() {
            sock.write_all(&segment)?;
        }
        if session.is_closed() {
            return Ok(());
        }
        let now = Instant::now();
        let wait = session
            .poll_timeout()
            .map_or(Duration::from_secs(1), |t| t.saturating_duration_since(now));
        sock.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
        match sock.read(&mut buf) {
            Ok(0) => session.handle_eof(Instant::now()),
            Ok(n) => {
                input.extend_from_slice(&buf[..n]);
                // A protocol error is also reported as the `Closed` event drained above.
                let _ = session.handle_input(Instant::now(), &mut input);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                session.handle_timeout(Instant::now());
            }
            Err(e) => return Err(e),
        }
        // Busy connections rarely time out on read: check deadlines after input too.
        let now = Instant::now();
        if session.poll_timeout().is_some_and(|t| t <= now) {
            session.handle_timeout(now);
        }
    }
}

/// One short line per event; media and metadata are summarised, not dumped.
fn describe(event: &ServerEvent) -> String {
    match event {
        ServerEvent::Media { stream, media } => {
            format!(
                "media {:?} {} ts={} {} bytes",
                media.kind,
                stream,
                media.timestamp,
                media.payload.len()
            )
        }
        ServerEvent::Metadata { stream, metadata } => {
            format!("metadata {stream}: {}", metadata.values)
        }
        ServerEvent::ConnectRequested { request, .. } => {
            format!(
                "connect app={:?} tcUrl={:?} flashVer={:?}",
                request.app, request.tc_url, request.flash_ver
            )
        }
        other => format!("{other:?}"),
    }
}
