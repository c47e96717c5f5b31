//! Limits on what a peer can make us hold. Every bound the decoders enforce lives here, with a
//! default that suits a public server.

/// Resource bounds applied to everything a peer sends.
///
/// The defaults follow what real deployments need: a 16 MiB message is far larger than any
/// keyframe a live encoder sends, and 64 chunk streams is several times what Flash, OBS or
/// ffmpeg open.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest message (payload bytes) accepted from the peer. Hard-capped at
    /// [`Limits::MAX_MESSAGE_LEN_CAP`].
    pub max_message_len: u32,
    /// Most chunk streams (csids) the peer may have open at once.
    pub max_chunk_streams: usize,
    /// Most bytes held in partially reassembled messages, summed over all chunk streams.
    pub max_partial_bytes: usize,
    /// Deepest nesting of AMF objects and arrays accepted.
    pub max_amf_depth: usize,
    /// Most entries in each AMF3 reference table (strings, objects, traits), and most AMF0
    /// object references.
    pub max_amf_references: usize,
}

impl Limits {
    /// No configuration can raise the message length above this.
    pub const MAX_MESSAGE_LEN_CAP: u32 = 16 * 1024 * 1024;

    /// `max_message_len` clamped to [`Limits::MAX_MESSAGE_LEN_CAP`].
    pub fn message_len_limit(&self) -> u32 {
        self.max_message_len.min(Self::MAX_MESSAGE_LEN_CAP)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_len: Self::MAX_MESSAGE_LEN_CAP,
            max_chunk_streams: 64,
            max_partial_bytes: 32 * 1024 * 1024,
            max_amf_depth: 64,
            max_amf_references: 64 * 1024,
        }
    }
}
