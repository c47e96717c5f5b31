//! Configuration of server and client sessions.

use super::timer::Timeouts;
use crate::config::Limits;
use crate::handshake;
use crate::media::caps::{CapsEx, CodecKey, EnhancedCaps, EnhancedPolicy, FourCcCaps};

/// How a server session behaves. Share one `Arc<ServerConfig>` across connections.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Bounds on what a client can make us hold (chunk streams, message sizes, AMF depth).
    pub limits: Limits,
    /// Handshake, idle, ping and application-decision deadlines.
    pub timeouts: Timeouts,
    /// How S0+S1+S2 answer: whether a digest C1 gets a digest answer.
    pub handshake: handshake::ServerConfig,
    /// Our outbound chunk size, announced with Set Chunk Size before the connect `_result`.
    pub chunk_size: u32,
    /// Window Acknowledgement Size we announce: the peer acknowledges every this many bytes.
    pub window_ack_size: u32,
    /// Set Peer Bandwidth we announce (limit type dynamic).
    pub peer_bandwidth: u32,
    /// Most message streams one connection may create.
    pub max_streams: u32,
    /// Most application decisions (connect/publish/play/call) outstanding at once.
    pub max_pending_requests: usize,
    /// Most bytes of commands and media held while waiting for an application decision.
    pub max_blocked_bytes: usize,
    /// Most payload bytes queued toward the peer; `send_media` refuses beyond this.
    pub max_outbound_bytes: usize,
    /// `fmsVer` in the connect `_result`.
    pub fms_version: String,
    /// When true, unknown commands become [`ServerEvent::Call`](super::ServerEvent) requests
    /// the application answers; when false they get `_error` at once.
    pub custom_calls: bool,
    /// Seed of the PRNG for handshake filler. Adapters seed it from the OS per connection.
    pub rng_seed: u64,
    /// Whether Enhanced RTMP is answered, required or ignored in connect.
    pub enhanced_policy: EnhancedPolicy,
    /// What we support; the `_result` carries its intersection with the client's.
    pub enhanced_caps: EnhancedCaps,
}

/// A relay forwards every codec and supports every `capsEx` feature.
pub fn relay_enhanced_caps() -> EnhancedCaps {
    EnhancedCaps {
        fourcc_list: vec![CodecKey::Any],
        video: vec![(CodecKey::Any, FourCcCaps::FORWARD)],
        audio: vec![(CodecKey::Any, FourCcCaps::FORWARD)],
        caps_ex: CapsEx(
            CapsEx::RECONNECT.0
                | CapsEx::MULTITRACK.0
                | CapsEx::MOD_EX.0
                | CapsEx::TIMESTAMP_NANO_OFFSET.0,
        ),
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            limits: Limits::default(),
            timeouts: Timeouts::default(),
            handshake: handshake::ServerConfig::default(),
            chunk_size: 4096,
            window_ack_size: 2_500_000,
            peer_bandwidth: 2_500_000,
            max_streams: 16,
            max_pending_requests: 16,
            max_blocked_bytes: 4 * 1024 * 1024,
            max_outbound_bytes: 64 * 1024 * 1024,
            fms_version: "FMS/3,5,7,7009".to_owned(),
            custom_calls: false,
            rng_seed: 0x5EED,
            enhanced_policy: EnhancedPolicy::Auto,
            enhanced_caps: relay_enhanced_caps(),
        }
    }
}
