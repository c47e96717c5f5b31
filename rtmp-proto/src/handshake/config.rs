//! What each side announces and whether it uses the FP9 digest handshake.

use super::Schema;

/// How a client starts the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The version field of C1 (Flash Player version, most significant byte first). Only
    /// written when `digest` is set: a simple C1 carries zeros there, as the spec says.
    pub version: [u8; 4],
    /// Sign C1 with an FP9 digest in this schema (`None`: simple handshake). Servers such as
    /// Wowza and FMS answer some clients differently, or not at all, without it.
    pub digest: Option<Schema>,
}

impl Default for ClientConfig {
    /// What ffmpeg sends: version 9.0.124.2, digest in schema 1.
    fn default() -> Self {
        ClientConfig {
            version: [9, 0, 124, 2],
            digest: Some(Schema::One),
        }
    }
}

/// How a server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The version field of a digest S1. ffmpeg (when playing) and Flash check the S1 digest
    /// only when its first byte is at least 3, so keep it non-zero. A simple S1 (the client
    /// sent no valid digest) always carries zeros, which tells clients not to look for one.
    pub version: [u8; 4],
    /// Answer a C1 whose digest validates with a digest S1 and S2. `false`: always simple.
    pub digest: bool,
}

impl Default for ServerConfig {
    /// Version 13.14.10.13 (what nginx-rtmp announces, known to please every client), digest on.
    fn default() -> Self {
        ServerConfig {
            version: [13, 14, 10, 13],
            digest: true,
        }
    }
}
