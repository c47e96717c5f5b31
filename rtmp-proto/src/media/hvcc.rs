//! HEVCDecoderConfigurationRecord (ISO/IEC 14496-15 8.3.3.1): the H.265 sequence header of
//! `hvc1` SequenceStart (and of the non-standard legacy codec id 12).

use bytes::{BufMut, Bytes, BytesMut};

use super::MediaError;
use super::avcc::{read_sets, write_sets};
use super::reader::Reader;

/// HEVC NAL unit type of a video parameter set.
pub const HEVC_NAL_VPS: u8 = 32;
/// HEVC NAL unit type of a sequence parameter set.
pub const HEVC_NAL_SPS: u8 = 33;
/// HEVC NAL unit type of a picture parameter set.
pub const HEVC_NAL_PPS: u8 = 34;

/// A parsed `hvcC`. Reserved bits are not kept: they are written as 1s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HevcDecoderConfigurationRecord {
    /// configurationVersion (1).
    pub version: u8,
    /// general_profile_space (2 bits).
    pub profile_space: u8,
    /// general_tier_flag.
    pub tier: bool,
    /// general_profile_idc (5 bits): 1 Main, 2 Main 10, ...
    pub profile_idc: u8,
    /// general_profile_compatibility_flags.
    pub profile_compatibility: u32,
    /// general_constraint_indicator_flags (48 bits).
    pub constraint_flags: u64,
    /// general_level_idc (30 × level, e.g. 93 = 3.1).
    pub level_idc: u8,
    /// min_spatial_segmentation_idc (12 bits).
    pub min_spatial_segmentation: u16,
    /// parallelismType (2 bits).
    pub parallelism_type: u8,
    /// chromaFormat (2 bits; 1 = 4:2:0).
    pub chroma_format: u8,
    /// bitDepthLumaMinus8 (3 bits).
    pub bit_depth_luma_minus8: u8,
    /// bitDepthChromaMinus8 (3 bits).
    pub bit_depth_chroma_minus8: u8,
    /// avgFrameRate (frames per 256 s).
    pub avg_frame_rate: u16,
    /// constantFrameRate (2 bits).
    pub constant_frame_rate: u8,
    /// numTemporalLayers (3 bits).
    pub num_temporal_layers: u8,
    /// temporalIdNested.
    pub temporal_id_nested: bool,
    /// Bytes in each NALU length prefix: 1, 2 or 4.
    pub nal_length_size: u8,
    /// The NAL unit arrays (VPS, SPS, PPS, SEI...).
    pub arrays: Vec<HvccArray>,
}

/// One array of NAL units of the same type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HvccArray {
    /// array_completeness: all NALUs of this type are in the array.
    pub complete: bool,
    /// NAL_unit_type (6 bits).
    pub nal_type: u8,
    /// The NAL units, without start codes.
    pub nalus: Vec<Bytes>,
}

impl HevcDecoderConfigurationRecord {
    /// Parses a record.
    pub fn parse(data: Bytes) -> Result<Self, MediaError> {
        let mut r = Reader::new(data);
        let version = r.u8("hvcC version")?;
        let b = r.u8("hvcC profile")?;
        let profile_compatibility = r.u32("hvcC compatibility")?;
        let hi = r.u16("hvcC constraints")?;
        let lo = r.u32("hvcC constraints")?;
        let level_idc = r.u8("hvcC level")?;
        let min_spatial_segmentation = r.u16("hvcC segmentation")? & 0x0fff;
        let parallelism_type = r.u8("hvcC parallelism")? & 0x03;
        let chroma_format = r.u8("hvcC chroma")? & 0x03;
        let bit_depth_luma_minus8 = r.u8("hvcC luma depth")? & 0x07;
        let bit_depth_chroma_minus8 = r.u8("hvcC chroma depth")? & 0x07;
        let avg_frame_rate = r.u16("hvcC frame rate")?;
        let f = r.u8("hvcC flags")?;
        let nal_length_size = (f & 0x03) + 1;
        if nal_length_size == 3 {
            return Err(MediaError::BadConfig("hvcC NALU length size 3"));
        }
        let num_arrays = r.u8("hvcC array count")?;
        let mut arrays = Vec::new();
        for _ in 0..num_arrays {
            let a = r.u8("hvcC array")?;
            let n = r.u16("hvcC NALU count")?;
            arrays.push(HvccArray {
                complete: a & 0x80 != 0,
                nal_type: a & 0x3f,
                nalus: read_sets(&mut r, n.into(), "hvcC NALU")?,
            });
        }
        Ok(HevcDecoderConfigurationRecord {
            version,
            profile_space: b >> 6,
            tier: b & 0x20 != 0,
            profile_idc: b & 0x1f,
            profile_compatibility,
            constraint_flags: u64::from(hi) << 32 | u64::from(lo),
            level_idc,
            min_spatial_segmentation,
            parallelism_type,
            chroma_format,
            bit_depth_luma_minus8,
            bit_depth_chroma_minus8,
            avg_frame_rate,
            constant_frame_rate: f >> 6,
            num_temporal_layers: (f >> 3) & 0x07,
            temporal_id_nested: f & 0x04 != 0,
            nal_length_size,
            arrays,
        })
    }

    /// Appends the record to `out`.
    pub fn write_to(&self, out: &mut BytesMut) -> Result<(), MediaError> {
        if !matches!(self.nal_length_size, 1 | 2 | 4) {
            return Err(MediaError::Invalid(
                "hvcC NALU length size (must be 1, 2 or 4)",
            ));
        }
        if self.arrays.len() > 255 || self.constraint_flags >> 48 != 0 {
            return Err(MediaError::Invalid("hvcC field out of range"));
        }
        out.put_u8(self.version);
        out.put_u8(
            (self.profile_space & 3) << 6 | u8::from(self.tier) << 5 | (self.profile_idc & 0x1f),
        );
        out.put_u32(self.profile_compatibility);
        out.put_u16((self.constraint_flags >> 32) as u16);
        out.put_u32(self.constraint_flags as u32);
        out.put_u8(self.level_idc);
        out.put_u16(0xf000 | (self.min_spatial_segmentation & 0x0fff));
        out.put_u8(0xfc | (self.parallelism_type & 3));
        out.put_u8(0xfc | (self.chroma_format & 3));
        out.put_u8(0xf8 | (self.bit_depth_luma_minus8 & 7));
        out.put_u8(0xf8 | (self.bit_depth_chroma_minus8 & 7));
        out.put_u16(self.avg_frame_rate);
        out.put_u8(
            (self.constant_frame_rate & 3) << 6
                | (self.num_temporal_layers & 7) << 3
                | u8::from(self.temporal_id_nested) << 2
                | (self.nal_length_size - 1),
        );
        out.put_u8(self.arrays.len() as u8);
        for a in &self.arrays {
            let n =
                u16::try_from(a.nalus.len()).map_err(|_| MediaError::Invalid("hvcC NALU count"))?;
            out.put_u8(u8::from(a.complete) << 7 | (a.nal_type & 0x3f));
            out.put_u16(n);
            write_sets(out, &a.nalus)?;
        }
        Ok(())
    }

    /// The record's bytes.
    pub fn to_bytes(&self) -> Result<Bytes, MediaError> {
        let mut out = BytesMut::new();
        self.write_to(&mut out)?;
        Ok(out.freeze())
    }

    /// NAL units of one type, in array order.
    pub fn nalus_of_type(&self, nal_type: u8) -> impl Iterator<Item = &Bytes> {
        self.arrays
            .iter()
            .filter(move |a| a.nal_type == nal_type)
            .flat_map(|a| a.nalus.iter())
    }

    /// A record for one VPS, SPS and PPS (as an encoder produces them in Annex B), with
    /// 4-byte NALU lengths. Profile, tier, level, chroma format, bit depths and temporal
    /// layering are read from the SPS; the fields that need the VUI or PPS
    /// (min_spatial_segmentation, parallelismType, frame rates) are left at 0, "unknown".
    pub fn from_parameter_sets(vps: Bytes, sps: Bytes, pps: Bytes) -> Result<Self, MediaError> {
        let info = SpsInfo::parse(&sps)?;
        let array = |nal_type, nalu| HvccArray {
            complete: true,
            nal_type,
            nalus: vec![nalu],
        };
        Ok(HevcDecoderConfigurationRecord {
            version: 1,
            profile_space: info.ptl[0] >> 6,
            tier: info.ptl[0] & 0x20 != 0,
            profile_idc: info.ptl[0] & 0x1f,
            profile_compatibility: u32::from_be_bytes([
                info.ptl[1],
                info.ptl[2],
                info.ptl[3],
                info.ptl[4],
            ]),
            constraint_flags: info.ptl[5..11]
                .iter()
                .fold(0u64, |a, b| a << 8 | u64::from(*b)),
            level_idc: info.ptl[11],
            min_spatial_segmentation: 0,
            parallelism_type: 0,
            chroma_format: info.chroma_format,
            bit_depth_luma_minus8: info.bit_depth_luma_minus8,
            bit_depth_chroma_minus8: info.bit_depth_chroma_minus8,
            avg_frame_rate: 0,
            constant_frame_rate: 0,
            num_temporal_layers: info.max_sub_layers_minus1 + 1,
            temporal_id_nested: info.temporal_id_nesting,
            nal_length_size: 4,
            arrays: vec![
                array(HEVC_NAL_VPS, vps),
                array(HEVC_NAL_SPS, sps),
                array(HEVC_NAL_PPS, pps),
            ],
        })
    }

    /// VPS, SPS and PPS in that order: what a keyframe needs in front of it in Annex B.
    pub fn parameter_sets(&self) -> Vec<Bytes> {
        [HEVC_NAL_VPS, HEVC_NAL_SPS, HEVC_NAL_PPS]
            .iter()
            .flat_map(|t| self.nalus_of_type(*t).cloned())
            .collect()
    }
}

/// The SPS fields an hvcC repeats (H.265 7.3.2.2).
struct SpsInfo {
    max_sub_layers_minus1: u8,
    temporal_id_nesting: bool,
    /// general_profile_space .. general_level_idc: 12 bytes.
    ptl: [u8; 12],
    chroma_format: u8,
    bit_depth_luma_minus8: u8,
    bit_depth_chroma_minus8: u8,
}

/// Bit reader over an RBSP (emulation prevention bytes already removed).
struct RbspBits {
    data: Vec<u8>,
    pos: usize,
}

impl RbspBits {
    fn bit(&mut self) -> Result<u32, MediaError> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or(MediaError::Truncated("HEVC SPS"))?;
        let b = u32::from(byte >> (7 - self.pos % 8) & 1);
        self.pos += 1;
        Ok(b)
    }

    fn bits(&mut self, n: usize) -> Result<u32, MediaError> {
        (0..n).try_fold(0u32, |a, _| Ok(a << 1 | self.bit()?))
    }

    fn skip(&mut self, n: usize) -> Result<(), MediaError> {
        if self.pos.saturating_add(n) > self.data.len() * 8 {
            return Err(MediaError::Truncated("HEVC SPS"));
        }
        self.pos += n;
        Ok(())
    }

    /// Exp-Golomb ue(v), up to 31 leading zeros.
    fn ue(&mut self) -> Result<u32, MediaError> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return Err(MediaError::BadConfig("HEVC SPS Exp-Golomb code"));
            }
        }
        Ok(((1u64 << zeros) - 1 + u64::from(self.bits(zeros)?)) as u32)
    }
}

impl SpsInfo {
    fn parse(sps: &[u8]) -> Result<Self, MediaError> {
        // Drop the 2-byte NAL header and the emulation prevention bytes (00 00 03).
        let payload = sps.get(2..).ok_or(MediaError::Truncated("HEVC SPS"))?;
        let mut data = Vec::with_capacity(payload.len());
        let mut zeros = 0;
        for &b in payload {
            if zeros >= 2 && b == 3 {
                zeros = 0;
                continue;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            data.push(b);
        }
        let mut r = RbspBits { data, pos: 0 };
        r.skip(4)?; // sps_video_parameter_set_id
        let max_sub_layers_minus1 = r.bits(3)? as u8;
        let temporal_id_nesting = r.bit()? == 1;
        let mut ptl = [0u8; 12];
        for b in &mut ptl {
            *b = r.bits(8)? as u8;
        }
        let sub = usize::from(max_sub_layers_minus1);
        let mut present = Vec::with_capacity(sub);
        for _ in 0..sub {
            present.push((r.bit()? == 1, r.bit()? == 1));
        }
        if sub > 0 {
            r.skip(2 * (8 - sub))?;
        }
        for (profile, level) in present {
            if profile {
                r.skip(88)?;
            }
            if level {
                r.skip(8)?;
            }
        }
        r.ue()?; // sps_seq_parameter_set_id
        let chroma_format = r.ue()?;
        if chroma_format > 3 {
            return Err(MediaError::BadConfig("HEVC SPS chroma_format_idc"));
        }
        if chroma_format == 3 {
            r.skip(1)?; // separate_colour_plane_flag
        }
        r.ue()?; // pic_width_in_luma_samples
        r.ue()?; // pic_height_in_luma_samples
        if r.bit()? == 1 {
            for _ in 0..4 {
                r.ue()?; // conformance window offsets
            }
        }
        let luma = r.ue()?;
        let chroma = r.ue()?;
        if luma > 7 || chroma > 7 {
            return Err(MediaError::BadConfig("HEVC SPS bit depth"));
        }
        Ok(SpsInfo {
            max_sub_layers_minus1,
            temporal_id_nesting,
            ptl,
            chroma_format: chroma_format as u8,
            bit_depth_luma_minus8: luma as u8,
            bit_depth_chroma_minus8: chroma as u8,
        })
    }
}
