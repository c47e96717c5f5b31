//! Everything of an RTMP server and client that does IO, written once for every async
//! runtime: the connection loops, the fan-out, hooks, recording, reconnecting clients.
//! A runtime plugs in through the small [`runtime::Runtime`] trait (spawn, a timer, a TCP
//! listener and stream with readiness, the clock); `rtmp-tokio` and `rtmp-smol` are that
//! trait's implementations plus type aliases. The protocol itself is `rtmp-proto`'s,
//! sans-IO: this crate moves its bytes and wakes tasks. See `docs/architecture.md`.
//!
//! - [`server`]: [`Server`](server::Server) (accept loop, connection limit, graceful
//!   shutdown), one task per connection, the relay fan-out, async auth hooks, recording.
//! - [`client`]: the resilient [`Client`](client::Client) publisher and player.
//! - [`ClientConnection`], [`ServerConnection`]: one session on one socket, driven by
//!   pulling events, for applications that decide every command themselves (a custom
//!   server that is not the relay, a test client).
//! - [`io`]: the wire between a session and a socket (read buffer, vectored write batch),
//!   and the re-armable deadline.
//! - [`sync`]: wake-up primitives on `std` alone (mailbox, signal, status cell).
//! - `testing` (feature `testing`): an in-memory player for fan-out tests and benchmarks.
//! - `cli` (feature `cli`): the relay examples' command line.
//!
//! Everything is generic over the runtime; `rtmp-tokio` and `rtmp-smol` name the types for
//! theirs (`rtmp_tokio::Server` is `Server<Tokio>`). A relay on tokio, started and stopped:
//!
//! ```
//! use rtmp_driver::server::Server;
//! use rtmp_tokio::Tokio;
//!
//! # fn main() -> std::io::Result<()> {
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! rt.block_on(async {
//!     let server = Server::<Tokio>::builder()
//!         .listen("127.0.0.1:0".parse().unwrap())
//!         .bind()
//!         .await?;
//!     let handle = server.handle();
//!     let running = tokio::spawn(server.run());
//!     handle.shutdown(); // from anywhere: stop accepting, end every stream, flush, close
//!     running.await.expect("the server task")
//! })
//! # }
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod client;
mod connection;
#[cfg(feature = "http")]
pub mod http;
pub mod io;
pub mod runtime;
pub mod seed;
pub mod server;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;

pub use connection::{ClientConnection, Connection, ServerConnection};
pub use runtime::Runtime;
