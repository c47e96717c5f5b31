//! Limits on what a peer can make us hold. Every bound the decoders enforce lives here, with a
//! default that suits a public server.

/// Resource bounds applied to everything a peer sends.
///
/// The defaults follow what real deployments need: a 16 MiB message is far larger than any
/// keyframe a live encoder sends, and 64 chunk streams is several times what Flash, OBS or
/// ffmpeg open. A server holds a peer to smaller bounds until it has earned the large one
/// (see [`crate::chunk::MessageBound`]): [`Limits::max_pre_connect_len`] before an accepted
/// `connect`, [`Limits::max_command_len`] for commands and data after it, and
/// `max_message_len` only for audio and video on a stream whose publish was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest message (payload bytes) accepted from the peer: for a server, audio and video
    /// on a stream whose publish was accepted. Hard-capped at
    /// [`Limits::MAX_MESSAGE_LEN_CAP`].
    pub max_message_len: u32,
    /// Largest message a server accepts before an accepted `connect` (the `connect`
    /// command included). Default 8 KiB: the connect objects of ffmpeg 5.1 (140-197
    /// bytes in the captures under `tests/data`), ffmpeg 9 with its E-RTMP FourCC lists,
    /// OBS and Flash are well under 1 KiB; 8 KiB leaves room for tokens in connect
    /// arguments. Never more than `max_message_len`.
    pub max_pre_connect_len: u32,
    /// Largest command or data message a server accepts after `connect` (and audio or video
    /// on a stream that does not publish). Default 256 KiB: `onMetaData` with cue points is
    /// the largest real one, tens of KiB. Never more than `max_message_len`.
    pub max_command_len: u32,
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
            max_pre_connect_len: 8 * 1024,
            max_command_len: 256 * 1024,
            max_chunk_streams: 64,
            max_partial_bytes: 32 * 1024 * 1024,
            max_amf_depth: 64,
            max_amf_references: 64 * 1024,
        }
    }
}
