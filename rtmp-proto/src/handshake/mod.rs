//! The RTMP handshake, both roles: simple and FP9 digest.

/// A handshake the peer got wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    #[error("unsupported RTMP version {0}")]
    UnsupportedVersion(u8),
}
