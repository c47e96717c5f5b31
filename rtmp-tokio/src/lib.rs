//! Tokio adapter for [`rtmp_proto`]: sockets, timers and channels around its sans-IO
//! sessions, and nothing else.
//!
//! - [`Server`]: listener, accept loop with a connection limit, one task per connection
//!   running the session loop, auth hooks as async callbacks, an in-process relay (fan-out
//!   of one publisher to many players, the same `Bytes` to all), optional FLV recording and
//!   graceful shutdown through [`ServerHandle`].
//! - [`ClientConnection`]: a `ClientSession` on a TCP socket, driven by pulling events.
//!
//! Every RTMP decision (which message to send, what a keyframe is, when a player lags too
//! far) is made in `rtmp-proto`; this crate moves bytes and wakes tasks. The pieces that do
//! not depend on tokio live in [`portable`] so the smol adapter shares them.
//!
//! Logs go through `tracing`: connection opened/closed (with the reason), publish and play
//! start/stop, codec detected, lag drops.
#![forbid(unsafe_code)]

pub use rtmp_proto as proto;

mod client;
mod conn;
mod hooks;
mod hub;
pub mod portable;
mod server;
mod wire;

pub use client::ClientConnection;
pub use hooks::{BoxFuture, ConnectContext, Decision, PlayContext, PublishContext};
pub use server::{Server, ServerBuilder, ServerHandle};
