//! From RTMP messages to codec frames: what an application that wants video and audio
//! (not FLV tags) needs, in the framing it asks for.
//!
//! A [`Depacketizer`] follows one stream's sequence headers (per track, legacy and Enhanced
//! RTMP) and turns each coded message into [`ParsedFrame`]s: H.264 and H.265 access units
//! in Annex B (parameter sets in front of every keyframe, so each keyframe decodes alone)
//! or length-prefixed as sent, AAC raw or with an ADTS header, every other codec's frame
//! data as sent. Configuration and sequence ends come out as [`Unpacked`] items too, so a
//! consumer sees a codec change where it happens. Length-prefixed NAL units and raw AAC are
//! zero-copy slices of the message; Annex B and ADTS are one copy, made once per consumer.

use bytes::{Bytes, BytesMut};

use super::MediaError;
use super::adts::to_adts;
use super::annexb::{NalCodec, to_annex_b};
use super::asc::AudioSpecificConfig;
use super::audio::{AacPacketType, AudioPacket, AudioTag, ExAudioBody, LegacyAudioBody};
use super::avcc::AvcDecoderConfigurationRecord;
use super::classify::{AudioCodec, VideoCodec};
use super::hvcc::HevcDecoderConfigurationRecord;
use super::video::{AvcPacketType, ExVideoBody, LegacyVideoBody, VideoPacket, VideoTag};

/// How H.264 / H.265 access units come out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum NalFormat {
    /// Start codes (`00 00 00 01`) before each NAL unit, parameter sets in front of every
    /// keyframe: what raw `.h264`/`.h265` files, MPEG-TS and decoders fed byte streams take.
    #[default]
    AnnexB,
    /// As RTMP carries them (and MP4 stores them): each NAL unit after its length.
    LengthPrefixed,
}

/// How AAC frames come out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AacFormat {
    /// A 7-byte ADTS header on every frame: what `.aac` files and MPEG-TS take.
    #[default]
    Adts,
    /// The raw frame, as RTMP carries it (configured by the AudioSpecificConfig).
    Raw,
}

/// The framings a [`Depacketizer`] produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameFormat {
    /// H.264 / H.265.
    pub nal: NalFormat,
    /// AAC.
    pub aac: AacFormat,
}

/// A frame's codec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// A video codec.
    Video(VideoCodec),
    /// An audio codec.
    Audio(AudioCodec),
}

/// One coded frame of one track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedFrame {
    /// Its codec.
    pub codec: Codec,
    /// Its track (0 for legacy and single-track messages).
    pub track: u8,
    /// Decoding time, milliseconds (the message timestamp).
    pub timestamp: u32,
    /// Presentation minus decoding time, milliseconds (0 where the codec has none).
    pub composition_time: i32,
    /// A decoder can start here (every audio frame is one).
    pub keyframe: bool,
    /// The frame in the asked framing.
    pub data: Bytes,
}

/// What a message turned into.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unpacked {
    /// A coded frame.
    Frame(ParsedFrame),
    /// Decoder configuration for a track (avcC, hvcC, AudioSpecificConfig, OpusHead...),
    /// as sent; later frames of the track follow it.
    Config {
        /// The codec configured.
        codec: Codec,
        /// The track.
        track: u8,
        /// The configuration record.
        data: Bytes,
    },
    /// The end of a track's sequence.
    SequenceEnd {
        /// The codec whose sequence ended.
        codec: Codec,
        /// The track.
        track: u8,
    },
}

/// What a NAL codec's configuration says about its frames.
#[derive(Debug, Clone)]
struct NalConfig {
    codec: NalCodec,
    length_size: u8,
    parameter_sets: Vec<Bytes>,
}

/// One stream's decoder configurations and the framing asked for; see the module docs.
#[derive(Debug, Default)]
pub struct Depacketizer {
    format: FrameFormat,
    /// By track (a u8: at most 256 entries however many tracks a peer announces).
    nal: Vec<(u8, NalConfig)>,
    aac: Vec<(u8, AudioSpecificConfig)>,
}

/// One video track's packet, legacy or Enhanced, reduced to what matters here.
enum VideoPart {
    Config(Bytes),
    Coded { cts: i32, data: Bytes },
    End,
    Other,
}

impl Depacketizer {
    /// A depacketizer producing `format`.
    pub fn new(format: FrameFormat) -> Self {
        Depacketizer {
            format,
            nal: Vec::new(),
            aac: Vec::new(),
        }
    }

    /// Forgets every configuration (a new publisher starts over).
    pub fn reset(&mut self) {
        self.nal.clear();
        self.aac.clear();
    }

    /// Unpacks one video message at `timestamp` into `out`. Errors concern this message
    /// only (a header that does not parse, H.264 / H.265 frames before their sequence
    /// header); what was unpacked before the error stays in `out`.
    pub fn video(
        &mut self,
        timestamp: u32,
        payload: Bytes,
        out: &mut Vec<Unpacked>,
    ) -> Result<(), MediaError> {
        let tag = VideoTag::parse(payload)?;
        let keyframe = tag.frame_type().is_key();
        let first_codec = tag.codec();
        let mut parts: Vec<(u8, VideoCodec, VideoPart)> = Vec::new();
        match tag {
            VideoTag::Legacy(t) => {
                let codec = first_codec.unwrap_or(VideoCodec::Legacy(t.codec_id));
                let part = match t.body {
                    LegacyVideoBody::Avc {
                        packet_type,
                        composition_time,
                        data,
                    } => match packet_type {
                        AvcPacketType::SequenceHeader => VideoPart::Config(data),
                        AvcPacketType::Nalu => VideoPart::Coded {
                            cts: composition_time,
                            data,
                        },
                        AvcPacketType::EndOfSequence => VideoPart::End,
                    },
                    LegacyVideoBody::Opaque(data) => VideoPart::Coded { cts: 0, data },
                    _ => VideoPart::Other,
                };
                parts.push((0, codec, part));
            }
            VideoTag::Enhanced(t) => match t.body {
                ExVideoBody::Single { fourcc, packet } => {
                    parts.push((0, fourcc.into(), video_part(packet)));
                }
                ExVideoBody::Multitrack { tracks, .. } => {
                    for t in tracks {
                        parts.push((t.track_id, t.codec.into(), video_part(t.packet)));
                    }
                }
                _ => {}
            },
        }
        for (track, codec, part) in parts {
            self.video_part(timestamp, keyframe, track, codec, part, out)?;
        }
        Ok(())
    }

    fn video_part(
        &mut self,
        timestamp: u32,
        keyframe: bool,
        track: u8,
        codec: VideoCodec,
        part: VideoPart,
        out: &mut Vec<Unpacked>,
    ) -> Result<(), MediaError> {
        let nal_codec = match codec {
            VideoCodec::Avc => Some(NalCodec::Avc),
            VideoCodec::Hevc => Some(NalCodec::Hevc),
            _ => None,
        };
        match part {
            VideoPart::Config(data) => {
                if let Some(nc) = nal_codec {
                    let (length_size, parameter_sets) = match nc {
                        NalCodec::Hevc => {
                            let r = HevcDecoderConfigurationRecord::parse(data.clone())?;
                            (r.nal_length_size, r.parameter_sets())
                        }
                        _ => {
                            let r = AvcDecoderConfigurationRecord::parse(data.clone())?;
                            (r.nal_length_size, r.parameter_sets())
                        }
                    };
                    let config = NalConfig {
                        codec: nc,
                        length_size,
                        parameter_sets,
                    };
                    set(&mut self.nal, track, config);
                }
                out.push(Unpacked::Config {
                    codec: Codec::Video(codec),
                    track,
                    data,
                });
            }
            VideoPart::Coded { cts, data } => {
                let data = match (nal_codec, self.format.nal) {
                    (Some(_), NalFormat::AnnexB) => {
                        let c = get(&self.nal, track).ok_or(MediaError::Invalid(
                            "coded frames before the sequence header",
                        ))?;
                        let mut annex_b = BytesMut::new();
                        to_annex_b(
                            data,
                            c.length_size,
                            c.codec,
                            &c.parameter_sets,
                            &mut annex_b,
                        )?;
                        annex_b.freeze()
                    }
                    _ => data,
                };
                out.push(Unpacked::Frame(ParsedFrame {
                    codec: Codec::Video(codec),
                    track,
                    timestamp,
                    composition_time: cts,
                    keyframe,
                    data,
                }));
            }
            VideoPart::End => out.push(Unpacked::SequenceEnd {
                codec: Codec::Video(codec),
                track,
            }),
            VideoPart::Other => {}
        }
        Ok(())
    }

    /// Unpacks one audio message at `timestamp` into `out`; errors as for
    /// [`video`](Self::video).
    pub fn audio(
        &mut self,
        timestamp: u32,
        payload: Bytes,
        out: &mut Vec<Unpacked>,
    ) -> Result<(), MediaError> {
        let tag = AudioTag::parse(payload)?;
        let codec = tag.codec();
        let mut parts: Vec<(u8, AudioCodec, AudioPacket)> = Vec::new();
        match tag {
            AudioTag::Legacy(t) => {
                let codec = codec.unwrap_or(AudioCodec::Legacy(t.format));
                let packet = match t.body {
                    LegacyAudioBody::Aac {
                        packet_type: AacPacketType::SequenceHeader,
                        data,
                    } => AudioPacket::SequenceStart(data),
                    LegacyAudioBody::Aac { data, .. } | LegacyAudioBody::Opaque(data) => {
                        AudioPacket::CodedFrames(data)
                    }
                };
                parts.push((0, codec, packet));
            }
            AudioTag::Enhanced(t) => match t.body {
                ExAudioBody::Single { fourcc, packet } => parts.push((0, fourcc.into(), packet)),
                ExAudioBody::Multitrack { tracks, .. } => {
                    for t in tracks {
                        parts.push((t.track_id, t.codec.into(), t.packet));
                    }
                }
            },
        }
        for (track, codec, packet) in parts {
            self.audio_part(timestamp, track, codec, packet, out)?;
        }
        Ok(())
    }

    fn audio_part(
        &mut self,
        timestamp: u32,
        track: u8,
        codec: AudioCodec,
        packet: AudioPacket,
        out: &mut Vec<Unpacked>,
    ) -> Result<(), MediaError> {
        match packet {
            AudioPacket::SequenceStart(data) => {
                if codec == AudioCodec::Aac {
                    set(
                        &mut self.aac,
                        track,
                        AudioSpecificConfig::parse(data.clone())?,
                    );
                }
                out.push(Unpacked::Config {
                    codec: Codec::Audio(codec),
                    track,
                    data,
                });
            }
            AudioPacket::CodedFrames(data) => {
                let data = if codec == AudioCodec::Aac && self.format.aac == AacFormat::Adts {
                    let asc = get(&self.aac, track)
                        .ok_or(MediaError::Invalid("AAC frames before the sequence header"))?;
                    let mut adts = BytesMut::new();
                    to_adts(asc, &data, &mut adts)?;
                    adts.freeze()
                } else {
                    data
                };
                out.push(Unpacked::Frame(ParsedFrame {
                    codec: Codec::Audio(codec),
                    track,
                    timestamp,
                    composition_time: 0,
                    keyframe: true,
                    data,
                }));
            }
            AudioPacket::SequenceEnd => out.push(Unpacked::SequenceEnd {
                codec: Codec::Audio(codec),
                track,
            }),
            _ => {}
        }
        Ok(())
    }
}

fn video_part(packet: VideoPacket) -> VideoPart {
    match packet {
        VideoPacket::SequenceStart(d) => VideoPart::Config(d),
        VideoPacket::CodedFrames {
            composition_time,
            data,
        } => VideoPart::Coded {
            cts: composition_time,
            data,
        },
        VideoPacket::CodedFramesX(data) => VideoPart::Coded { cts: 0, data },
        VideoPacket::SequenceEnd => VideoPart::End,
        _ => VideoPart::Other,
    }
}

fn get<T>(list: &[(u8, T)], track: u8) -> Option<&T> {
    list.iter().find(|(t, _)| *t == track).map(|(_, c)| c)
}

fn set<T>(list: &mut Vec<(u8, T)>, track: u8, value: T) {
    match list.iter_mut().find(|(t, _)| *t == track) {
        Some((_, c)) => *c = value,
        None => list.push((track, value)),
    }
}
