//! smol for [`rtmp_driver`]: the driver's runtime trait implemented on smol ([`Smol`]),
//! and the driver's server and client under their usual names.
//!
//! Every loop (the server's accept loop and connection turn, the client's dial / publish /
//! play / reconnect loops) is the driver's, the same code as under `rtmp-tokio`; every
//! RTMP decision is `rtmp-proto`'s. This crate only says how smol spawns, sleeps and moves
//! bytes. See `docs/architecture.md` in the repository.
//!
//! ```
//! use rtmp_smol::{Server, StreamDecision};
//!
//! # fn main() -> std::io::Result<()> {
//! smol::block_on(async {
//!     let server = Server::builder()
//!         .listen("127.0.0.1:0".parse().unwrap())
//!         .worker_threads(1)
//!         .on_publish(|ctx| async move {
//!             match ctx.request.query.as_deref() {
//!                 Some("key=secret") => StreamDecision::Accept,
//!                 _ => StreamDecision::reject("bad stream key"),
//!             }
//!         })
//!         .bind()
//!         .await?;
//!     let handle = server.handle(); // handle.shutdown() from anywhere
//! #   handle.shutdown(); // the doctest stops at once
//!     server.run().await
//! })
//! # }
//! ```
//!
//! # Where tasks run
//!
//! `Server::run` drives an executor of the server's own for its connection and hook tasks
//! (plus `ServerBuilder::worker_threads` more threads); the resilient client's tasks run
//! on smol's global executor.
#![forbid(unsafe_code)]

pub use rtmp_driver as driver;
pub use rtmp_proto as proto;

mod runtime;

pub use runtime::{Smol, SmolListener, SmolSocket, SmolTask, SmolTimer};

pub use rtmp_driver::client::{ClientError, ClientStatus, FleetEvents, PlayerEvent};
pub use rtmp_driver::server::{
    BoxFuture, CloseCause, ConnectContext, ConnectDecision, Event, EventKind, PlayContext,
    PublishContext, Request, ServerHandle, StopReason, StreamDecision, Tap, TapEvent, TapItem,
    TapMode,
};
pub use rtmp_driver::sync::StatusWatch;

/// A relay server on smol; see [`rtmp_driver::server::Server`].
pub type Server = rtmp_driver::server::Server<Smol>;
/// Settings of a [`Server`].
pub type ServerBuilder = rtmp_driver::server::ServerBuilder<Smol>;
/// Entry point of the resilient client API on smol.
pub type Client = rtmp_driver::client::Client<Smol>;
/// Settings of a [`Publisher`] or [`Player`].
pub type ClientBuilder = rtmp_driver::client::ClientBuilder<Smol>;
/// A publishing stream that survives reconnects.
pub type Publisher = rtmp_driver::client::Publisher<Smol>;
/// A playing stream that survives reconnects.
pub type Player = rtmp_driver::client::Player<Smol>;
/// Many publishers, one per (camera, stream), added and removed while running.
pub type Fleet = rtmp_driver::client::Fleet<Smol>;
/// One client connection driven by pulling events.
pub type ClientConnection = rtmp_driver::ClientConnection<Smol>;
/// One server connection driven by pulling events (a custom server that is not the relay).
pub type ServerConnection = rtmp_driver::ServerConnection<Smol>;
