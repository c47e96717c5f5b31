//! AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1): the H.264 sequence header of
//! legacy codec id 7 and of `avc1` SequenceStart.

use bytes::{BufMut, Bytes, BytesMut};

use super::MediaError;
use super::reader::Reader;

/// A parsed `avcC`. Parameter sets are zero-copy slices of the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvcDecoderConfigurationRecord {
    /// configurationVersion (1).
    pub version: u8,
    /// AVCProfileIndication (66 baseline, 77 main, 100 high, ...).
    pub profile: u8,
    /// profile_compatibility.
    pub compatibility: u8,
    /// AVCLevelIndication (e.g. 31 for level 3.1).
    pub level: u8,
    /// Bytes in each NALU length prefix of the coded frames: 1, 2 or 4.
    pub nal_length_size: u8,
    /// Sequence parameter sets (at most 31), without start codes.
    pub sps: Vec<Bytes>,
    /// Picture parameter sets (at most 255), without start codes.
    pub pps: Vec<Bytes>,
    /// Trailing bytes after the PPS (the high-profile chroma/bit-depth extension), kept
    /// verbatim.
    pub extension: Bytes,
}

impl AvcDecoderConfigurationRecord {
    /// Parses a record.
    pub fn parse(data: Bytes) -> Result<Self, MediaError> {
        let mut r = Reader::new(data);
        let version = r.u8("avcC version")?;
        let profile = r.u8("avcC profile")?;
        let compatibility = r.u8("avcC compatibility")?;
        let level = r.u8("avcC level")?;
        let nal_length_size = (r.u8("avcC length size")? & 0x03) + 1;
        if nal_length_size == 3 {
            return Err(MediaError::BadConfig("avcC NALU length size 3"));
        }
        let num_sps = r.u8("avcC SPS count")? & 0x1f;
        let sps = read_sets(&mut r, num_sps.into(), "avcC SPS")?;
        let num_pps = r.u8("avcC PPS count")?;
        let pps = read_sets(&mut r, num_pps.into(), "avcC PPS")?;
        Ok(AvcDecoderConfigurationRecord {
            version,
            profile,
            compatibility,
            level,
            nal_length_size,
            sps,
            pps,
            extension: r.rest(),
        })
    }

    /// A record for one SPS and one PPS (as an encoder produces them in Annex B), with
    /// 4-byte NALU lengths. Profile, compatibility and level come from the SPS.
    pub fn from_parameter_sets(sps: Bytes, pps: Bytes) -> Result<Self, MediaError> {
        let (profile, compatibility, level) = match sps.get(1..4) {
            Some(&[p, c, l]) => (p, c, l),
            _ => return Err(MediaError::BadConfig("SPS shorter than 4 bytes")),
        };
        Ok(AvcDecoderConfigurationRecord {
            version: 1,
            profile,
            compatibility,
            level,
            nal_length_size: 4,
            sps: vec![sps],
            pps: vec![pps],
            extension: Bytes::new(),
        })
    }

    /// Appends the record to `out` (reserved bits set to 1, as the spec says).
    pub fn write_to(&self, out: &mut BytesMut) -> Result<(), MediaError> {
        if !matches!(self.nal_length_size, 1 | 2 | 4) {
            return Err(MediaError::Invalid(
                "avcC NALU length size (must be 1, 2 or 4)",
            ));
        }
        if self.sps.len() > 31 || self.pps.len() > 255 {
            return Err(MediaError::Invalid("avcC parameter set count"));
        }
        out.put_u8(self.version);
        out.put_u8(self.profile);
        out.put_u8(self.compatibility);
        out.put_u8(self.level);
        out.put_u8(0xfc | (self.nal_length_size - 1));
        out.put_u8(0xe0 | self.sps.len() as u8);
        write_sets(out, &self.sps)?;
        out.put_u8(self.pps.len() as u8);
        write_sets(out, &self.pps)?;
        out.extend_from_slice(&self.extension);
        Ok(())
    }

    /// The record's bytes.
    pub fn to_bytes(&self) -> Result<Bytes, MediaError> {
        let mut out = BytesMut::new();
        self.write_to(&mut out)?;
        Ok(out.freeze())
    }
}

/// Reads `count` u16-length-prefixed NAL units.
pub(crate) fn read_sets(
    r: &mut Reader,
    count: usize,
    what: &'static str,
) -> Result<Vec<Bytes>, MediaError> {
    // Each entry takes at least its 2-byte length: bound the allocation by the input.
    if count.saturating_mul(2) > r.remaining() {
        return Err(MediaError::Truncated(what));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = r.u16(what)?;
        out.push(r.take(len.into(), what)?);
    }
    Ok(out)
}

pub(crate) fn write_sets(out: &mut BytesMut, sets: &[Bytes]) -> Result<(), MediaError> {
    for s in sets {
        let len = u16::try_from(s.len())
            .map_err(|_| MediaError::Invalid("parameter set (over 65535 bytes)"))?;
        out.put_u16(len);
        out.extend_from_slice(s);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer() {
        // Baseline 3.0, 4-byte lengths, one 4-byte SPS, one 2-byte PPS.
        let raw = Bytes::from_static(&[
            1, 66, 0xc0, 30, 0xff, 0xe1, 0, 4, 0x67, 66, 0xc0, 30, 1, 0, 2, 0x68, 0xce,
        ]);
        let rec = AvcDecoderConfigurationRecord::parse(raw.clone()).unwrap();
        assert_eq!((rec.profile, rec.level, rec.nal_length_size), (66, 30, 4));
        assert_eq!(rec.sps, [Bytes::from_static(&[0x67, 66, 0xc0, 30])]);
        assert_eq!(rec.pps, [Bytes::from_static(&[0x68, 0xce])]);
        assert_eq!(rec.to_bytes().unwrap(), raw);
        let built = AvcDecoderConfigurationRecord::from_parameter_sets(
            rec.sps[0].clone(),
            rec.pps[0].clone(),
        )
        .unwrap();
        assert_eq!(built, rec);
        assert!(AvcDecoderConfigurationRecord::parse(raw.slice(..10)).is_err());
    }
}
