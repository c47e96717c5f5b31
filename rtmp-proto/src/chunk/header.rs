//! Byte layouts of the chunk headers (RTMP 1.0 §5.3.1, RTMP-NOTES items 1-3).
//!
//! A chunk starts with a basic header (format + chunk stream id, 1 to 3 bytes), then a
//! message header whose size depends on the format (11, 7, 3 or 0 bytes), then an optional
//! 4-byte extended timestamp. These helpers only read and write bytes; what the fields mean
//! for the chunk stream state lives in the decoder and the encoder.

/// Lowest chunk stream id a message can use (0 and 1 mark the longer basic header forms).
pub const MIN_CSID: u32 = 2;
/// Highest chunk stream id the 3-byte basic header can carry.
pub const MAX_CSID: u32 = 65599;
/// Chunk size both directions start with, until a Set Chunk Size says otherwise.
pub const DEFAULT_CHUNK_SIZE: u32 = 128;
/// Largest chunk size Set Chunk Size can announce: 31 bits, the top bit must be clear.
pub const MAX_CHUNK_SIZE: u32 = 0x7FFF_FFFF;
/// Largest message length the 24-bit length field can carry.
pub const MAX_WIRE_MESSAGE_LEN: u32 = 0xFF_FFFF;

/// The 24-bit timestamp value that says "the real value is in the extended timestamp".
pub(crate) const EXTENDED_TIMESTAMP: u32 = 0xFF_FFFF;
/// Longest header a chunk can have: 3-byte basic + 11-byte message header + 4-byte extended.
pub(crate) const MAX_HEADER_LEN: usize = 3 + 11 + 4;

/// A chunk header built on the stack, copied out in one piece (or not at all: see
/// [`one_byte_header`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeaderBytes {
    buf: [u8; MAX_HEADER_LEN],
    len: usize,
}

impl HeaderBytes {
    pub fn new() -> Self {
        HeaderBytes {
            buf: [0; MAX_HEADER_LEN],
            len: 0,
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Appends `bytes`. The writers below never exceed [`MAX_HEADER_LEN`] for one header.
    fn put(&mut self, bytes: &[u8]) {
        let end = self.len + bytes.len();
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(bytes);
            self.len = end;
        } else {
            debug_assert!(false, "chunk header longer than {MAX_HEADER_LEN} bytes");
        }
    }
}

/// Every byte value, so any 1-byte header can be a `Bytes::from_static` slice: the
/// continuation chunks of a message on csid 2..=63 cost no allocation and no reference count.
static ALL_BYTES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i as u8;
        i += 1;
    }
    t
};

/// A static one-byte `Bytes` holding `b`.
pub(crate) fn one_byte_header(b: u8) -> bytes::Bytes {
    let i = usize::from(b);
    bytes::Bytes::from_static(ALL_BYTES.get(i..=i).unwrap_or_default())
}

/// The four message header formats.
pub(crate) const FMT_FULL: u8 = 0;
pub(crate) const FMT_NO_STREAM: u8 = 1;
pub(crate) const FMT_DELTA_ONLY: u8 = 2;
pub(crate) const FMT_CONTINUE: u8 = 3;

/// A parsed basic header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BasicHeader {
    pub fmt: u8,
    pub csid: u32,
    /// How many bytes it took on the wire (1, 2 or 3).
    pub len: usize,
}

/// Reads a basic header from the front of `buf`; `None` when more bytes are needed.
///
/// Every form decodes to a valid csid (2..=65599), and we accept the 2- and 3-byte forms for
/// any id they can express, even where a shorter form exists (item 1).
pub(crate) fn read_basic(buf: &[u8]) -> Option<BasicHeader> {
    let first = *buf.first()?;
    let fmt = first >> 6;
    match first & 0x3F {
        0 => {
            let b1 = *buf.get(1)?;
            Some(BasicHeader {
                fmt,
                csid: u32::from(b1) + 64,
                len: 2,
            })
        }
        1 => {
            let b1 = *buf.get(1)?;
            let b2 = *buf.get(2)?;
            // The high byte comes last.
            let csid = u32::from(b2) * 256 + u32::from(b1) + 64;
            Some(BasicHeader { fmt, csid, len: 3 })
        }
        low => Some(BasicHeader {
            fmt,
            csid: u32::from(low),
            len: 1,
        }),
    }
}

/// Writes the smallest basic header form for `csid`, which must be in `MIN_CSID..=MAX_CSID`.
pub(crate) fn write_basic(fmt: u8, csid: u32, out: &mut HeaderBytes) {
    debug_assert!(
        (MIN_CSID..=MAX_CSID).contains(&csid),
        "csid {csid} out of range"
    );
    let fmt = fmt << 6;
    if csid < 64 {
        out.put(&[fmt | csid as u8]);
    } else if csid < 320 {
        out.put(&[fmt, (csid - 64) as u8]);
    } else {
        let v = csid - 64;
        out.put(&[fmt | 1, v as u8, (v >> 8) as u8]);
    }
}

/// Length of the message header for a format (item 2).
pub(crate) fn message_header_len(fmt: u8) -> usize {
    match fmt {
        FMT_FULL => 11,
        FMT_NO_STREAM => 7,
        FMT_DELTA_ONLY => 3,
        _ => 0,
    }
}

/// The fields a message header carries; which ones are meaningful depends on the format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct MessageHeader {
    /// The 24-bit timestamp (fmt 0) or delta (fmt 1, 2) field.
    pub ts_field: u32,
    pub length: u32,
    pub type_id: u8,
    pub stream_id: u32,
}

/// Reads the message header of format `fmt` from `buf`; `None` when more bytes are needed.
/// Fields the format does not carry are left at zero.
pub(crate) fn read_message_header(fmt: u8, buf: &[u8]) -> Option<MessageHeader> {
    let mut h = MessageHeader::default();
    if fmt == FMT_CONTINUE {
        return Some(h);
    }
    let b = buf.get(..message_header_len(fmt))?;
    h.ts_field = be24(b.get(0..3)?);
    if fmt <= FMT_NO_STREAM {
        h.length = be24(b.get(3..6)?);
        h.type_id = *b.get(6)?;
    }
    if fmt == FMT_FULL {
        // The message stream id is the one little-endian field of RTMP.
        let s = b.get(7..11)?;
        h.stream_id = u32::from_le_bytes([*s.first()?, *s.get(1)?, *s.get(2)?, *s.get(3)?]);
    }
    Some(h)
}

/// Writes the message header of format `fmt`. `ts_value` is the full timestamp or delta: a
/// value that does not fit 24 bits becomes 0xFFFFFF here and goes in the extended field,
/// which the caller writes with [`write_extended`].
pub(crate) fn write_message_header(
    fmt: u8,
    ts_value: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    out: &mut HeaderBytes,
) {
    if fmt == FMT_CONTINUE {
        return;
    }
    out.put(&be24_bytes(ts_value.min(EXTENDED_TIMESTAMP)));
    if fmt <= FMT_NO_STREAM {
        out.put(&be24_bytes(length));
        out.put(&[type_id]);
    }
    if fmt == FMT_FULL {
        out.put(&stream_id.to_le_bytes());
    }
}

/// Whether a timestamp or delta needs the extended field (item 3).
pub(crate) fn needs_extended(ts_value: u32) -> bool {
    ts_value >= EXTENDED_TIMESTAMP
}

/// Writes the 4-byte extended timestamp.
pub(crate) fn write_extended(ts_value: u32, out: &mut HeaderBytes) {
    out.put(&ts_value.to_be_bytes());
}

/// Reads a big-endian u32 from the first 4 bytes of `buf`.
pub(crate) fn be32(buf: &[u8]) -> Option<u32> {
    let b = buf.get(..4)?;
    Some(u32::from_be_bytes([
        *b.first()?,
        *b.get(1)?,
        *b.get(2)?,
        *b.get(3)?,
    ]))
}

fn be24(b: &[u8]) -> u32 {
    b.iter()
        .take(3)
        .fold(0, |acc, &x| (acc << 8) | u32::from(x))
}

fn be24_bytes(v: u32) -> [u8; 3] {
    [(v >> 16) as u8, (v >> 8) as u8, v as u8]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic_bytes(fmt: u8, csid: u32) -> Vec<u8> {
        let mut out = HeaderBytes::new();
        write_basic(fmt, csid, &mut out);
        out.as_slice().to_vec()
    }

    /// RTMP-NOTES item 1: the three basic header forms, hand-checked bytes, smallest form.
    #[test]
    fn item1_basic_header_forms() {
        assert_eq!(basic_bytes(0, 2), [0x02]);
        assert_eq!(basic_bytes(3, 63), [0xC0 | 63]);
        assert_eq!(basic_bytes(1, 64), [0x40, 0x00]);
        assert_eq!(basic_bytes(0, 319), [0x00, 0xFF]);
        // 320 - 64 = 256 = 0x0100: low byte first, high byte last.
        assert_eq!(basic_bytes(2, 320), [0x81, 0x00, 0x01]);
        // 65599 - 64 = 65535.
        assert_eq!(basic_bytes(0, 65599), [0x01, 0xFF, 0xFF]);

        for (bytes, fmt, csid) in [
            (&[0x02][..], 0, 2),
            (&[0xFF], 3, 63),
            (&[0x40, 0x00], 1, 64),
            (&[0x00, 0xFF], 0, 319),
            (&[0x81, 0x00, 0x01], 2, 320),
            (&[0x01, 0xFF, 0xFF], 0, 65599),
            // A non-minimal 3-byte form for csid 64 is still accepted.
            (&[0x01, 0x00, 0x00], 0, 64),
            // 3-byte form with high byte 0x12, low 0x34: 0x1234 + 64.
            (&[0xC1, 0x34, 0x12], 3, 0x1234 + 64),
        ] {
            assert_eq!(
                read_basic(bytes),
                Some(BasicHeader {
                    fmt,
                    csid,
                    len: bytes.len()
                }),
                "{bytes:02x?}"
            );
            assert_eq!(read_basic(&bytes[..bytes.len() - 1]), None);
        }
    }

    #[test]
    fn one_byte_headers_are_static() {
        for b in [0u8, 0xC2, 0xFF] {
            assert_eq!(&one_byte_header(b)[..], &[b]);
        }
    }

    #[test]
    fn basic_header_round_trips_every_csid() {
        for csid in MIN_CSID..=MAX_CSID {
            let b = basic_bytes(2, csid);
            let expect_len = if csid < 64 {
                1
            } else if csid < 320 {
                2
            } else {
                3
            };
            assert_eq!(
                read_basic(&b),
                Some(BasicHeader {
                    fmt: 2,
                    csid,
                    len: expect_len
                })
            );
        }
    }

    /// RTMP-NOTES item 2: header sizes and the little-endian stream id.
    #[test]
    fn item2_message_header_layouts() {
        let mut out = HeaderBytes::new();
        write_message_header(FMT_FULL, 0x010203, 0x0A0B0C, 9, 0x11223344, &mut out);
        assert_eq!(
            out.as_slice(),
            [
                0x01, 0x02, 0x03, 0x0A, 0x0B, 0x0C, 9, 0x44, 0x33, 0x22, 0x11
            ]
        );
        assert_eq!(
            read_message_header(FMT_FULL, out.as_slice()),
            Some(MessageHeader {
                ts_field: 0x010203,
                length: 0x0A0B0C,
                type_id: 9,
                stream_id: 0x11223344
            })
        );
        assert_eq!(read_message_header(FMT_FULL, &out.as_slice()[..10]), None);

        let mut out = HeaderBytes::new();
        write_message_header(FMT_NO_STREAM, 40, 300, 8, 1, &mut out);
        assert_eq!(out.as_slice(), [0, 0, 40, 0, 1, 44, 8]);
        let mut out = HeaderBytes::new();
        write_message_header(FMT_DELTA_ONLY, 0x1234567, 300, 8, 1, &mut out);
        assert_eq!(out.as_slice(), [0xFF, 0xFF, 0xFF]);
        let mut out = HeaderBytes::new();
        write_message_header(FMT_CONTINUE, 1, 2, 3, 4, &mut out);
        assert!(out.as_slice().is_empty());
        assert_eq!([0, 1, 2, 3].map(message_header_len), [11, 7, 3, 0]);
    }

    /// RTMP-NOTES item 3: 0xFFFFFF itself already needs the extended field.
    #[test]
    fn item3_extended_threshold() {
        assert!(!needs_extended(0xFF_FFFE));
        assert!(needs_extended(0xFF_FFFF));
        assert!(needs_extended(u32::MAX));
        let mut out = HeaderBytes::new();
        write_extended(0x0102_0304, &mut out);
        assert_eq!(be32(out.as_slice()), Some(0x0102_0304));
        assert_eq!(be32(&out.as_slice()[..3]), None);
    }
}
