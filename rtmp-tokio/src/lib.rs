//! Tokio adapter for [`rtmp_proto`]: sockets, timers and channels around its sans-IO
//! sessions, and nothing else.
//!
//! - [`Server`]: listener, accept loop with a connection limit, one task per connection
//!   running the session loop, auth hooks as async callbacks, an in-process relay (one
//!   publisher to many players; every player gets the same `Bytes`), optional FLV
//!   recording, and graceful shutdown through [`ServerHandle`].
//! - [`ClientConnection`]: a `ClientSession` on a TCP socket, driven by pulling events.
//!
//! Every RTMP decision (which message to send, what a keyframe is, when a player lags too
//! far, who may publish) is made in `rtmp-proto` (`session` and `relay`); this crate moves
//! bytes and wakes tasks. The pieces that do not depend on tokio live in [`rtmp_driver`],
//! shared with the smol adapter.
//!
//! ```no_run
//! use rtmp_tokio::{Decision, Server};
//!
//! # async fn f() -> std::io::Result<()> {
//! let server = Server::builder()
//!     .listen("127.0.0.1:1935".parse().unwrap())
//!     .max_connections(500)
//!     .on_publish(|ctx| async move {
//!         match ctx.request.query.as_deref() {
//!             Some("key=secret") => Decision::Accept,
//!             _ => Decision::reject("bad stream key"),
//!         }
//!     })
//!     .bind()
//!     .await?;
//! let handle = server.handle(); // handle.shutdown() from anywhere
//! server.run().await
//! # }
//! ```
//!
//! # One connection task
//!
//! ```text
//! loop {
//!     drain session events      -> hooks (spawned), relay registry, recorder
//!     drain this player's queue -> session.send_media (frames the relay policy accepted)
//!     poll_transmit -> batch    -> one vectored write (until WouldBlock)
//!     wait for: socket readable (or writable while output waits) | session deadline
//!               | hook answer | fan-out signal | shutdown
//! }
//! ```
//!
//! Logs go through `tracing`: connection opened/closed (with the reason), publish and play
//! start/stop, codec detected, lag drops and lag disconnects, recording.
#![forbid(unsafe_code)]

pub use rtmp_driver as driver;
pub use rtmp_proto as proto;

mod client;
mod conn;
mod deadline;

mod server;
mod wire;

pub use client::{
    Client, ClientBuilder, ClientConnection, ClientError, ClientStatus, Player, PlayerEvent,
    Publisher, Tokio,
};
pub use rtmp_driver::hooks::{BoxFuture, ConnectContext, Decision, PlayContext, PublishContext};
pub use server::{Server, ServerBuilder, ServerHandle};
