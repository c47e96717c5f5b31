//! What a finished handshake tells the session about the peer.

/// Which of the two FP9 digest layouts a C1/S1 uses (RTMP-NOTES item 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Schema {
    /// Key block first, digest block second (the digest block starts at byte 772).
    Zero,
    /// Digest block first (at byte 8), key block second. ffmpeg and Flash Player 10+ use it.
    One,
}

impl Schema {
    /// The other schema.
    pub fn other(self) -> Schema {
        match self {
            Schema::Zero => Schema::One,
            Schema::One => Schema::Zero,
        }
    }
}

/// Which handshake the two sides ended up doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HandshakeMode {
    /// Echoes only: the client sent no valid digest, or the server did not answer with one.
    Simple,
    /// FP9 digest handshake: the client's C1 digest validated (seen from the server), or the
    /// server's S1 digest validated (seen from the client), in this schema.
    Digest(Schema),
}

/// How the peer's answer (C2 seen by a server, S2 seen by a client) related to our C1/S1.
/// Informational only: real peers send garbage here, so nothing fails on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PeerAnswer {
    /// 1504 random bytes signed from our digest with the peer's full key.
    Digest,
    /// An echo of our packet's random part (what the simple handshake asks for, and what
    /// ffmpeg sends when publishing even after a digest exchange).
    Echo,
    /// Neither.
    Unrecognized,
    /// Not classified: the handshake's owner asked to skip the check (the sessions do, as
    /// they never show it; a digest answer costs an HMAC over 1504 bytes to recognise).
    NotChecked,
}

/// The outcome of a completed handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Negotiated {
    /// Simple or digest, and the schema.
    pub mode: HandshakeMode,
    /// The version field of the peer's C1/S1 (e.g. `[9, 0, 124, 2]` for ffmpeg; zeros for a
    /// simple handshake).
    pub peer_version: [u8; 4],
    /// The time field of the peer's C1/S1 (its epoch in milliseconds; often 0).
    pub peer_epoch: u32,
    /// Whether the peer's C2/S2 answered our C1/S1 correctly.
    pub peer_answer: PeerAnswer,
}
