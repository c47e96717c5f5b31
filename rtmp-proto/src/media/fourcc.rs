//! FourCC codec identifiers of Enhanced RTMP (RTMP-NOTES items 20 and 23).
//!
//! [`FourCc`] is any four bytes (capability maps may name codecs we don't know, or `"*"`);
//! [`VideoFourCc`] and [`AudioFourCc`] are the codecs this crate parses. Converting an
//! unknown FourCC gives [`MediaError::UnknownFourCc`], which fails only that message.

use std::fmt;

use super::MediaError;

/// Four raw bytes naming a codec, as sent on the wire (big-endian when read as a number).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FourCc(pub [u8; 4]);

impl FourCc {
    /// The FourCC as the big-endian number E-RTMP packs into doubles (`"hvc1"` = 0x68766331).
    pub const fn to_u32(self) -> u32 {
        u32::from_be_bytes(self.0)
    }

    /// Inverse of [`FourCc::to_u32`].
    pub const fn from_u32(v: u32) -> Self {
        FourCc(v.to_be_bytes())
    }

    /// The four bytes of an ASCII string of exactly four bytes (as in `fourCcList`).
    pub fn from_str_exact(s: &str) -> Option<Self> {
        <[u8; 4]>::try_from(s.as_bytes()).ok().map(FourCc)
    }

    /// The FourCC as text when all four bytes are printable ASCII.
    pub fn as_str(&self) -> Option<&str> {
        if self.0.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
            std::str::from_utf8(&self.0).ok()
        } else {
            None
        }
    }
}

impl fmt::Debug for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => write!(f, "FourCc({s:?})"),
            None => write!(f, "FourCc({:#010x})", self.to_u32()),
        }
    }
}

impl fmt::Display for FourCc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.as_str() {
            Some(s) => f.write_str(s),
            None => write!(f, "{:#010x}", self.to_u32()),
        }
    }
}

macro_rules! fourcc_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $bytes:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every codec of this kind, in spec order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The wire FourCC.
            pub const fn fourcc(self) -> FourCc {
                match self {
                    $($name::$variant => FourCc(*$bytes),)*
                }
            }

            /// The codec for a wire FourCC, or [`MediaError::UnknownFourCc`].
            pub fn from_fourcc(cc: FourCc) -> Result<Self, MediaError> {
                match &cc.0 {
                    $($bytes => Ok($name::$variant),)*
                    _ => Err(MediaError::UnknownFourCc(cc.0)),
                }
            }
        }

        impl From<$name> for FourCc {
            fn from(c: $name) -> FourCc {
                c.fourcc()
            }
        }
    };
}

fourcc_enum! {
    /// Video codecs of the ExVideoTagHeader.
    VideoFourCc {
        /// H.264 / AVC.
        Avc1 = b"avc1",
        /// H.265 / HEVC.
        Hvc1 = b"hvc1",
        /// H.266 / VVC.
        Vvc1 = b"vvc1",
        /// AV1.
        Av01 = b"av01",
        /// VP8.
        Vp08 = b"vp08",
        /// VP9.
        Vp09 = b"vp09",
    }
}

fourcc_enum! {
    /// Audio codecs of the ExAudioTagHeader.
    AudioFourCc {
        /// AAC (ISO/IEC 14496-3).
        Mp4a = b"mp4a",
        /// Opus.
        Opus = b"Opus",
        /// FLAC.
        Flac = b"fLaC",
        /// AC-3.
        Ac3 = b"ac-3",
        /// E-AC-3.
        Eac3 = b"ec-3",
        /// MP3.
        Mp3 = b".mp3",
    }
}

impl VideoFourCc {
    /// Whether CodedFrames of this codec carry an SI24 composition time offset (item 20):
    /// the codecs with B-frame reordering in an MP4-style sample (avc1, hvc1, vvc1).
    pub const fn has_composition_time(self) -> bool {
        matches!(
            self,
            VideoFourCc::Avc1 | VideoFourCc::Hvc1 | VideoFourCc::Vvc1
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_26_fourcc_as_number() {
        assert_eq!(VideoFourCc::Hvc1.fourcc().to_u32(), 0x6876_6331);
        assert_eq!(FourCc::from_u32(0x6876_6331), FourCc(*b"hvc1"));
    }

    #[test]
    fn item_27_unknown_fourcc_is_typed_error() {
        assert_eq!(
            VideoFourCc::from_fourcc(FourCc(*b"xyz1")),
            Err(MediaError::UnknownFourCc(*b"xyz1"))
        );
        assert_eq!(
            AudioFourCc::from_fourcc(FourCc(*b"fLaC")),
            Ok(AudioFourCc::Flac)
        );
        for c in AudioFourCc::ALL {
            assert_eq!(AudioFourCc::from_fourcc(c.fourcc()), Ok(*c));
        }
        for c in VideoFourCc::ALL {
            assert_eq!(VideoFourCc::from_fourcc(c.fourcc()), Ok(*c));
        }
    }

    #[test]
    fn display_and_debug() {
        assert_eq!(FourCc(*b".mp3").to_string(), ".mp3");
        assert_eq!(format!("{:?}", FourCc([0, 1, 2, 3])), "FourCc(0x00010203)");
    }
}
