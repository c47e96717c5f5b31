//! Sans-IO RTMP and Enhanced RTMP.
//!
//! Every type in this crate is a pure state machine: bytes and the current time go in,
//! events and outbound bytes come out. Nothing here opens a socket, spawns a thread, reads a
//! clock or touches a global random number generator, so the same code runs under tokio,
//! smol, a blocking `std::net` loop, a fuzzer or a deterministic test on a virtual clock.
//! `rtmp-driver` runs these sessions on real sockets for any async runtime; how the crates
//! fit is drawn in `docs/architecture.md` of the repository.
//!
//! A client and a server session talking through two byte buffers, no socket anywhere:
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Instant;
//! use bytes::BytesMut;
//! use rtmp_proto::{ClientConfig, ClientEvent, ClientSession, ConnectParams, ConnectReply};
//! use rtmp_proto::{ServerConfig, ServerEvent, ServerSession};
//!
//! let now = Instant::now();
//! let mut client = ClientSession::new(Arc::new(ClientConfig::default()), now);
//! let mut server = ServerSession::new(Arc::new(ServerConfig::default()), now);
//! client.connect(ConnectParams::new("live", "rtmp://example.com/live")).unwrap();
//! let mut connected = false;
//! for _ in 0..8 {
//!     let mut to_server = BytesMut::new();
//!     while let Some(b) = client.poll_transmit() { to_server.extend_from_slice(&b); }
//!     server.handle_input(now, &mut to_server).unwrap();
//!     while let Some(event) = server.poll_event() {
//!         if let ServerEvent::ConnectRequested { id, request } = event {
//!             assert_eq!(request.app, "live");
//!             server.accept_connect(now, id, ConnectReply::default()).unwrap();
//!         }
//!     }
//!     let mut to_client = BytesMut::new();
//!     while let Some(b) = server.poll_transmit() { to_client.extend_from_slice(&b); }
//!     client.handle_input(now, &mut to_client).unwrap();
//!     while let Some(event) = client.poll_event() {
//!         connected |= matches!(event, ClientEvent::Connected { .. });
//!     }
//! }
//! assert!(connected);
//! ```
//!
//! The layers, bottom up:
//! - [`amf`]: AMF0 and AMF3 values, the encoding of commands and metadata.
//! - [`handshake`]: C0/C1/C2 and S0/S1/S2, simple and FP9 digest, both roles.
//! - [`chunk`]: the chunk stream codec that multiplexes messages over one connection.
//! - [`message`]: typed protocol control, user control, command, data and media messages.
//! - [`media`]: FLV tag headers, codec configuration records and Enhanced RTMP v2.
//! - [`session`]: [`ServerSession`] and [`ClientSession`], one object per TCP connection
//!   from the first handshake byte to the terminal `Closed` event, and the [`Session`]
//!   trait a connection driver sees them through.
//! - [`client`]: client resilience decisions: `rtmp[s]://` URLs and templates, reconnect
//!   backoff with failover, an observable connection state machine, the handover a
//!   server's reconnect request asks for, and packaged from them the reconnect loop
//!   ([`client::Supervisor`]) and a whole publisher's or player's task
//!   ([`client::PublishTask`], [`client::PlayTask`]).
//! - [`relay`]: a fan-out server's decisions: who publishes and plays which stream, the
//!   GOP cache for late joiners, and per-player lag handling.
//!
//! The types most programs start from are re-exported here at the root: the sessions and
//! their configs and events ([`ServerSession`], [`ClientSession`], [`Session`],
//! [`ServerEvent`], [`ClientEvent`], [`Media`], ...), the relay's [`Registry`] and
//! [`Frame`], AMF's [`Value`] and the client's [`RtmpUrl`]. Everything else stays in its
//! module.
//!
//! Peer input never panics: malformed bytes give a typed [`ProtocolError`], and every
//! resource a peer can make us hold is bounded by [`Limits`].
//!
//! # The drain contract
//!
//! Inputs are `handle_input(now, &mut BytesMut)`, `handle_timeout(now)`, `handle_eof(now)`
//! and the application's commands: decisions (`accept_*(now, ..)`, `reject(now, ..)`,
//! `redirect(now, ..)`, `answer_call(now, ..)`) take the time like every other input, and
//! commands such as `send_media` or `publish` need none. Outputs are polled. After **any**
//! input or command:
//!
//! 1. drain `poll_event()` until `None` (answering decisions may queue more output);
//! 2. drain `poll_transmit()` until `None` and write every segment, in order;
//! 3. read `poll_timeout()`: call `handle_timeout` at that instant (calling it early is
//!    harmless).
//!
//! Check step 3 after input too, not only when a read times out: input does not move every
//! deadline (the handshake's, a pending decision's), so a peer that keeps sending must still
//! meet them. The [`Session`] trait is the same contract as one interface for both roles.
//!
//! `handle_input` splits complete chunks off the front of your buffer and leaves a partial
//! chunk in place, so keep appending socket reads to the same `BytesMut`. A
//! [`ProtocolError`] is the peer's fault and final: the session queues its terminal
//! `Closed` event, and whatever it already queued (an `_error`, an `onStatus`) can still be
//! drained and written before you close the socket. A [`UsageError`] is the caller's fault
//! and changes nothing. Every session ends with exactly one `Closed(reason)` event.
//!
//! # Embedding in any loop
//!
//! A blocking server connection (see `examples/std_server.rs` for the complete program):
//!
//! ```no_run
//! use std::io::{ErrorKind, Read, Write};
//! use std::sync::Arc;
//! use std::time::{Duration, Instant};
//! use bytes::BytesMut;
//! use rtmp_proto::{ConnectReply, ServerConfig, ServerEvent, ServerSession};
//!
//! fn serve(mut sock: std::net::TcpStream) -> std::io::Result<()> {
//!     let mut s = ServerSession::new(Arc::new(ServerConfig::default()), Instant::now());
//!     let (mut input, mut buf) = (BytesMut::new(), [0u8; 16384]);
//!     loop {
//!         while let Some(ev) = s.poll_event() {
//!             let now = Instant::now(); // decisions take the time like every input
//!             match ev {
//!                 ServerEvent::ConnectRequested { id, .. } => { s.accept_connect(now, id, ConnectReply::default()).ok(); }
//!                 ServerEvent::PublishRequested { id, .. } => { s.accept_publish(now, id).ok(); }
//!                 ServerEvent::Media { media, .. } => { /* relay media.payload (a Bytes) */ }
//!                 _ => {}
//!             }
//!         }
//!         while let Some(segment) = s.poll_transmit() {
//!             sock.write_all(&segment)?;
//!         }
//!         if s.is_closed() {
//!             return Ok(());
//!         }
//!         let now = Instant::now();
//!         let wait = s
//!             .poll_timeout()
//!             .map_or(Duration::from_secs(1), |t| t.saturating_duration_since(now));
//!         sock.set_read_timeout(Some(wait.max(Duration::from_millis(1))))?;
//!         match sock.read(&mut buf) {
//!             Ok(0) => s.handle_eof(Instant::now()),
//!             Ok(n) => {
//!                 input.extend_from_slice(&buf[..n]);
//!                 // A protocol error also arrives as the `Closed` event drained above.
//!                 let _ = s.handle_input(Instant::now(), &mut input);
//!             }
//!             Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
//!                 s.handle_timeout(Instant::now());
//!             }
//!             Err(e) => return Err(e),
//!         }
//!         // A busy connection's reads rarely time out: check the deadlines after input too.
//!         let now = Instant::now();
//!         if s.poll_timeout().is_some_and(|t| t <= now) {
//!             s.handle_timeout(now);
//!         }
//!     }
//! }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod amf;
pub mod chunk;
pub mod client;
pub mod cluster;
pub mod config;
pub mod error;
pub mod handshake;
pub mod media;
pub mod message;
pub mod relay;
pub mod rng;
pub mod session;

#[cfg(test)]
mod tests;

pub use amf::Value;
pub use client::{ConnectionState, Failover, Handover, ReconnectPolicy, Reconnector, RtmpUrl};
pub use config::Limits;
pub use error::{ProtocolError, UsageError};
pub use message::RawMessage;
pub use relay::{Frame, Join, PlayerPolicy, PlayerRef, Registry, RelayConfig, StreamKey, Verdict};
pub use rng::Rng;
pub use session::{
    CallResult, ClientConfig, ClientEvent, ClientSession, CloseReason, ConnectParams, ConnectReply,
    Droppable, Media, MediaKind, Metadata, PublishMode, Rejection, ServerConfig, ServerEvent,
    ServerSession, Session, StatusCode, StatusLevel, StreamHandle, StreamId, Timeouts,
};
