//! Tokio for [`rtmp_driver`]: the driver's runtime trait implemented on tokio
//! ([`Tokio`]), and the driver's server and client under their usual names.
//!
//! Every loop (the server's accept loop and connection turn, the client's dial / publish /
//! play / reconnect loops) is the driver's, the same code as under `rtmp-smol`; every RTMP
//! decision is `rtmp-proto`'s. This crate only says how tokio spawns, sleeps and moves
//! bytes. See `docs/architecture.md` in the repository.
//!
//! ```
//! use rtmp_tokio::{Server, StreamDecision};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let server = Server::builder()
//!     .listen("127.0.0.1:0".parse().unwrap())
//!     .max_connections(500)
//!     .on_publish(|ctx| async move {
//!         match ctx.request.query.as_deref() {
//!             Some("key=secret") => StreamDecision::Accept,
//!             _ => StreamDecision::reject("bad stream key"),
//!         }
//!     })
//!     .bind()
//!     .await?;
//! let handle = server.handle(); // handle.shutdown() from anywhere
//! # handle.shutdown(); // the doctest stops at once
//! server.run().await
//! # }
//! ```
//!
//! Publishing with failover (the backup is dialed when the primary fails; after a drop
//! the publisher reconnects, publishes again and resends metadata and sequence headers):
//!
//! ```no_run
//! # async fn f() -> Result<(), rtmp_tokio::ClientError> {
//! use rtmp_tokio::Client;
//! # let (sequence_header, keyframe) = (bytes::Bytes::new(), bytes::Bytes::new());
//! let publisher = Client::builder()
//!     .url("rtmp://primary.example.com/live/cam1")
//!     .url("rtmp://backup.example.com/live/cam1")
//!     .publish()
//!     .await?;
//! publisher.send_video(0, sequence_header).await?;
//! publisher.send_video(0, keyframe).await?;
//! publisher.close().await
//! # }
//! ```
#![forbid(unsafe_code)]

pub use rtmp_driver as driver;
pub use rtmp_proto as proto;

mod runtime;

pub use runtime::{Tokio, TokioListener, TokioSocket, TokioTask, TokioTimer};

pub use rtmp_driver::client::{ClientError, ClientStatus, FleetEvents, PlayerEvent};
pub use rtmp_driver::server::{
    BoxFuture, CloseCause, ConnectContext, ConnectDecision, Event, EventKind, PlayContext,
    PublishContext, Request, ServerHandle, StopReason, StreamDecision, Tap, TapEvent, TapItem,
    TapMode,
};
pub use rtmp_driver::sync::StatusWatch;

/// A relay server on tokio; see [`rtmp_driver::server::Server`].
pub type Server = rtmp_driver::server::Server<Tokio>;
/// Settings of a [`Server`].
pub type ServerBuilder = rtmp_driver::server::ServerBuilder<Tokio>;
/// Entry point of the resilient client API on tokio.
pub type Client = rtmp_driver::client::Client<Tokio>;
/// Settings of a [`Publisher`] or [`Player`].
pub type ClientBuilder = rtmp_driver::client::ClientBuilder<Tokio>;
/// A publishing stream that survives reconnects.
pub type Publisher = rtmp_driver::client::Publisher<Tokio>;
/// A playing stream that survives reconnects.
pub type Player = rtmp_driver::client::Player<Tokio>;
/// Many publishers, one per (camera, stream), added and removed while running.
pub type Fleet = rtmp_driver::client::Fleet<Tokio>;
/// One client connection driven by pulling events.
pub type ClientConnection = rtmp_driver::ClientConnection<Tokio>;
/// One server connection driven by pulling events (a custom server that is not the relay).
pub type ServerConnection = rtmp_driver::ServerConnection<Tokio>;
