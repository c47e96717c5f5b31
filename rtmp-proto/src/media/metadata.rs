//! AMF metadata that concerns media: codec ids in `onMetaData` (RTMP-NOTES item 26) and the
//! body of an E-RTMP video Metadata packet (`colorInfo`).

use bytes::{Bytes, BytesMut};

use crate::amf::{AmfString, DecodeLimits, Value, amf0};

use super::MediaError;
use super::audio::{SOUND_FORMAT_AAC, SOUND_FORMAT_MP3, SOUND_FORMAT_MP3_8K};
use super::classify::{AudioCodec, VideoCodec};
use super::fourcc::{AudioFourCc, FourCc, VideoFourCc};
use super::video::{CODEC_ID_AVC, CODEC_ID_HEVC};

/// A `videocodecid` / `audiocodecid` value: a legacy FLV id or a FourCC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MetadataCodecId {
    /// A legacy codec id / sound format (0..=255).
    Legacy(u8),
    /// A FourCC, sent packed in a double (`"hvc1"` = 1752589105.0) or as a string.
    FourCc(FourCc),
}

impl MetadataCodecId {
    /// Reads the value: an integral number below 256 is a legacy id, a larger integral
    /// number up to 2^32 is a packed FourCC, a four-byte string is a FourCC.
    pub fn from_value(v: &Value) -> Option<Self> {
        if let Some(s) = v.as_str() {
            return FourCc::from_str_exact(s).map(MetadataCodecId::FourCc);
        }
        let n = v.as_f64()?;
        if n.fract() != 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&n) {
            return None;
        }
        let n = n as u32;
        Some(match u8::try_from(n) {
            Ok(id) => MetadataCodecId::Legacy(id),
            Err(_) => MetadataCodecId::FourCc(FourCc::from_u32(n)),
        })
    }

    /// The value to write: a number in both cases (the E-RTMP form for FourCCs).
    pub fn to_value(self) -> Value {
        match self {
            MetadataCodecId::Legacy(id) => Value::from(u32::from(id)),
            MetadataCodecId::FourCc(cc) => Value::from(cc.to_u32()),
        }
    }
}

/// The video codec named by `videocodecid` in an `onMetaData` object or ECMA array.
pub fn video_codec_of(metadata: &Value) -> Option<VideoCodec> {
    match MetadataCodecId::from_value(metadata.get("videocodecid")?)? {
        MetadataCodecId::Legacy(CODEC_ID_AVC) => Some(VideoCodec::Avc),
        MetadataCodecId::Legacy(CODEC_ID_HEVC) => Some(VideoCodec::Hevc),
        MetadataCodecId::Legacy(n) => Some(VideoCodec::Legacy(n)),
        MetadataCodecId::FourCc(cc) => VideoFourCc::from_fourcc(cc).ok().map(Into::into),
    }
}

/// The audio codec named by `audiocodecid` in an `onMetaData` object or ECMA array.
pub fn audio_codec_of(metadata: &Value) -> Option<AudioCodec> {
    match MetadataCodecId::from_value(metadata.get("audiocodecid")?)? {
        MetadataCodecId::Legacy(SOUND_FORMAT_AAC) => Some(AudioCodec::Aac),
        MetadataCodecId::Legacy(SOUND_FORMAT_MP3 | SOUND_FORMAT_MP3_8K) => Some(AudioCodec::Mp3),
        MetadataCodecId::Legacy(n) => Some(AudioCodec::Legacy(n)),
        MetadataCodecId::FourCc(cc) => AudioFourCc::from_fourcc(cc).ok().map(Into::into),
    }
}

/// The body of a video Metadata packet: an AMF0 name (`"colorInfo"`) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoMetadata {
    /// The metadata name; E-RTMP v2 defines `"colorInfo"`.
    pub name: AmfString,
    /// The metadata object (for colorInfo: `colorConfig`, `hdrCll`, `hdrMdcv`).
    pub value: Value,
}

impl VideoMetadata {
    /// Decodes the AMF0 body of a [`super::VideoPacket::Metadata`].
    pub fn parse(body: &Bytes, limits: &DecodeLimits) -> Result<Self, MediaError> {
        let mut d = amf0::Decoder::new(body, limits);
        let name = match d.next_value() {
            Some(Ok(v)) => v
                .as_amf_string()
                .cloned()
                .ok_or(MediaError::Invalid("video metadata name (not a string)"))?,
            Some(Err(e)) => return Err(e.into()),
            None => return Err(MediaError::Truncated("video metadata name")),
        };
        let value = match d.next_value() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(e.into()),
            None => return Err(MediaError::Truncated("video metadata value")),
        };
        Ok(VideoMetadata { name, value })
    }

    /// The AMF0 body.
    pub fn to_bytes(&self) -> Bytes {
        let mut out = BytesMut::new();
        amf0::encode(&Value::from(self.name.clone()), &mut out);
        amf0::encode(&self.value, &mut out);
        out.freeze()
    }
}
