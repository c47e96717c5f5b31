//! AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): the AAC sequence header of legacy sound
//! format 10 and of `mp4a` SequenceStart.
//!
//! The config is bit-packed and may continue with codec-specific fields we don't model, so
//! the parsed value is a view: the fields a bridge needs plus the original bytes, which
//! [`AudioSpecificConfig::as_bytes`] returns unchanged.

use bytes::Bytes;

use super::MediaError;

/// Sampling rates of the 4-bit samplingFrequencyIndex (13 and 14 reserved, 15 explicit).
pub const SAMPLE_RATES: [u32; 13] = [
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/// How the sampling rate is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SamplingFrequency {
    /// samplingFrequencyIndex 0..=14.
    Index(u8),
    /// Index 15 followed by a 24-bit rate.
    Explicit(u32),
}

impl SamplingFrequency {
    /// The rate in Hz (`None` for a reserved index).
    pub fn hz(self) -> Option<u32> {
        match self {
            SamplingFrequency::Index(i) => SAMPLE_RATES.get(usize::from(i)).copied(),
            SamplingFrequency::Explicit(hz) => Some(hz),
        }
    }

    /// The index form when the rate has one, else the explicit form.
    pub fn from_hz(hz: u32) -> Self {
        match SAMPLE_RATES.iter().position(|r| *r == hz) {
            Some(i) => SamplingFrequency::Index(i as u8),
            None => SamplingFrequency::Explicit(hz),
        }
    }
}

/// A parsed AudioSpecificConfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioSpecificConfig {
    /// audioObjectType (2 = AAC LC, 5 = SBR, 29 = PS; 32..=95 through the escape value 31).
    pub object_type: u8,
    /// Sampling rate.
    pub sampling: SamplingFrequency,
    /// channelConfiguration (0 = in the program config element, 1..=6 as is, 7 = 8 ch).
    pub channel_config: u8,
    raw: Bytes,
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn read(&mut self, n: usize) -> Result<u32, MediaError> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self
                .data
                .get(self.pos / 8)
                .ok_or(MediaError::Truncated("AudioSpecificConfig"))?;
            v = v << 1 | u32::from(byte >> (7 - self.pos % 8) & 1);
            self.pos += 1;
        }
        Ok(v)
    }
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    bits: usize,
}

impl BitWriter {
    fn put(&mut self, v: u32, n: usize) {
        for i in (0..n).rev() {
            if self.bits.is_multiple_of(8) {
                self.out.push(0);
            }
            let bit = (v >> i & 1) as u8;
            if let Some(last) = self.out.last_mut() {
                *last |= bit << (7 - self.bits % 8);
            }
            self.bits += 1;
        }
    }
}

impl AudioSpecificConfig {
    /// Parses the leading fields; the whole of `data` is kept for [`Self::as_bytes`].
    pub fn parse(data: Bytes) -> Result<Self, MediaError> {
        let mut b = Bits {
            data: &data,
            pos: 0,
        };
        let mut object_type = b.read(5)? as u8;
        if object_type == 31 {
            object_type = 32 + b.read(6)? as u8;
        }
        let index = b.read(4)? as u8;
        let sampling = if index == 15 {
            SamplingFrequency::Explicit(b.read(24)?)
        } else {
            SamplingFrequency::Index(index)
        };
        let channel_config = b.read(4)? as u8;
        Ok(AudioSpecificConfig {
            object_type,
            sampling,
            channel_config,
            raw: data,
        })
    }

    /// A minimal config: the three fields, then a GASpecificConfig of zeros (1024-sample
    /// frames, no core coder, no extension), byte-aligned.
    pub fn new(
        object_type: u8,
        sampling: SamplingFrequency,
        channel_config: u8,
    ) -> Result<Self, MediaError> {
        // 31 is the escape value itself: escaped types start at 32.
        if matches!(object_type, 0 | 31) || object_type > 95 || channel_config > 15 {
            return Err(MediaError::Invalid(
                "AudioSpecificConfig field out of range",
            ));
        }
        let mut w = BitWriter::default();
        if object_type >= 31 {
            w.put(31, 5);
            w.put(u32::from(object_type - 32), 6);
        } else {
            w.put(object_type.into(), 5);
        }
        match sampling {
            SamplingFrequency::Index(i) if i < 15 => w.put(i.into(), 4),
            SamplingFrequency::Explicit(hz) if hz < 1 << 24 => {
                w.put(15, 4);
                w.put(hz, 24);
            }
            _ => {
                return Err(MediaError::Invalid(
                    "AudioSpecificConfig sampling frequency",
                ));
            }
        }
        w.put(channel_config.into(), 4);
        w.put(0, 3);
        Ok(AudioSpecificConfig {
            object_type,
            sampling,
            channel_config,
            raw: Bytes::from(w.out),
        })
    }

    /// The config's bytes (the parsed input unchanged, or what [`Self::new`] built).
    pub fn as_bytes(&self) -> &Bytes {
        &self.raw
    }

    /// Sampling rate in Hz (`None` for a reserved index).
    pub fn sample_rate(&self) -> Option<u32> {
        self.sampling.hz()
    }

    /// Channel count from the channel configuration (`None` for 0: described in-band).
    pub fn channels(&self) -> Option<u8> {
        match self.channel_config {
            1..=6 => Some(self.channel_config),
            7 => Some(8),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        // 0x12 0x10: AAC LC (2), 44100 Hz (index 4), stereo (2).
        let asc = AudioSpecificConfig::parse(Bytes::from_static(&[0x12, 0x10])).unwrap();
        assert_eq!(
            (asc.object_type, asc.sample_rate(), asc.channels()),
            (2, Some(44100), Some(2))
        );
        assert_eq!(
            AudioSpecificConfig::new(2, SamplingFrequency::Index(4), 2)
                .unwrap()
                .as_bytes()[..],
            [0x12, 0x10]
        );
        // Explicit 50 kHz, mono: 00010 1111 <24 bits 50000> 0001 000.
        let built = AudioSpecificConfig::new(2, SamplingFrequency::from_hz(50_000), 1).unwrap();
        let again = AudioSpecificConfig::parse(built.as_bytes().clone()).unwrap();
        assert_eq!(again.sampling, SamplingFrequency::Explicit(50_000));
        assert_eq!(again, built);
        // Escaped object type 42 (USAC) = 31, then 10.
        let usac = AudioSpecificConfig::new(42, SamplingFrequency::Index(3), 2).unwrap();
        assert_eq!(
            AudioSpecificConfig::parse(usac.as_bytes().clone())
                .unwrap()
                .object_type,
            42
        );
        assert!(AudioSpecificConfig::parse(Bytes::from_static(&[0x12])).is_err());
    }
}
