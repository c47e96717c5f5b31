//! Raw AAC (what RTMP carries, configured once by the AudioSpecificConfig) ↔ ADTS (a 7-byte
//! header on every frame, what MPEG-TS, HLS and `.aac` files expect).

use bytes::{Bytes, BytesMut};

use super::MediaError;
use super::asc::{AudioSpecificConfig, SamplingFrequency};

/// Length of an ADTS header without CRC.
pub const ADTS_HEADER_LEN: usize = 7;

/// The fields of one ADTS header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdtsHeader {
    /// MPEG-4 audio object type (profile + 1): 1..=4.
    pub object_type: u8,
    /// samplingFrequencyIndex (0..=12).
    pub sampling_index: u8,
    /// channelConfiguration (0..=7).
    pub channel_config: u8,
    /// Header length: 7, or 9 with CRC.
    pub header_len: usize,
    /// Whole frame length, header included.
    pub frame_len: usize,
}

impl AdtsHeader {
    /// The header for a raw frame of `payload_len` bytes under `asc`. ADTS can only say
    /// object types 1-4 and indexed rates; anything else is an error.
    pub fn for_frame(asc: &AudioSpecificConfig, payload_len: usize) -> Result<Self, MediaError> {
        let sampling_index = match asc.sampling {
            SamplingFrequency::Index(i) if i < 13 => i,
            _ => {
                return Err(MediaError::Invalid(
                    "ADTS sampling rate (needs an indexed rate)",
                ));
            }
        };
        if !(1..=4).contains(&asc.object_type) || asc.channel_config > 7 {
            return Err(MediaError::Invalid(
                "ADTS object type or channel configuration",
            ));
        }
        let frame_len = payload_len + ADTS_HEADER_LEN;
        if frame_len > 0x1fff {
            return Err(MediaError::Invalid("ADTS frame (over 8191 bytes)"));
        }
        Ok(AdtsHeader {
            object_type: asc.object_type,
            sampling_index,
            channel_config: asc.channel_config,
            header_len: ADTS_HEADER_LEN,
            frame_len,
        })
    }

    /// The 7-byte header (no CRC; buffer fullness 0x7FF = VBR; one raw data block).
    pub fn to_bytes(&self) -> [u8; ADTS_HEADER_LEN] {
        let len = self.frame_len as u32;
        let profile = self.object_type.wrapping_sub(1) & 3;
        [
            0xff,
            0xf1,
            profile << 6 | (self.sampling_index & 0x0f) << 2 | (self.channel_config >> 2 & 1),
            (self.channel_config & 3) << 6 | ((len >> 11) & 3) as u8,
            (len >> 3) as u8,
            ((len & 7) as u8) << 5 | 0x1f,
            0xfc,
        ]
    }

    /// Parses a header at the start of `data`.
    pub fn parse(data: &[u8]) -> Result<Self, MediaError> {
        let h = data
            .get(..ADTS_HEADER_LEN)
            .ok_or(MediaError::Truncated("ADTS header"))?;
        if h[0] != 0xff || h[1] & 0xf6 != 0xf0 {
            return Err(MediaError::BadConfig("ADTS sync word"));
        }
        let header_len = if h[1] & 1 == 0 { 9 } else { 7 };
        let frame_len =
            usize::from(h[3] & 3) << 11 | usize::from(h[4]) << 3 | usize::from(h[5] >> 5);
        if frame_len < header_len {
            return Err(MediaError::BadConfig(
                "ADTS frame length shorter than its header",
            ));
        }
        let sampling_index = (h[2] >> 2) & 0x0f;
        if sampling_index >= 13 {
            return Err(MediaError::BadConfig("ADTS sampling frequency index"));
        }
        Ok(AdtsHeader {
            object_type: (h[2] >> 6) + 1,
            sampling_index,
            channel_config: (h[2] & 1) << 2 | h[3] >> 6,
            header_len,
            frame_len,
        })
    }

    /// The AudioSpecificConfig to send as the RTMP sequence header for this stream.
    pub fn audio_specific_config(&self) -> Result<AudioSpecificConfig, MediaError> {
        AudioSpecificConfig::new(
            self.object_type,
            SamplingFrequency::Index(self.sampling_index),
            self.channel_config,
        )
    }
}

/// Appends `raw` (one raw AAC frame) with its ADTS header to `out`.
pub fn to_adts(
    asc: &AudioSpecificConfig,
    raw: &[u8],
    out: &mut BytesMut,
) -> Result<(), MediaError> {
    let header = AdtsHeader::for_frame(asc, raw.len())?;
    out.reserve(header.frame_len);
    out.extend_from_slice(&header.to_bytes());
    out.extend_from_slice(raw);
    Ok(())
}

/// Iterator over the frames of an ADTS stream: each header and its raw frame (a zero-copy
/// slice without the header and CRC).
#[derive(Debug, Clone)]
pub struct AdtsFrames {
    data: Bytes,
    pos: usize,
}

/// Splits ADTS data into frames.
pub fn adts_frames(data: Bytes) -> AdtsFrames {
    AdtsFrames { data, pos: 0 }
}

impl Iterator for AdtsFrames {
    type Item = Result<(AdtsHeader, Bytes), MediaError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.get(self.pos..).filter(|r| !r.is_empty())?;
        let item = AdtsHeader::parse(rest).and_then(|h| {
            if h.frame_len > rest.len() {
                return Err(MediaError::Truncated("ADTS frame"));
            }
            let raw = self
                .data
                .slice(self.pos + h.header_len..self.pos + h.frame_len);
            Ok((h, raw))
        });
        match &item {
            Ok((h, _)) => self.pos += h.frame_len,
            Err(_) => self.pos = self.data.len(),
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_header() {
        // AAC LC, 44.1 kHz, stereo, 10-byte frame (3 payload bytes).
        let asc = AudioSpecificConfig::parse(Bytes::from_static(&[0x12, 0x10])).unwrap();
        let mut out = BytesMut::new();
        to_adts(&asc, &[1, 2, 3], &mut out).unwrap();
        assert_eq!(
            &out[..],
            &[0xff, 0xf1, 0x50, 0x80, 0x01, 0x5f, 0xfc, 1, 2, 3]
        );
        let frames: Vec<_> = adts_frames(out.freeze()).collect::<Result<_, _>>().unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].1, Bytes::from_static(&[1, 2, 3]));
        assert_eq!(frames[0].0.audio_specific_config().unwrap(), asc);
        assert!(
            adts_frames(Bytes::from_static(&[
                0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc
            ]))
            .next()
            .unwrap()
            .is_err()
        );
    }
}
