//! The RTMP handshake, both roles: simple and FP9 digest (RTMP-NOTES items 12 and 13).
//!
//! [`Handshake`] is a sans-IO state machine: the caller passes the time field and a seeded
//! [`Rng`](crate::rng::Rng), feeds the peer's bytes in and sends what it polls out. A server
//! answers a C1 that carries a valid digest (schema 0 or 1) with a digest S1/S2 and falls back
//! to the simple handshake otherwise; a client signs C1 (by default like ffmpeg: version
//! 9.0.124.2, schema 1) and answers S1's digest when it validates. Only the C0/S0 version
//! byte can fail the handshake; how the peer answered is reported in [`Negotiated`].

mod config;
mod digest;
mod error;
mod machine;
mod negotiated;
mod simple;

pub use config::{ClientConfig, ServerConfig};
pub use error::HandshakeError;
pub use machine::{Handshake, Role};
pub use negotiated::{HandshakeMode, Negotiated, PeerAnswer, Schema};

/// The C0/S0 version byte of plain RTMP.
pub const RTMP_VERSION: u8 = 3;
/// Bytes in C1, S1, C2 and S2.
pub const PACKET_LEN: usize = 1536;
