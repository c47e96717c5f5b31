//! Sans-IO RTMP and Enhanced RTMP.
//!
//! Every type in this crate is a pure state machine: bytes and the current time go in,
//! events and outbound bytes come out. Nothing here opens a socket, spawns a thread, reads a
//! clock or touches a global random number generator, so the same code runs under tokio,
//! smol, a blocking `std::net` loop, a fuzzer or a deterministic test on a virtual clock.
//!
//! The layers, bottom up:
//! - [`amf`]: AMF0 and AMF3 values, the encoding of commands and metadata.
//! - [`handshake`]: C0/C1/C2 and S0/S1/S2, simple and FP9 digest, both roles.
//! - [`chunk`]: the chunk stream codec that multiplexes messages over one connection.
//! - [`message`]: typed protocol control, user control, command, data and media messages.
//! - [`media`]: FLV tag headers, codec configuration records and Enhanced RTMP v2.
//!
//! Peer input never panics: malformed bytes give a typed [`ProtocolError`], and every
//! resource a peer can make us hold is bounded by [`Limits`].
#![forbid(unsafe_code)]

pub mod amf;
pub mod chunk;
pub mod config;
pub mod error;
pub mod handshake;
pub mod media;
pub mod message;
pub mod rng;
pub mod session;

#[cfg(test)]
mod tests;

pub use config::Limits;
pub use error::{ProtocolError, UsageError};
pub use message::RawMessage;
