//! The questions a relay asks about every media message: is it a keyframe, a sequence
//! header, a sequence end, audio configuration; which codec; which track. Answered from the
//! parsed header only, without touching the frame data.

use super::audio::{
    AacPacketType, AudioPacket, AudioTag, ExAudioBody, LegacyAudioBody, SOUND_FORMAT_AAC,
    SOUND_FORMAT_MP3, SOUND_FORMAT_MP3_8K,
};
use super::fourcc::{AudioFourCc, VideoFourCc};
use super::video::{
    AvcPacketType, CODEC_ID_AVC, CODEC_ID_HEVC, ExVideoBody, LegacyVideoBody, VideoPacket, VideoTag,
};

/// The video codec of a message, legacy or E-RTMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VideoCodec {
    /// H.264: legacy codec id 7 or `avc1`.
    Avc,
    /// H.265: non-standard legacy codec id 12 or `hvc1`.
    Hevc,
    /// H.266: `vvc1`.
    Vvc,
    /// `av01`.
    Av1,
    /// `vp08`.
    Vp8,
    /// `vp09`.
    Vp9,
    /// Another legacy codec id (H.263, screen video, VP6, ...).
    Legacy(u8),
}

impl From<VideoFourCc> for VideoCodec {
    fn from(c: VideoFourCc) -> Self {
        match c {
            VideoFourCc::Avc1 => VideoCodec::Avc,
            VideoFourCc::Hvc1 => VideoCodec::Hevc,
            VideoFourCc::Vvc1 => VideoCodec::Vvc,
            VideoFourCc::Av01 => VideoCodec::Av1,
            VideoFourCc::Vp08 => VideoCodec::Vp8,
            VideoFourCc::Vp09 => VideoCodec::Vp9,
        }
    }
}

impl VideoCodec {
    fn from_legacy(id: u8) -> Self {
        match id {
            CODEC_ID_AVC => VideoCodec::Avc,
            CODEC_ID_HEVC => VideoCodec::Hevc,
            n => VideoCodec::Legacy(n),
        }
    }
}

/// The audio codec of a message, legacy or E-RTMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AudioCodec {
    /// Legacy sound format 10 or `mp4a`.
    Aac,
    /// `Opus`.
    Opus,
    /// `fLaC`.
    Flac,
    /// `ac-3`.
    Ac3,
    /// `ec-3`.
    Eac3,
    /// Legacy sound format 2 or 14, or `.mp3`.
    Mp3,
    /// Another legacy sound format (PCM, Nellymoser, G.711, Speex, ...).
    Legacy(u8),
}

impl From<AudioFourCc> for AudioCodec {
    fn from(c: AudioFourCc) -> Self {
        match c {
            AudioFourCc::Mp4a => AudioCodec::Aac,
            AudioFourCc::Opus => AudioCodec::Opus,
            AudioFourCc::Flac => AudioCodec::Flac,
            AudioFourCc::Ac3 => AudioCodec::Ac3,
            AudioFourCc::Eac3 => AudioCodec::Eac3,
            AudioFourCc::Mp3 => AudioCodec::Mp3,
        }
    }
}

/// What a packet of one track is, for caching and forwarding decisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketKind {
    /// Decoder configuration (sequence header / SequenceStart / MPEG2TSSequenceStart).
    SequenceStart,
    /// Coded media.
    CodedFrames,
    /// End of sequence.
    SequenceEnd,
    /// Video metadata (`colorInfo`).
    Metadata,
    /// Audio MultichannelConfig.
    MultichannelConfig,
    /// Video command frame (no media).
    Command,
}

/// One track of a message, as the relay sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrackInfo<C> {
    /// Track id; 0 for single-track and legacy messages.
    pub track_id: u8,
    /// The codec (`None` for a video command frame of an E-RTMP header, which names none).
    pub codec: Option<C>,
    /// What the packet is.
    pub kind: PacketKind,
}

fn video_kind(p: &VideoPacket) -> PacketKind {
    match p {
        VideoPacket::SequenceStart(_) | VideoPacket::Mpeg2TsSequenceStart(_) => {
            PacketKind::SequenceStart
        }
        VideoPacket::CodedFrames { .. } | VideoPacket::CodedFramesX(_) => PacketKind::CodedFrames,
        VideoPacket::SequenceEnd => PacketKind::SequenceEnd,
        VideoPacket::Metadata(_) => PacketKind::Metadata,
    }
}

fn audio_kind(p: &AudioPacket) -> PacketKind {
    match p {
        AudioPacket::SequenceStart(_) => PacketKind::SequenceStart,
        AudioPacket::CodedFrames(_) => PacketKind::CodedFrames,
        AudioPacket::SequenceEnd => PacketKind::SequenceEnd,
        AudioPacket::MultichannelConfig(_) => PacketKind::MultichannelConfig,
    }
}

impl VideoTag {
    /// Every track of the message (one for legacy and single-track messages). Allocates
    /// only for multitrack messages.
    pub fn tracks(&self) -> impl Iterator<Item = TrackInfo<VideoCodec>> + '_ {
        let (single, many) = match self {
            VideoTag::Legacy(t) => {
                let kind = match &t.body {
                    LegacyVideoBody::Command(_) => PacketKind::Command,
                    LegacyVideoBody::Avc { packet_type, .. } => match packet_type {
                        AvcPacketType::SequenceHeader => PacketKind::SequenceStart,
                        AvcPacketType::Nalu => PacketKind::CodedFrames,
                        AvcPacketType::EndOfSequence => PacketKind::SequenceEnd,
                    },
                    LegacyVideoBody::Opaque(_) => PacketKind::CodedFrames,
                };
                let codec = Some(VideoCodec::from_legacy(t.codec_id));
                (
                    Some(TrackInfo {
                        track_id: 0,
                        codec,
                        kind,
                    }),
                    None,
                )
            }
            VideoTag::Enhanced(t) => match &t.body {
                ExVideoBody::Command { .. } => (
                    Some(TrackInfo {
                        track_id: 0,
                        codec: None,
                        kind: PacketKind::Command,
                    }),
                    None,
                ),
                ExVideoBody::Single { fourcc, packet } => (
                    Some(TrackInfo {
                        track_id: 0,
                        codec: Some((*fourcc).into()),
                        kind: video_kind(packet),
                    }),
                    None,
                ),
                ExVideoBody::Multitrack { tracks, .. } => (None, Some(tracks.iter())),
            },
        };
        single
            .into_iter()
            .chain(many.into_iter().flatten().map(|t| TrackInfo {
                track_id: t.track_id,
                codec: Some(t.codec.into()),
                kind: video_kind(&t.packet),
            }))
    }

    /// The codec of the first track (`None` for an E-RTMP command frame).
    pub fn codec(&self) -> Option<VideoCodec> {
        self.tracks().next().and_then(|t| t.codec)
    }

    fn any_kind(&self, kind: PacketKind) -> bool {
        self.tracks().any(|t| t.kind == kind)
    }

    /// A keyframe carrying coded media: where a player can start decoding (after the
    /// sequence headers). Sequence headers are sent with frame type key too; they are not
    /// keyframes here.
    pub fn is_keyframe(&self) -> bool {
        self.frame_type().is_key() && self.any_kind(PacketKind::CodedFrames)
    }

    /// Carries decoder configuration for at least one track (cache it for late joiners).
    pub fn is_sequence_header(&self) -> bool {
        self.any_kind(PacketKind::SequenceStart)
    }

    /// Ends the sequence of at least one track.
    pub fn is_sequence_end(&self) -> bool {
        self.any_kind(PacketKind::SequenceEnd)
    }

    /// Carries E-RTMP video metadata (`colorInfo`); relays cache it like a sequence header.
    pub fn is_metadata(&self) -> bool {
        self.any_kind(PacketKind::Metadata)
    }

    /// A command frame (client-side seeking markers), no media.
    pub fn is_command(&self) -> bool {
        self.any_kind(PacketKind::Command)
    }
}

impl AudioTag {
    /// Every track of the message (one for legacy and single-track messages).
    pub fn tracks(&self) -> impl Iterator<Item = TrackInfo<AudioCodec>> + '_ {
        let (single, many) = match self {
            AudioTag::Legacy(t) => {
                let kind = match &t.body {
                    LegacyAudioBody::Aac {
                        packet_type: AacPacketType::SequenceHeader,
                        ..
                    } => PacketKind::SequenceStart,
                    _ => PacketKind::CodedFrames,
                };
                let codec = match t.format {
                    SOUND_FORMAT_AAC => AudioCodec::Aac,
                    SOUND_FORMAT_MP3 | SOUND_FORMAT_MP3_8K => AudioCodec::Mp3,
                    n => AudioCodec::Legacy(n),
                };
                let info = TrackInfo {
                    track_id: 0,
                    codec: Some(codec),
                    kind,
                };
                (Some(info), None)
            }
            AudioTag::Enhanced(t) => match &t.body {
                ExAudioBody::Single { fourcc, packet } => (
                    Some(TrackInfo {
                        track_id: 0,
                        codec: Some((*fourcc).into()),
                        kind: audio_kind(packet),
                    }),
                    None,
                ),
                ExAudioBody::Multitrack { tracks, .. } => (None, Some(tracks.iter())),
            },
        };
        single
            .into_iter()
            .chain(many.into_iter().flatten().map(|t| TrackInfo {
                track_id: t.track_id,
                codec: Some(t.codec.into()),
                kind: audio_kind(&t.packet),
            }))
    }

    /// The codec of the first track.
    pub fn codec(&self) -> Option<AudioCodec> {
        self.tracks().next().and_then(|t| t.codec)
    }

    /// Carries decoder configuration (AAC sequence header, SequenceStart) for a track.
    pub fn is_sequence_header(&self) -> bool {
        self.tracks().any(|t| t.kind == PacketKind::SequenceStart)
    }

    /// Configuration a late joiner needs before coded frames: a sequence header or a
    /// MultichannelConfig.
    pub fn is_config(&self) -> bool {
        self.tracks().any(|t| {
            matches!(
                t.kind,
                PacketKind::SequenceStart | PacketKind::MultichannelConfig
            )
        })
    }

    /// Ends the sequence of at least one track.
    pub fn is_sequence_end(&self) -> bool {
        self.tracks().any(|t| t.kind == PacketKind::SequenceEnd)
    }
}
