//! Reading a recorded FLV file with our own reader: every tag up to the end must parse.

use std::path::Path;

use bytes::BytesMut;
use rtmp_proto::media::flv::{FlvItem, FlvReader, FlvReaderConfig, FlvTagType};
use rtmp_proto::media::{AudioCodec, AudioTag, VideoCodec, VideoTag};

/// What a recorded file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlvSummary {
    pub tags: u64,
    pub video_tags: u64,
    pub audio_tags: u64,
    /// Timestamp (ms) of the last video tag.
    pub last_video_ms: u32,
    /// Bytes after the last complete tag (0 or the final 4-byte PreviousTagSize when the
    /// file ends cleanly; more means a tag cut off mid-way).
    pub trailing: usize,
    /// Whether the file ends exactly after a complete tag (`FlvReader::finish`).
    pub ends_cleanly: bool,
    /// The codec of the first video tag that names one (legacy or E-RTMP).
    pub video_codec: Option<VideoCodec>,
    /// The codec of the first audio tag that names one (legacy or E-RTMP).
    pub audio_codec: Option<AudioCodec>,
}

/// Parses the whole file; panics when a tag does not parse (a corrupt file).
pub fn read_flv(path: &Path) -> FlvSummary {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut buf = BytesMut::from(&data[..]);
    let mut reader = FlvReader::new(FlvReaderConfig::default());
    let mut s = FlvSummary::default();
    loop {
        match reader.read(&mut buf) {
            Ok(Some(FlvItem::Tag(tag))) => {
                s.tags += 1;
                match tag.tag_type {
                    FlvTagType::Video => {
                        s.video_tags += 1;
                        s.last_video_ms = tag.timestamp;
                        s.video_codec = s
                            .video_codec
                            .or_else(|| VideoTag::parse(tag.data).ok()?.codec());
                    }
                    FlvTagType::Audio => {
                        s.audio_tags += 1;
                        s.audio_codec = s
                            .audio_codec
                            .or_else(|| AudioTag::parse(tag.data).ok()?.codec());
                    }
                    _ => {}
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => panic!("{} is corrupt after {} tags: {e}", path.display(), s.tags),
        }
    }
    s.trailing = buf.len();
    s.ends_cleanly = reader.finish(&buf).is_ok();
    s
}

/// One audio or video tag of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaTag {
    pub video: bool,
    pub timestamp: u32,
    /// The tag body (the RTMP message payload).
    pub data: bytes::Bytes,
}

/// The audio and video tags of a file, in file order; panics when a tag does not parse.
pub fn media_tags(path: &Path) -> Vec<MediaTag> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut buf = BytesMut::from(&data[..]);
    let mut reader = FlvReader::new(FlvReaderConfig::default());
    let mut tags = Vec::new();
    loop {
        match reader.read(&mut buf) {
            Ok(Some(FlvItem::Tag(tag))) => match tag.tag_type {
                FlvTagType::Video | FlvTagType::Audio => tags.push(MediaTag {
                    video: tag.tag_type == FlvTagType::Video,
                    timestamp: tag.timestamp,
                    data: tag.data,
                }),
                _ => {}
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => panic!(
                "{} is corrupt after {} tags: {e}",
                path.display(),
                tags.len()
            ),
        }
    }
    tags
}
