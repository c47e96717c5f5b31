//! AMF0 versus AMF3 message types for commands and data (NOTES 9).
//!
//! The AMF3 types (15 data, 16 shared object, 17 command) are not AMF3 bodies: they are a
//! format byte (0) followed by an AMF0 body whose values may switch to AMF3 with marker
//! 0x11. So both kinds decode with the AMF0 decoder once the format byte is off.

use bytes::{BufMut, Bytes, BytesMut};

/// Which of the two message types carries a command or data message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Encoding {
    /// Types 20 (command) and 18 (data): a plain AMF0 body.
    #[default]
    Amf0,
    /// Types 17 (command) and 15 (data): format byte 0, then the AMF0 body.
    Amf3,
}

impl Encoding {
    /// The AMF0 body of a payload of this encoding.
    ///
    /// For AMF3 types a leading 0 byte is the format byte and is skipped. Any other first
    /// byte means a peer left the format byte out; the body then starts right away. That is
    /// unambiguous: commands and data start with a name string (marker 0x02, or 0x11 for an
    /// AMF3 string), never with an AMF0 number (marker 0x00).
    pub fn body(self, payload: &Bytes) -> Bytes {
        match (self, payload.first()) {
            (Encoding::Amf3, Some(0)) => payload.slice(1..),
            _ => payload.clone(),
        }
    }

    /// Writes what precedes the AMF0 body: the format byte for AMF3 types, nothing for AMF0.
    pub fn write_prefix(self, out: &mut BytesMut) {
        if self == Encoding::Amf3 {
            out.put_u8(0);
        }
    }
}
