//! Length-prefixed NAL units (AVCC/HVCC, what RTMP and MP4 carry) ↔ Annex B start codes
//! (what MPEG-TS, SRT, RTP depacketizers and raw `.h264` files expect).
//!
//! RTMP sends parameter sets once, in the sequence header; an Annex B consumer that joins
//! at a keyframe needs them in-band. [`to_annex_b`] therefore puts the parameter sets in
//! front of every keyframe access unit that does not already carry them, so each keyframe is
//! self-contained.

use bytes::{BufMut, Bytes, BytesMut};

use super::MediaError;
use super::avcc::AvcDecoderConfigurationRecord;
use super::hvcc::{HEVC_NAL_SPS, HevcDecoderConfigurationRecord};

/// The 4-byte Annex B start code.
pub const START_CODE: [u8; 4] = [0, 0, 0, 1];

/// Which NAL unit header layout to read NAL types from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NalCodec {
    /// H.264: type = low 5 bits of the first byte.
    Avc,
    /// H.265: type = bits 6-1 of the first byte.
    Hevc,
}

impl NalCodec {
    /// The NAL unit type of `nalu` (`None` when empty).
    pub fn nal_type(self, nalu: &[u8]) -> Option<u8> {
        let b = *nalu.first()?;
        Some(match self {
            NalCodec::Avc => b & 0x1f,
            NalCodec::Hevc => (b >> 1) & 0x3f,
        })
    }

    /// An IDR / IRAP picture: decoding can start here.
    pub fn is_random_access(self, nalu: &[u8]) -> bool {
        match (self, self.nal_type(nalu)) {
            (NalCodec::Avc, Some(5)) => true,
            (NalCodec::Hevc, Some(t)) => (16..=21).contains(&t),
            _ => false,
        }
    }

    /// A sequence parameter set.
    pub fn is_sps(self, nalu: &[u8]) -> bool {
        match self {
            NalCodec::Avc => self.nal_type(nalu) == Some(7),
            NalCodec::Hevc => self.nal_type(nalu) == Some(HEVC_NAL_SPS),
        }
    }
}

/// Iterator over length-prefixed NAL units, yielding zero-copy slices.
#[derive(Debug, Clone)]
pub struct LengthPrefixedNalus {
    data: Bytes,
    pos: usize,
    len_size: usize,
}

/// Splits length-prefixed data (`nal_length_size` of 1, 2 or 4 from the avcC/hvcC).
pub fn length_prefixed_nalus(data: Bytes, nal_length_size: u8) -> LengthPrefixedNalus {
    LengthPrefixedNalus {
        data,
        pos: 0,
        len_size: nal_length_size.into(),
    }
}

impl Iterator for LengthPrefixedNalus {
    type Item = Result<Bytes, MediaError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() {
            return None;
        }
        if !matches!(self.len_size, 1 | 2 | 4) {
            self.pos = self.data.len();
            return Some(Err(MediaError::Invalid(
                "NALU length size (must be 1, 2 or 4)",
            )));
        }
        let Some(prefix) = self.data.get(self.pos..self.pos + self.len_size) else {
            self.pos = self.data.len();
            return Some(Err(MediaError::Truncated("NALU length")));
        };
        let len = prefix.iter().fold(0usize, |a, b| a << 8 | usize::from(*b));
        let start = self.pos + self.len_size;
        if len > self.data.len() - start {
            self.pos = self.data.len();
            return Some(Err(MediaError::Truncated("NALU")));
        }
        self.pos = start + len;
        Some(Ok(self.data.slice(start..start + len)))
    }
}

/// Iterator over the NAL units of Annex B data, yielding zero-copy slices without start
/// codes or trailing zero bytes.
#[derive(Debug, Clone)]
pub struct AnnexBNalus {
    data: Bytes,
    pos: usize,
}

/// Splits Annex B data on 3- and 4-byte start codes. Bytes before the first start code
/// are returned as a NAL unit unless they are all zero (leading_zero_8bits).
pub fn annex_b_nalus(data: Bytes) -> AnnexBNalus {
    AnnexBNalus { data, pos: 0 }
}

/// Position of the next `00 00 01` at or after `from`: (start of the code, start of data).
fn find_start_code(d: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while i + 3 <= d.len() {
        if d[i + 2] > 1 {
            i += 3;
        } else if d[i] == 0 && d[i + 1] == 0 && d[i + 2] == 1 {
            return Some((i, i + 3));
        } else {
            i += 1;
        }
    }
    None
}

impl Iterator for AnnexBNalus {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        loop {
            if self.pos >= self.data.len() {
                return None;
            }
            let (end, next) = match find_start_code(&self.data, self.pos) {
                Some((code, data)) => (code, data),
                None => (self.data.len(), self.data.len()),
            };
            let mut stop = end;
            while stop > self.pos && self.data[stop - 1] == 0 {
                stop -= 1;
            }
            let start = self.pos;
            self.pos = next;
            if stop > start {
                return Some(self.data.slice(start..stop));
            }
        }
    }
}

/// Appends one access unit in Annex B form to `out`. When the access unit holds a random
/// access picture but no SPS, `parameter_sets` (VPS/SPS/PPS in order, from the sequence
/// header) go in front of it.
pub fn to_annex_b(
    data: Bytes,
    nal_length_size: u8,
    codec: NalCodec,
    parameter_sets: &[Bytes],
    out: &mut BytesMut,
) -> Result<(), MediaError> {
    let mut random_access = false;
    let mut has_sps = false;
    for n in length_prefixed_nalus(data.clone(), nal_length_size) {
        let n = n?;
        random_access |= codec.is_random_access(&n);
        has_sps |= codec.is_sps(&n);
    }
    out.reserve(data.len() + parameter_sets.iter().map(|p| p.len() + 4).sum::<usize>());
    if random_access && !has_sps {
        for p in parameter_sets {
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(p);
        }
    }
    for n in length_prefixed_nalus(data, nal_length_size) {
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(&n?);
    }
    Ok(())
}

/// Appends Annex B data in length-prefixed form (`nal_length_size` 1, 2 or 4) to `out`.
pub fn to_length_prefixed(
    data: Bytes,
    nal_length_size: u8,
    out: &mut BytesMut,
) -> Result<(), MediaError> {
    if !matches!(nal_length_size, 1 | 2 | 4) {
        return Err(MediaError::Invalid("NALU length size (must be 1, 2 or 4)"));
    }
    let max = if nal_length_size == 4 {
        u32::MAX as usize
    } else {
        (1usize << (8 * nal_length_size)) - 1
    };
    out.reserve(data.len());
    for n in annex_b_nalus(data) {
        if n.len() > max {
            return Err(MediaError::Invalid("NALU (too long for the length size)"));
        }
        out.put_uint(n.len() as u64, nal_length_size.into());
        out.extend_from_slice(&n);
    }
    Ok(())
}

impl AvcDecoderConfigurationRecord {
    /// SPS then PPS: what [`to_annex_b`] puts in front of a keyframe.
    pub fn parameter_sets(&self) -> Vec<Bytes> {
        self.sps.iter().chain(self.pps.iter()).cloned().collect()
    }

    /// The record as Annex B (SPS and PPS with start codes).
    pub fn to_annex_b(&self) -> Bytes {
        join_annex_b(&self.parameter_sets())
    }
}

impl HevcDecoderConfigurationRecord {
    /// VPS, SPS and PPS as Annex B.
    pub fn to_annex_b(&self) -> Bytes {
        join_annex_b(&self.parameter_sets())
    }
}

fn join_annex_b(sets: &[Bytes]) -> Bytes {
    let mut out = BytesMut::with_capacity(sets.iter().map(|s| s.len() + 4).sum());
    for s in sets {
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(s);
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyframe_gets_parameter_sets() {
        let sps = Bytes::from_static(&[0x67, 1, 2]);
        let pps = Bytes::from_static(&[0x68, 3]);
        // IDR slice of 3 bytes, 4-byte lengths.
        let idr = Bytes::from_static(&[0, 0, 0, 3, 0x65, 0xaa, 0xbb]);
        let mut out = BytesMut::new();
        to_annex_b(idr.clone(), 4, NalCodec::Avc, &[sps, pps], &mut out).unwrap();
        assert_eq!(
            &out[..],
            &[
                0, 0, 0, 1, 0x67, 1, 2, 0, 0, 0, 1, 0x68, 3, 0, 0, 0, 1, 0x65, 0xaa, 0xbb
            ]
        );
        // And back: the parameter sets stay in-band, the length prefixes return.
        let mut back = BytesMut::new();
        to_length_prefixed(out.freeze(), 4, &mut back).unwrap();
        assert_eq!(&back[back.len() - 7..], &idr[..]);
        assert_eq!(
            annex_b_nalus(back.freeze()).count(),
            1,
            "no start codes in length-prefixed output"
        );
        // A non-IDR frame is left alone.
        let mut out = BytesMut::new();
        to_annex_b(
            Bytes::from_static(&[0, 1, 0x41]),
            2,
            NalCodec::Avc,
            &[],
            &mut out,
        )
        .unwrap();
        assert_eq!(&out[..], &[0, 0, 0, 1, 0x41]);
    }

    #[test]
    fn annex_b_split_handles_three_byte_codes_and_trailing_zeros() {
        let data =
            Bytes::from_static(&[0, 0, 1, 9, 0xf0, 0, 0, 0, 0, 1, 0x65, 1, 0, 0, 0, 1, 0x41]);
        let v: Vec<Bytes> = annex_b_nalus(data).collect();
        assert_eq!(v, [&[9, 0xf0][..], &[0x65, 1], &[0x41]]);
        assert_eq!(
            length_prefixed_nalus(Bytes::from_static(&[0, 0, 0, 5, 1]), 4).next(),
            Some(Err(MediaError::Truncated("NALU")))
        );
    }
}
