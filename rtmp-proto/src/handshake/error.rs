//! What can go wrong in a handshake: only the version byte. Everything else the peer sends is
//! tolerated (real peers send odd C1/C2 contents) and reported through
//! [`Negotiated`](super::Negotiated) instead.

/// A handshake the peer got wrong. Fatal for the connection; once returned, every later
/// `handle_input` returns it again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// C0/S0 asked for encrypted RTMP (RTMPE: 6, or 8 for the XTEA/Blowfish variants).
    #[error(
        "peer asked for encrypted RTMP (RTMPE, version byte {0}); only plain RTMP (3) is supported"
    )]
    Encrypted(u8),
    /// C0/S0 carried a version byte other than 3 (and not an RTMPE one).
    #[error("unsupported RTMP version {0} in C0/S0 (expected 3)")]
    UnsupportedVersion(u8),
}
