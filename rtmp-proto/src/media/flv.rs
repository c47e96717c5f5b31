//! FLV files: a streaming reader and a stateless writer.
//!
//! The reader works like the chunk decoder: the caller owns a `BytesMut`, appends what it
//! read from the file or socket, and [`FlvReader::read`] splits complete items off its front
//! (zero-copy: tag bodies are frozen slices of that buffer). A declared tag size is checked
//! against [`FlvReaderConfig::max_tag_size`] before any of its body is awaited, so a corrupt
//! size cannot make the caller buffer without bound.
//!
//! The reader treats each `PreviousTagSize` as the prefix of the tag that follows it, so a
//! file cut off after a tag body (a recorder that crashed) still yields that tag.
//!
//! The writer keeps no state and no buffer: [`FlvHeader::write_to`] writes the header and
//! `PreviousTagSize0`, and every [`FlvTag::write_to`] writes one tag followed by its own
//! `PreviousTagSize`. After each call the bytes written so far form a complete, valid FLV
//! file, so a recorder that flushes after every tag loses at most the tag in flight.

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::MediaError;
use crate::Limits;

/// Length of the FLV file header.
pub const FLV_HEADER_LEN: usize = 9;
/// Length of an FLV tag header.
pub const TAG_HEADER_LEN: usize = 11;

/// The 9-byte file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlvHeader {
    /// Version byte (1).
    pub version: u8,
    /// TypeFlagsAudio.
    pub has_audio: bool,
    /// TypeFlagsVideo.
    pub has_video: bool,
}

impl FlvHeader {
    /// A version 1 header.
    pub fn new(has_audio: bool, has_video: bool) -> Self {
        FlvHeader {
            version: 1,
            has_audio,
            has_video,
        }
    }

    /// Writes the header and `PreviousTagSize0` (13 bytes).
    pub fn write_to(&self, out: &mut BytesMut) {
        out.extend_from_slice(b"FLV");
        out.put_u8(self.version);
        out.put_u8(u8::from(self.has_audio) << 2 | u8::from(self.has_video));
        out.put_u32(FLV_HEADER_LEN as u32);
        out.put_u32(0);
    }
}

/// FLV tag types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlvTagType {
    /// 8: the body is an audio message payload.
    Audio,
    /// 9: the body is a video message payload.
    Video,
    /// 18: script data (AMF0 `onMetaData` and friends).
    Script,
    /// Anything else (kept; players skip it).
    Other(u8),
}

impl FlvTagType {
    /// The type of a 5-bit tag type value (also the RTMP message type).
    pub fn from_u8(v: u8) -> Self {
        match v {
            8 => FlvTagType::Audio,
            9 => FlvTagType::Video,
            18 => FlvTagType::Script,
            n => FlvTagType::Other(n),
        }
    }

    /// The 5-bit value.
    pub fn to_u8(self) -> u8 {
        match self {
            FlvTagType::Audio => 8,
            FlvTagType::Video => 9,
            FlvTagType::Script => 18,
            FlvTagType::Other(n) => n,
        }
    }
}

/// One FLV tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlvTag {
    /// What the body is.
    pub tag_type: FlvTagType,
    /// Milliseconds (24 bits + the extended high byte).
    pub timestamp: u32,
    /// StreamID: 0 in files; 24 bits.
    pub stream_id: u32,
    /// The tag body: an audio/video message payload or script data.
    pub data: Bytes,
}

impl FlvTag {
    /// The 11-byte tag header, for a vectored write of header, body and trailer.
    pub fn header_bytes(&self) -> Result<[u8; TAG_HEADER_LEN], MediaError> {
        let tag_type = self.tag_type.to_u8();
        if tag_type > 0x1f {
            return Err(MediaError::Invalid("FLV tag type (over 31)"));
        }
        let len = u32::try_from(self.data.len())
            .ok()
            .filter(|l| *l <= 0x00ff_ffff)
            .ok_or(MediaError::Invalid("FLV tag body (over 16 MiB)"))?;
        if self.stream_id > 0x00ff_ffff {
            return Err(MediaError::Invalid("FLV stream id (over 24 bits)"));
        }
        let l = len.to_be_bytes();
        let t = self.timestamp.to_be_bytes();
        let s = self.stream_id.to_be_bytes();
        Ok([
            tag_type, l[1], l[2], l[3], t[1], t[2], t[3], t[0], s[1], s[2], s[3],
        ])
    }

    /// The `PreviousTagSize` that follows this tag.
    pub fn previous_tag_size(&self) -> [u8; 4] {
        ((TAG_HEADER_LEN + self.data.len()) as u32).to_be_bytes()
    }

    /// Writes the tag header, body and trailing `PreviousTagSize`.
    pub fn write_to(&self, out: &mut BytesMut) -> Result<(), MediaError> {
        let header = self.header_bytes()?;
        out.reserve(TAG_HEADER_LEN + self.data.len() + 4);
        out.extend_from_slice(&header);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.previous_tag_size());
        Ok(())
    }
}

/// Reader settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FlvReaderConfig {
    /// Largest tag body accepted; defaults to the message length cap of [`Limits`].
    pub max_tag_size: u32,
    /// Reject a file whose `PreviousTagSize` fields disagree with the tags. Off by default:
    /// several writers get them wrong and players ignore them.
    pub strict_previous_tag_size: bool,
}

impl Default for FlvReaderConfig {
    fn default() -> Self {
        FlvReaderConfig {
            max_tag_size: Limits::MAX_MESSAGE_LEN_CAP,
            strict_previous_tag_size: false,
        }
    }
}

impl FlvReaderConfig {
    /// Settings that bound tags by the message length limit of `limits`.
    pub fn from_limits(limits: &Limits) -> Self {
        FlvReaderConfig {
            max_tag_size: limits.message_len_limit(),
            ..Self::default()
        }
    }
}

/// What [`FlvReader::read`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlvItem {
    /// The file header (always first).
    Header(FlvHeader),
    /// A complete tag.
    Tag(FlvTag),
}

/// Streaming FLV reader; see the module docs.
#[derive(Debug, Clone)]
pub struct FlvReader {
    config: FlvReaderConfig,
    header_done: bool,
    /// Bytes of the header's DataOffset beyond 9 still to skip.
    skip: usize,
    last_tag_size: u32,
}

impl FlvReader {
    /// A reader expecting the file header first.
    pub fn new(config: FlvReaderConfig) -> Self {
        FlvReader {
            config,
            header_done: false,
            skip: 0,
            last_tag_size: 0,
        }
    }

    /// Splits the next complete item off the front of `buf`. `Ok(None)` means more bytes
    /// are needed (what is in `buf` stays there). Errors are sticky in the sense that the
    /// input is not consumed; the file is unusable from that point.
    pub fn read(&mut self, buf: &mut BytesMut) -> Result<Option<FlvItem>, MediaError> {
        if !self.header_done {
            return self.read_header(buf);
        }
        if self.skip > 0 {
            let n = self.skip.min(buf.len());
            buf.advance(n);
            self.skip -= n;
            if self.skip > 0 {
                return Ok(None);
            }
        }
        let Some(head) = buf.get(..4 + TAG_HEADER_LEN) else {
            return Ok(None);
        };
        let prev = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let h = &head[4..];
        if h[0] & 0x20 != 0 {
            return Err(MediaError::BadFlv("encrypted tag (filter bit set)"));
        }
        let len = u32::from_be_bytes([0, h[1], h[2], h[3]]);
        if len > self.config.max_tag_size {
            return Err(MediaError::TagTooLarge {
                len,
                max: self.config.max_tag_size,
            });
        }
        if self.config.strict_previous_tag_size && prev != self.last_tag_size {
            return Err(MediaError::BadFlv("PreviousTagSize does not match the tag"));
        }
        let total = 4 + TAG_HEADER_LEN + len as usize;
        if buf.len() < total {
            return Ok(None);
        }
        let tag_type = FlvTagType::from_u8(h[0] & 0x1f);
        let timestamp = u32::from_be_bytes([h[7], h[4], h[5], h[6]]);
        let stream_id = u32::from_be_bytes([0, h[8], h[9], h[10]]);
        buf.advance(4 + TAG_HEADER_LEN);
        let data = buf.split_to(len as usize).freeze();
        self.last_tag_size = TAG_HEADER_LEN as u32 + len;
        Ok(Some(FlvItem::Tag(FlvTag {
            tag_type,
            timestamp,
            stream_id,
            data,
        })))
    }

    fn read_header(&mut self, buf: &mut BytesMut) -> Result<Option<FlvItem>, MediaError> {
        let Some(h) = buf.get(..FLV_HEADER_LEN) else {
            if buf.len() >= 3 && &buf[..3] != b"FLV" {
                return Err(MediaError::BadFlv("signature is not \"FLV\""));
            }
            return Ok(None);
        };
        if &h[..3] != b"FLV" {
            return Err(MediaError::BadFlv("signature is not \"FLV\""));
        }
        let header = FlvHeader {
            version: h[3],
            has_audio: h[4] & 4 != 0,
            has_video: h[4] & 1 != 0,
        };
        let offset = u32::from_be_bytes([h[5], h[6], h[7], h[8]]);
        if (offset as usize) < FLV_HEADER_LEN {
            return Err(MediaError::BadFlv("DataOffset is shorter than the header"));
        }
        buf.advance(FLV_HEADER_LEN);
        self.skip = offset as usize - FLV_HEADER_LEN;
        self.header_done = true;
        Ok(Some(FlvItem::Header(header)))
    }

    /// Checks what is left once the input has ended: nothing, or only the final
    /// `PreviousTagSize`. Anything else is a tag cut off mid-way (every complete tag before
    /// it has already been returned).
    pub fn finish(&self, buf: &BytesMut) -> Result<(), MediaError> {
        if !self.header_done {
            return Err(MediaError::BadFlv("file ends inside the header"));
        }
        match buf.len() {
            0 => Ok(()),
            4 if !self.config.strict_previous_tag_size
                || buf[..] == self.last_tag_size.to_be_bytes() =>
            {
                Ok(())
            }
            4 => Err(MediaError::BadFlv("final PreviousTagSize does not match")),
            _ => Err(MediaError::BadFlv("file ends inside a tag")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (FlvHeader, Vec<FlvTag>) {
        let tags = vec![
            FlvTag {
                tag_type: FlvTagType::Script,
                timestamp: 0,
                stream_id: 0,
                data: Bytes::from_static(b"\x02\x00\x0aonMetaData"),
            },
            FlvTag {
                tag_type: FlvTagType::Video,
                timestamp: 0x0112_3456,
                stream_id: 0,
                data: Bytes::from_static(&[0x17, 1, 0, 0, 0, 9, 9]),
            },
        ];
        (FlvHeader::new(true, true), tags)
    }

    #[test]
    fn header_and_tag_layout() {
        let (h, tags) = sample();
        let mut out = BytesMut::new();
        h.write_to(&mut out);
        assert_eq!(&out[..], b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00");
        out.clear();
        tags[1].write_to(&mut out).unwrap();
        // type 9, size 7, timestamp low 24 bits 0x123456 then extended byte 0x01, stream 0.
        assert_eq!(&out[..11], &[9, 0, 0, 7, 0x12, 0x34, 0x56, 0x01, 0, 0, 0]);
        assert_eq!(&out[out.len() - 4..], &18u32.to_be_bytes());
    }

    #[test]
    fn byte_at_a_time_and_truncation() {
        let (h, tags) = sample();
        let mut file = BytesMut::new();
        h.write_to(&mut file);
        for t in &tags {
            t.write_to(&mut file).unwrap();
        }
        let config = FlvReaderConfig {
            strict_previous_tag_size: true,
            ..Default::default()
        };
        let mut r = FlvReader::new(config.clone());
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for b in file.iter() {
            buf.put_u8(*b);
            while let Some(item) = r.read(&mut buf).unwrap() {
                got.push(item);
            }
        }
        r.finish(&buf).unwrap();
        assert_eq!(got[0], FlvItem::Header(h));
        assert_eq!(
            got[1..],
            [FlvItem::Tag(tags[0].clone()), FlvItem::Tag(tags[1].clone())]
        );

        // A crash mid-way through the second tag: the first is still delivered.
        let cut = file.len() - 6;
        let mut r = FlvReader::new(config);
        let mut buf = BytesMut::from(&file[..cut]);
        assert!(matches!(r.read(&mut buf), Ok(Some(FlvItem::Header(_)))));
        assert_eq!(r.read(&mut buf), Ok(Some(FlvItem::Tag(tags[0].clone()))));
        assert_eq!(r.read(&mut buf), Ok(None));
        assert!(r.finish(&buf).is_err());
    }

    #[test]
    fn oversized_tag_rejected_before_buffering() {
        let mut r = FlvReader::new(FlvReaderConfig {
            max_tag_size: 100,
            ..Default::default()
        });
        let mut buf = BytesMut::new();
        FlvHeader::new(false, true).write_to(&mut buf);
        buf.extend_from_slice(&[9, 0, 0, 101, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(r.read(&mut buf), Ok(Some(FlvItem::Header(_)))));
        assert_eq!(
            r.read(&mut buf),
            Err(MediaError::TagTooLarge { len: 101, max: 100 })
        );
        let mut bad = BytesMut::from(&b"FLX\x01"[..]);
        assert!(
            FlvReader::new(FlvReaderConfig::default())
                .read(&mut bad)
                .is_err()
        );
    }
}
