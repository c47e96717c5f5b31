//! Server and client sessions: one object per TCP connection, handshake included.
//!
//! See the crate documentation for the drain contract every embedder follows.

mod client;
mod config;
mod connect_result;
mod event;
mod io;
mod outbound;
mod reader;
mod reply;
mod request;
mod server;
mod status;
mod stream_table;
mod timer;
mod wire;

pub use crate::message::status::{StatusCode, StatusLevel};
pub use client::{ClientConfig, ClientEvent, ClientSession, ConnectParams, StreamHandle};
pub use config::{ServerConfig, relay_enhanced_caps};
pub use event::{
    CallRequest, CallResult, CloseReason, ConnectRequest, Media, MediaKind, Metadata, PlayRequest,
    PublishMode, PublishRequest, ServerEvent,
};
pub use io::Session;
pub(crate) use outbound::csid;
pub use request::{CallId, ConnectId, PlayId, PublishId, Rejection, RequestId, StreamId};
pub use server::{ConnectReply, Droppable, ServerSession};
pub use timer::{TimeoutKind, Timeouts};
