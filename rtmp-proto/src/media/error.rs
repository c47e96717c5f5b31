//! [`MediaError`]: why one audio or video payload could not be understood.
//!
//! This is deliberately not part of [`crate::ProtocolError`]: a payload we cannot parse (an
//! unknown E-RTMP packet type, a FourCC from a newer spec) fails that one message, and the
//! session carries on (RTMP-NOTES item 27). The caller decides whether to forward the
//! message opaquely, drop it or log it.

/// A media payload, configuration record or FLV file that could not be parsed or built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The payload ended before a field was complete.
    #[error("truncated media payload: {0} is incomplete")]
    Truncated(&'static str),
    /// A FourCC this crate does not know (E-RTMP allows new codecs to appear).
    #[error("unknown FourCC {:?}", String::from_utf8_lossy(.0))]
    UnknownFourCc([u8; 4]),
    /// An ExVideoTagHeader packet type that is reserved in E-RTMP v2.
    #[error("unknown E-RTMP video packet type {0}")]
    UnknownVideoPacketType(u8),
    /// An ExAudioTagHeader packet type that is reserved in E-RTMP v2.
    #[error("unknown E-RTMP audio packet type {0}")]
    UnknownAudioPacketType(u8),
    /// A multitrack type other than OneTrack, ManyTracks, ManyTracksManyCodecs.
    #[error("unknown E-RTMP multitrack type {0}")]
    UnknownMultitrackType(u8),
    /// A Multitrack or ModEx packet type where a concrete packet type must follow.
    #[error("packet type {0} is not allowed inside a multitrack packet")]
    NestedPacketType(u8),
    /// A legacy AVC/HEVC packet type other than 0 (sequence header), 1 (NALU), 2 (end).
    #[error("unknown AVC packet type {0}")]
    UnknownAvcPacketType(u8),
    /// A legacy AAC packet type other than 0 (sequence header) or 1 (raw).
    #[error("unknown AAC packet type {0}")]
    UnknownAacPacketType(u8),
    /// A MultichannelConfig channel order other than 0, 1, 2.
    #[error("unknown audio channel order {0}")]
    UnknownChannelOrder(u8),
    /// A value that cannot be represented on the wire (building) or is inconsistent.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A codec configuration record (avcC, hvcC, AudioSpecificConfig, ADTS) is malformed.
    #[error("malformed {0}")]
    BadConfig(&'static str),
    /// An FLV file is malformed.
    #[error("malformed FLV: {0}")]
    BadFlv(&'static str),
    /// AMF inside a media payload (video Metadata) is malformed.
    #[error("AMF in media metadata: {0}")]
    Amf(#[from] crate::amf::AmfError),
    /// An FLV tag is larger than the configured limit.
    #[error("FLV tag of {len} bytes exceeds the limit of {max}")]
    TagTooLarge {
        /// Declared size of the tag body.
        len: u32,
        /// Configured maximum.
        max: u32,
    },
}
