//! Media payloads: legacy FLV tag headers, codec configuration records, Enhanced RTMP v2.
//!
//! Everything here is pure parsing and building on [`bytes::Bytes`]: parsed values hold
//! zero-copy slices of the message payload. Failures are [`MediaError`]s, which concern one
//! message only, never the session (RTMP-NOTES item 27).
//!
//! - [`VideoTag`] / [`AudioTag`]: the first bytes of every video (type 9) and audio
//!   (type 8) message, legacy or E-RTMP, and the classification a relay needs
//!   ([`VideoTag::is_keyframe`], [`VideoTag::tracks`], ...).
//! - [`avcc`], [`hvcc`], [`asc`]: decoder configuration records.
//! - [`annexb`], [`adts`]: converters to the framings other systems (MPEG-TS, SRT, raw
//!   files) expect.
//! - [`depacketize`]: messages to codec frames (Annex B / length-prefixed, ADTS / raw),
//!   following a stream's sequence headers.
//! - [`flv`]: streaming FLV file reader and writer.
//! - [`caps`]: E-RTMP capability negotiation in `connect` and the reconnect request.
//! - [`metadata`]: codec ids in `onMetaData` and the video Metadata (`colorInfo`) body.

pub mod adts;
pub mod annexb;
pub mod asc;
mod audio;
pub mod avcc;
pub mod caps;
mod classify;
pub mod depacketize;
mod error;
mod ex;
pub mod flv;
mod fourcc;
pub mod hvcc;
pub mod metadata;
mod reader;
mod video;

pub use audio::{
    AacPacketType, AudioPacket, AudioPacketType, AudioTag, AudioTrack, ChannelOrder, ExAudioBody,
    ExAudioTag, LegacyAudioBody, LegacyAudioTag, MultichannelConfig, SOUND_FORMAT_AAC,
    SOUND_FORMAT_EX_HEADER, SOUND_FORMAT_MP3, SOUND_FORMAT_MP3_8K, SoundRate,
};
pub use classify::{AudioCodec, PacketKind, TrackInfo, VideoCodec};
pub use error::MediaError;
pub use ex::{MAX_MOD_EX, MAX_TRACKS, ModEx, ModExType, MultitrackType, Track};
pub use fourcc::{AudioFourCc, FourCc, VideoFourCc};
pub use video::{
    AvcPacketType, CODEC_ID_AVC, CODEC_ID_HEVC, ExVideoBody, ExVideoTag, FrameType,
    LegacyVideoBody, LegacyVideoTag, VideoCommand, VideoPacket, VideoPacketType, VideoTag,
    VideoTrack,
};
