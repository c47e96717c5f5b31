//! Audio message payloads: the legacy FLV AudioTagHeader and the E-RTMP v2
//! ExAudioTagHeader (RTMP-NOTES items 21-23, 27), parsed zero-copy and built back.

use bytes::{BufMut, Bytes, BytesMut};

use super::MediaError;
use super::ex::{self, ModEx, MultitrackType, Track};
use super::fourcc::{AudioFourCc, FourCc};
use super::reader::Reader;

/// Legacy sound format of MP3.
pub const SOUND_FORMAT_MP3: u8 = 2;
/// Legacy sound format of AAC (followed by an AACPacketType byte).
pub const SOUND_FORMAT_AAC: u8 = 10;
/// Legacy sound format of MP3 at 8 kHz.
pub const SOUND_FORMAT_MP3_8K: u8 = 14;
/// Sound format value that announces an ExAudioTagHeader.
pub const SOUND_FORMAT_EX_HEADER: u8 = 9;

/// Parsed payload of an audio message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioTag {
    /// Legacy FLV header.
    Legacy(LegacyAudioTag),
    /// E-RTMP ExAudioTagHeader (sound format 9).
    Enhanced(ExAudioTag),
}

/// Legacy sound rate (bits 3-2). AAC always says 44 kHz; the real rate is in the config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SoundRate {
    /// 5.5 kHz.
    Khz5_5,
    /// 11 kHz.
    Khz11,
    /// 22 kHz.
    Khz22,
    /// 44 kHz.
    Khz44,
}

/// A legacy FLV audio payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyAudioTag {
    /// Sound format (bits 7-4): 0 PCM, 1 ADPCM, 2 MP3, 3 PCM LE, 4-6 Nellymoser, 7/8 G.711,
    /// 10 AAC, 11 Speex, 14 MP3 8 kHz, 15 device specific. Never 9 here.
    pub format: u8,
    /// Sound rate (bits 3-2).
    pub rate: SoundRate,
    /// Bit 1: 16-bit samples (else 8-bit).
    pub sixteen_bit: bool,
    /// Bit 0: stereo (else mono).
    pub stereo: bool,
    /// What follows byte 0.
    pub body: LegacyAudioBody,
}

/// What follows byte 0 of a legacy audio payload.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LegacyAudioBody {
    /// Sound format 10.
    Aac {
        /// Sequence header (AudioSpecificConfig) or raw frame.
        packet_type: AacPacketType,
        /// The config or frame.
        data: Bytes,
    },
    /// Any other format: the rest of the payload.
    Opaque(Bytes),
}

/// Legacy AACPacketType.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AacPacketType {
    /// 0: AudioSpecificConfig.
    SequenceHeader,
    /// 1: raw AAC frame.
    Raw,
}

/// An E-RTMP audio payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExAudioTag {
    /// ModEx prefixes, in wire order (usually empty).
    pub mod_ex: Vec<ModEx>,
    /// The single track or the tracks.
    pub body: ExAudioBody,
}

/// What an ExAudioTagHeader carries.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExAudioBody {
    /// One FourCC and one packet (track 0).
    Single {
        /// The codec.
        fourcc: AudioFourCc,
        /// The packet.
        packet: AudioPacket,
    },
    /// Packet type Multitrack.
    Multitrack {
        /// Framing of the tracks.
        kind: MultitrackType,
        /// The tracks in wire order; all carry the same packet type.
        tracks: Vec<AudioTrack>,
    },
}

/// One track of a multitrack audio message.
pub type AudioTrack = Track<AudioFourCc, AudioPacket>;

/// The E-RTMP AudioPacketType nibble.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AudioPacketType {
    /// 0: codec configuration.
    SequenceStart,
    /// 1: coded frames.
    CodedFrames,
    /// 2: end of sequence.
    SequenceEnd,
    /// 4: channel layout.
    MultichannelConfig,
    /// 5: multitrack.
    Multitrack,
    /// 7: ModEx prefix.
    ModEx,
}

impl AudioPacketType {
    /// The packet type of a nibble, or [`MediaError::UnknownAudioPacketType`] (3, 6, 8-15).
    pub fn from_u8(v: u8) -> Result<Self, MediaError> {
        Ok(match v {
            0 => AudioPacketType::SequenceStart,
            1 => AudioPacketType::CodedFrames,
            2 => AudioPacketType::SequenceEnd,
            4 => AudioPacketType::MultichannelConfig,
            5 => AudioPacketType::Multitrack,
            7 => AudioPacketType::ModEx,
            n => return Err(MediaError::UnknownAudioPacketType(n)),
        })
    }

    /// The wire nibble.
    pub fn to_u8(self) -> u8 {
        match self {
            AudioPacketType::SequenceStart => 0,
            AudioPacketType::CodedFrames => 1,
            AudioPacketType::SequenceEnd => 2,
            AudioPacketType::MultichannelConfig => 4,
            AudioPacketType::Multitrack => 5,
            AudioPacketType::ModEx => 7,
        }
    }
}

/// One E-RTMP audio packet of one track.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AudioPacket {
    /// Codec configuration (AudioSpecificConfig, OpusHead, FLAC STREAMINFO, ...).
    SequenceStart(Bytes),
    /// Coded frames.
    CodedFrames(Bytes),
    /// End of sequence.
    SequenceEnd,
    /// Channel layout for codecs that don't describe it themselves.
    MultichannelConfig(MultichannelConfig),
}

impl AudioPacket {
    /// The packet type that announces this packet.
    pub fn packet_type(&self) -> AudioPacketType {
        match self {
            AudioPacket::SequenceStart(_) => AudioPacketType::SequenceStart,
            AudioPacket::CodedFrames(_) => AudioPacketType::CodedFrames,
            AudioPacket::SequenceEnd => AudioPacketType::SequenceEnd,
            AudioPacket::MultichannelConfig(_) => AudioPacketType::MultichannelConfig,
        }
    }

    fn read(packet_type: u8, mut r: Reader) -> Result<Self, MediaError> {
        Ok(match AudioPacketType::from_u8(packet_type)? {
            AudioPacketType::SequenceStart => AudioPacket::SequenceStart(r.rest()),
            AudioPacketType::CodedFrames => AudioPacket::CodedFrames(r.rest()),
            AudioPacketType::SequenceEnd => AudioPacket::SequenceEnd,
            AudioPacketType::MultichannelConfig => {
                AudioPacket::MultichannelConfig(MultichannelConfig::read(&mut r)?)
            }
            t @ (AudioPacketType::Multitrack | AudioPacketType::ModEx) => {
                return Err(MediaError::NestedPacketType(t.to_u8()));
            }
        })
    }

    fn write(&self, out: &mut BytesMut) -> Result<(), MediaError> {
        match self {
            AudioPacket::SequenceStart(d) | AudioPacket::CodedFrames(d) => out.extend_from_slice(d),
            AudioPacket::SequenceEnd => {}
            AudioPacket::MultichannelConfig(c) => c.write(out)?,
        }
        Ok(())
    }
}

/// The MultichannelConfig packet: channel count and how channels map to speakers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultichannelConfig {
    /// Number of channels.
    pub channel_count: u8,
    /// Channel order.
    pub order: ChannelOrder,
}

/// AudioChannelOrder with its data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelOrder {
    /// 0: only the count is known.
    Unspecified,
    /// 1: channels in AudioChannel order; UI32 mask of the present speakers
    /// (0x1 front left, 0x2 front right, 0x4 front center, 0x8 LFE, ...).
    Native(u32),
    /// 2: one AudioChannel byte per channel, `channel_count` bytes.
    Custom(Bytes),
}

impl MultichannelConfig {
    fn read(r: &mut Reader) -> Result<Self, MediaError> {
        let order = r.u8("channel order")?;
        let channel_count = r.u8("channel count")?;
        let order = match order {
            0 => ChannelOrder::Unspecified,
            1 => ChannelOrder::Native(r.u32("channel flags")?),
            2 => ChannelOrder::Custom(r.take(channel_count.into(), "channel mapping")?),
            n => return Err(MediaError::UnknownChannelOrder(n)),
        };
        Ok(MultichannelConfig {
            channel_count,
            order,
        })
    }

    fn write(&self, out: &mut BytesMut) -> Result<(), MediaError> {
        match &self.order {
            ChannelOrder::Unspecified => {
                out.put_u8(0);
                out.put_u8(self.channel_count);
            }
            ChannelOrder::Native(flags) => {
                out.put_u8(1);
                out.put_u8(self.channel_count);
                out.put_u32(*flags);
            }
            ChannelOrder::Custom(map) => {
                if map.len() != usize::from(self.channel_count) {
                    return Err(MediaError::Invalid(
                        "channel mapping (length differs from channel count)",
                    ));
                }
                out.put_u8(2);
                out.put_u8(self.channel_count);
                out.extend_from_slice(map);
            }
        }
        Ok(())
    }
}

fn read_audio_fourcc(r: &mut Reader) -> Result<AudioFourCc, MediaError> {
    AudioFourCc::from_fourcc(FourCc(r.fourcc("audio FourCC")?))
}

impl AudioTag {
    /// Parses an audio message payload. Slices of `payload` are kept, nothing is copied.
    pub fn parse(payload: Bytes) -> Result<Self, MediaError> {
        let mut r = Reader::new(payload);
        let b0 = r.u8("audio header")?;
        let format = b0 >> 4;
        if format != SOUND_FORMAT_EX_HEADER {
            let body = if format == SOUND_FORMAT_AAC {
                let packet_type = match r.u8("AAC packet type")? {
                    0 => AacPacketType::SequenceHeader,
                    1 => AacPacketType::Raw,
                    n => return Err(MediaError::UnknownAacPacketType(n)),
                };
                LegacyAudioBody::Aac {
                    packet_type,
                    data: r.rest(),
                }
            } else {
                LegacyAudioBody::Opaque(r.rest())
            };
            return Ok(AudioTag::Legacy(LegacyAudioTag {
                format,
                rate: match (b0 >> 2) & 3 {
                    0 => SoundRate::Khz5_5,
                    1 => SoundRate::Khz11,
                    2 => SoundRate::Khz22,
                    _ => SoundRate::Khz44,
                },
                sixteen_bit: b0 & 2 != 0,
                stereo: b0 & 1 != 0,
                body,
            }));
        }
        let mut mod_ex = Vec::new();
        let packet_type = ex::read_mod_ex(&mut r, b0 & 0x0f, &mut mod_ex)?;
        let body = if AudioPacketType::from_u8(packet_type)? == AudioPacketType::Multitrack {
            let b = r.u8("multitrack type")?;
            let kind = MultitrackType::from_nibble(b >> 4)?;
            let inner = b & 0x0f;
            let tracks = ex::read_tracks(&mut r, kind, read_audio_fourcc, |_, tr| {
                AudioPacket::read(inner, tr)
            })?;
            ExAudioBody::Multitrack { kind, tracks }
        } else {
            let fourcc = read_audio_fourcc(&mut r)?;
            ExAudioBody::Single {
                fourcc,
                packet: AudioPacket::read(packet_type, r)?,
            }
        };
        Ok(AudioTag::Enhanced(ExAudioTag { mod_ex, body }))
    }

    /// A legacy AAC payload with the conventional header byte 0xAF (AAC, 44 kHz, 16-bit,
    /// stereo: the real values are in the AudioSpecificConfig).
    pub fn aac(packet_type: AacPacketType, data: Bytes) -> Self {
        AudioTag::Legacy(LegacyAudioTag {
            format: SOUND_FORMAT_AAC,
            rate: SoundRate::Khz44,
            sixteen_bit: true,
            stereo: true,
            body: LegacyAudioBody::Aac { packet_type, data },
        })
    }

    /// An E-RTMP SequenceStart (AudioSpecificConfig, OpusHead, FLAC STREAMINFO, ...).
    pub fn ex_sequence_start(fourcc: AudioFourCc, config: Bytes) -> Self {
        Self::ex_single(fourcc, AudioPacket::SequenceStart(config))
    }

    /// E-RTMP coded frames.
    pub fn ex_coded_frames(fourcc: AudioFourCc, data: Bytes) -> Self {
        Self::ex_single(fourcc, AudioPacket::CodedFrames(data))
    }

    fn ex_single(fourcc: AudioFourCc, packet: AudioPacket) -> Self {
        AudioTag::Enhanced(ExAudioTag {
            mod_ex: Vec::new(),
            body: ExAudioBody::Single { fourcc, packet },
        })
    }

    /// Appends the wire form of this payload to `out`.
    pub fn write_to(&self, out: &mut BytesMut) -> Result<(), MediaError> {
        match self {
            AudioTag::Legacy(t) => t.write_to(out),
            AudioTag::Enhanced(t) => t.write_to(out),
        }
    }

    /// The wire form of this payload.
    pub fn to_bytes(&self) -> Result<Bytes, MediaError> {
        let hint = match self {
            AudioTag::Legacy(LegacyAudioTag {
                body: LegacyAudioBody::Aac { data, .. } | LegacyAudioBody::Opaque(data),
                ..
            }) => data.len() + 2,
            AudioTag::Enhanced(_) => 64,
        };
        let mut out = BytesMut::with_capacity(hint);
        self.write_to(&mut out)?;
        Ok(out.freeze())
    }
}

impl LegacyAudioTag {
    fn write_to(&self, out: &mut BytesMut) -> Result<(), MediaError> {
        if self.format > 0x0f || self.format == SOUND_FORMAT_EX_HEADER {
            return Err(MediaError::Invalid("legacy sound format (over 15 or 9)"));
        }
        let rate = match self.rate {
            SoundRate::Khz5_5 => 0,
            SoundRate::Khz11 => 1,
            SoundRate::Khz22 => 2,
            SoundRate::Khz44 => 3,
        };
        out.put_u8(
            self.format << 4 | rate << 2 | u8::from(self.sixteen_bit) << 1 | u8::from(self.stereo),
        );
        match &self.body {
            LegacyAudioBody::Aac { packet_type, data } => {
                if self.format != SOUND_FORMAT_AAC {
                    return Err(MediaError::Invalid("AAC body (sound format is not 10)"));
                }
                out.put_u8(match packet_type {
                    AacPacketType::SequenceHeader => 0,
                    AacPacketType::Raw => 1,
                });
                out.extend_from_slice(data);
            }
            LegacyAudioBody::Opaque(d) => {
                if self.format == SOUND_FORMAT_AAC {
                    return Err(MediaError::Invalid("opaque body (sound format 10 is AAC)"));
                }
                out.extend_from_slice(d);
            }
        }
        Ok(())
    }
}

impl ExAudioTag {
    fn write_to(&self, out: &mut BytesMut) -> Result<(), MediaError> {
        let packet_type = match &self.body {
            ExAudioBody::Single { packet, .. } => packet.packet_type().to_u8(),
            ExAudioBody::Multitrack { .. } => AudioPacketType::Multitrack.to_u8(),
        };
        let first = if self.mod_ex.is_empty() {
            packet_type
        } else {
            ex::MOD_EX
        };
        out.put_u8(SOUND_FORMAT_EX_HEADER << 4 | first);
        ex::write_mod_ex(out, &self.mod_ex, packet_type)?;
        match &self.body {
            ExAudioBody::Single { fourcc, packet } => {
                out.extend_from_slice(&fourcc.fourcc().0);
                packet.write(out)?;
            }
            ExAudioBody::Multitrack { kind, tracks } => {
                let inner = tracks
                    .first()
                    .ok_or(MediaError::Invalid("multitrack message (no tracks)"))?
                    .packet
                    .packet_type();
                if tracks.iter().any(|t| t.packet.packet_type() != inner) {
                    return Err(MediaError::Invalid("multitrack packet types (differ)"));
                }
                out.put_u8(kind.to_nibble() << 4 | inner.to_u8());
                ex::write_tracks(
                    out,
                    *kind,
                    tracks,
                    |cc, o| o.extend_from_slice(&cc.fourcc().0),
                    |t, o| t.packet.write(o),
                )?;
            }
        }
        Ok(())
    }

    /// Nanoseconds to add to the message timestamp (ModEx TimestampOffsetNano), if sent.
    pub fn timestamp_offset_nanos(&self) -> Option<u32> {
        ex::nano_offset(&self.mod_ex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{AudioCodec, PacketKind};

    fn parse(b: &'static [u8]) -> Result<AudioTag, MediaError> {
        AudioTag::parse(Bytes::from_static(b))
    }

    fn roundtrip(b: &'static [u8]) -> AudioTag {
        let a = parse(b).unwrap();
        assert_eq!(&a.to_bytes().unwrap()[..], b, "rebuild of {a:?}");
        a
    }

    #[test]
    fn item_23_legacy() {
        // 0xAF: AAC, 44 kHz, 16-bit, stereo; packet type 0 = AudioSpecificConfig.
        let a = roundtrip(&[0xaf, 0x00, 0x12, 0x10]);
        assert_eq!(
            a,
            AudioTag::Legacy(LegacyAudioTag {
                format: SOUND_FORMAT_AAC,
                rate: SoundRate::Khz44,
                sixteen_bit: true,
                stereo: true,
                body: LegacyAudioBody::Aac {
                    packet_type: AacPacketType::SequenceHeader,
                    data: Bytes::from_static(&[0x12, 0x10]),
                },
            })
        );
        assert!(a.is_sequence_header());
        // 0x2E: MP3, 44 kHz, 16-bit, mono.
        let a = roundtrip(&[0x2e, 0xff, 0xfb]);
        assert_eq!(a.codec(), Some(AudioCodec::Mp3));
        assert!(!a.is_sequence_header());
        assert_eq!(
            parse(&[0xaf, 0x02]),
            Err(MediaError::UnknownAacPacketType(2))
        );
        assert_eq!(
            parse(&[0xaf]),
            Err(MediaError::Truncated("AAC packet type"))
        );
    }

    #[test]
    fn item_23_enhanced() {
        assert!(roundtrip(b"\x90OpusOpusHead").is_sequence_header());
        assert_eq!(
            roundtrip(b"\x91fLaC\xff\xf8").codec(),
            Some(AudioCodec::Flac)
        );
        assert!(roundtrip(b"\x92ec-3").is_sequence_end());
        assert_eq!(roundtrip(b"\x91.mp3\xff").codec(), Some(AudioCodec::Mp3));
        // MultichannelConfig: Native, 2 channels, FrontLeft | FrontRight.
        let a = roundtrip(b"\x94Opus\x01\x02\x00\x00\x00\x03");
        assert!(a.is_config() && !a.is_sequence_header());
        // Custom: 3 channels mapped to FrontCenter, FrontLeft, FrontRight.
        let a = roundtrip(b"\x94ac-3\x02\x03\x02\x00\x01");
        let AudioTag::Enhanced(ExAudioTag {
            body:
                ExAudioBody::Single {
                    packet: AudioPacket::MultichannelConfig(c),
                    ..
                },
            ..
        }) = a
        else {
            panic!()
        };
        assert_eq!(
            c.order,
            ChannelOrder::Custom(Bytes::from_static(&[2, 0, 1]))
        );
        roundtrip(b"\x94mp4a\x00\x06");
        assert_eq!(
            parse(b"\x94mp4a\x03\x02"),
            Err(MediaError::UnknownChannelOrder(3))
        );
        assert_eq!(
            parse(b"\x94mp4a\x02\x03\x00"),
            Err(MediaError::Truncated("channel mapping"))
        );
    }

    #[test]
    fn item_21_22_audio_mod_ex_and_multitrack() {
        // ModEx (TimestampOffsetNano 1000 ns) then CodedFrames Opus.
        let a = roundtrip(b"\x97\x02\x00\x03\xe8\x01Opus\xaa");
        let AudioTag::Enhanced(ex) = &a else { panic!() };
        assert_eq!(ex.timestamp_offset_nanos(), Some(1000));
        // ManyTracksManyCodecs CodedFrames: Opus track 0, mp4a track 1.
        let a = roundtrip(b"\x95\x21Opus\x00\x00\x00\x01\xaamp4a\x01\x00\x00\x02\xbb\xcc");
        let t: Vec<_> = a.tracks().map(|t| (t.track_id, t.codec, t.kind)).collect();
        assert_eq!(
            t,
            [
                (0, Some(AudioCodec::Opus), PacketKind::CodedFrames),
                (1, Some(AudioCodec::Aac), PacketKind::CodedFrames)
            ]
        );
        // ModEx in front of a multitrack message.
        roundtrip(b"\x97\x02\x00\x00\x01\x05\x00mp4a\x00\x12\x10");
    }

    #[test]
    fn publisher_constructors() {
        let d = Bytes::from_static(&[0x12, 0x10]);
        let aac = AudioTag::aac(AacPacketType::SequenceHeader, d.clone());
        assert_eq!(&aac.to_bytes().unwrap()[..], &[0xaf, 0, 0x12, 0x10]);
        let opus = AudioTag::ex_sequence_start(AudioFourCc::Opus, d.clone());
        assert_eq!(&opus.to_bytes().unwrap()[..], b"\x90Opus\x12\x10");
        let opus = AudioTag::ex_coded_frames(AudioFourCc::Opus, d);
        assert_eq!(&opus.to_bytes().unwrap()[..], b"\x91Opus\x12\x10");
    }

    #[test]
    fn item_27_unknown_audio_values() {
        assert_eq!(
            parse(b"\x93Opus"),
            Err(MediaError::UnknownAudioPacketType(3))
        );
        assert_eq!(
            parse(b"\x91vorb\x00"),
            Err(MediaError::UnknownFourCc(*b"vorb"))
        );
        assert_eq!(
            parse(b"\x95\x05Opus\x00"),
            Err(MediaError::NestedPacketType(5))
        );
    }
}
