//! [`FlvPacer`]: pacing an FLV file in real time: which item to send next, and when, by
//! its tag timestamp.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::amf::{DecodeLimits, Value, amf0};
use crate::media::MediaError;
use crate::media::flv::{FlvItem, FlvReader, FlvReaderConfig, FlvTagType};
use crate::session::{Media, MediaKind};

/// Added after the last tag of a pass when no frame interval was seen (25 fps).
const DEFAULT_FRAME_GAP_MS: u32 = 40;

/// What to send: an item of a [`PacedTag`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PacedItem {
    /// An audio or video tag's body, its timestamp on the pacer's continuous timeline.
    Media(Media),
    /// The `onMetaData` object of a script tag.
    Metadata(Value),
}

/// One item and when it is due, relative to the start of playback.
#[derive(Debug, Clone, PartialEq)]
pub struct PacedTag {
    /// When to send the item: sleep until `start + due`, where `start` is when the first
    /// item was sent.
    pub due: Duration,
    /// What to send.
    pub item: PacedItem,
}

/// Reads FLV tags from bytes the caller appends and schedules them by timestamp.
///
/// A publisher pushing a file must not send it as fast as the socket takes it: a live
/// server relays at the rate it receives, and players would see minutes of video in
/// seconds. The pacer turns tags into items with a due time relative to the start of
/// playback (`timestamp - first timestamp`); the caller sleeps until `start + due`. With
/// looping ([`rewind`](Self::rewind)), each pass continues the timeline where the previous
/// one ended, so timestamps keep increasing across loops and the schedule never jumps
/// back.
///
/// The pacer is pure (bytes in, items out): the caller reads the file, [`push`](Self::push)es
/// what it read and drains [`next_tag`](Self::next_tag) until it needs more bytes.
#[derive(Debug)]
pub struct FlvPacer {
    config: FlvReaderConfig,
    reader: FlvReader,
    buf: BytesMut,
    limits: DecodeLimits,
    /// First tag timestamp of the current pass.
    first: Option<u32>,
    /// Output timeline position where the current pass starts (ms).
    pass_start: u64,
    /// Latest output timestamp (ms).
    last_out: u64,
    /// Latest positive interval between two video tags (else audio), for the loop gap.
    frame_gap: Option<u32>,
    last_video: Option<u32>,
}

impl FlvPacer {
    /// A pacer at the start of a file (its FLV header first), reading with `config`.
    pub fn new(config: FlvReaderConfig) -> Self {
        FlvPacer {
            reader: FlvReader::new(config.clone()),
            config,
            buf: BytesMut::new(),
            limits: DecodeLimits::default(),
            first: None,
            pass_start: 0,
            last_out: 0,
            frame_gap: None,
            last_video: None,
        }
    }

    /// Appends file bytes, in file order; then drain [`next_tag`](Self::next_tag).
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes appended but not yet turned into items (a partial tag).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next item, or `Ok(None)` when more bytes are needed: call it after every
    /// [`push`](Self::push) until it says so. Tags other than audio, video and
    /// `onMetaData` are skipped; a malformed file is an error.
    pub fn next_tag(&mut self) -> Result<Option<PacedTag>, MediaError> {
        loop {
            let tag = match self.reader.read(&mut self.buf)? {
                None => return Ok(None),
                Some(FlvItem::Header(_)) => continue,
                Some(FlvItem::Tag(tag)) => tag,
            };
            let item = match tag.tag_type {
                FlvTagType::Audio => PacedItem::Media(Media {
                    kind: MediaKind::Audio,
                    timestamp: 0,
                    payload: tag.data,
                }),
                FlvTagType::Video => PacedItem::Media(Media {
                    kind: MediaKind::Video,
                    timestamp: 0,
                    payload: tag.data,
                }),
                FlvTagType::Script => match self.metadata(&tag.data) {
                    Some(v) => PacedItem::Metadata(v),
                    None => continue,
                },
                _ => continue,
            };
            let is_video = matches!(&item, PacedItem::Media(m) if m.kind == MediaKind::Video);
            let out = self.schedule(tag.timestamp, is_video);
            let item = match item {
                PacedItem::Media(mut m) => {
                    m.timestamp = out as u32; // RTMP timestamps wrap at 2^32 ms
                    PacedItem::Media(m)
                }
                other => other,
            };
            return Ok(Some(PacedTag {
                due: Duration::from_millis(out),
                item,
            }));
        }
    }

    /// Call when the input ended (and [`next_tag`](Self::next_tag) was drained): checks
    /// that no tag was cut off.
    pub fn finish(&self) -> Result<(), MediaError> {
        self.reader.finish(&self.buf)
    }

    /// Starts another pass over the same file (for `--loop`): the caller pushes the file
    /// from its first byte again. The new pass starts one frame interval after the last
    /// item of this one.
    pub fn rewind(&mut self) {
        self.reader = FlvReader::new(self.config.clone());
        self.buf.clear();
        self.first = None;
        self.last_video = None;
        let gap = self.frame_gap.unwrap_or(DEFAULT_FRAME_GAP_MS);
        self.pass_start = self.last_out.saturating_add(u64::from(gap));
    }

    /// Output timestamp (ms on the continuous timeline) of a tag at `ts` in this pass.
    fn schedule(&mut self, ts: u32, is_video: bool) -> u64 {
        let first = *self.first.get_or_insert(ts);
        // A file whose timestamps go back (a splice) keeps the timeline monotonic.
        let rel = u64::from(ts.saturating_sub(first));
        let out = self.pass_start.saturating_add(rel).max(self.last_out);
        if is_video {
            if let Some(prev) = self.last_video
                && ts > prev
            {
                self.frame_gap = Some(ts - prev);
            }
            self.last_video = Some(ts);
        }
        self.last_out = out;
        out
    }

    /// The object of an `onMetaData` (or `@setDataFrame`, `onMetaData`) script tag.
    fn metadata(&self, data: &Bytes) -> Option<Value> {
        let mut values = amf0::Decoder::new(data, &self.limits);
        let mut name = values.next()?.ok()?;
        if name.as_str() == Some("@setDataFrame") {
            name = values.next()?.ok()?;
        }
        if name.as_str() != Some("onMetaData") {
            return None;
        }
        values.next()?.ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::flv::{FlvHeader, FlvTag};

    fn file(tags: &[(FlvTagType, u32, &[u8])]) -> Vec<u8> {
        let mut out = BytesMut::new();
        FlvHeader::new(true, true).write_to(&mut out);
        for (t, ts, data) in tags {
            FlvTag {
                tag_type: *t,
                timestamp: *ts,
                stream_id: 0,
                data: Bytes::copy_from_slice(data),
            }
            .write_to(&mut out)
            .unwrap();
        }
        out.to_vec()
    }

    fn drain(p: &mut FlvPacer) -> Vec<(u64, PacedItem)> {
        let mut v = Vec::new();
        while let Some(t) = p.next_tag().unwrap() {
            v.push((t.due.as_millis() as u64, t.item));
        }
        v
    }

    fn metadata_tag() -> Vec<u8> {
        let mut b = BytesMut::new();
        amf0::encode(&Value::from("onMetaData"), &mut b);
        amf0::encode(
            &Value::ecma_array([("width", Value::Number(320.0))]),
            &mut b,
        );
        b.to_vec()
    }

    #[test]
    fn due_times_follow_timestamps_from_the_first_tag() {
        let meta = metadata_tag();
        let f = file(&[
            (FlvTagType::Script, 1000, &meta),
            (FlvTagType::Video, 1000, &[0x17, 0, 0, 0, 0]),
            (FlvTagType::Audio, 1020, &[0xaf, 1]),
            (FlvTagType::Video, 1040, &[0x27, 1, 0, 0, 0]),
        ]);
        let mut p = FlvPacer::new(FlvReaderConfig::default());
        // Fed in two halves: a tag cut in the middle waits for the rest.
        let (a, b) = f.split_at(30);
        p.push(a);
        let mut got = drain(&mut p);
        p.push(b);
        got.extend(drain(&mut p));
        p.finish().unwrap();
        let due: Vec<u64> = got.iter().map(|(d, _)| *d).collect();
        assert_eq!(due, [0, 0, 20, 40]);
        assert!(
            matches!(&got[0].1, PacedItem::Metadata(v) if v.get("width").and_then(Value::as_f64) == Some(320.0))
        );
        assert!(
            matches!(&got[3].1, PacedItem::Media(m) if m.timestamp == 40 && m.kind == MediaKind::Video)
        );
    }

    #[test]
    fn loops_continue_the_timeline() {
        let f = file(&[
            (FlvTagType::Video, 0, &[0x17, 0, 0, 0, 0]),
            (FlvTagType::Video, 33, &[0x27, 1, 0, 0, 0]),
            (FlvTagType::Video, 66, &[0x27, 1, 0, 0, 0]),
        ]);
        let mut p = FlvPacer::new(FlvReaderConfig::default());
        p.push(&f);
        let first: Vec<u64> = drain(&mut p).iter().map(|(d, _)| *d).collect();
        p.rewind();
        p.push(&f);
        let second: Vec<u64> = drain(&mut p).iter().map(|(d, _)| *d).collect();
        assert_eq!(first, [0, 33, 66]);
        assert_eq!(second, [99, 132, 165]);
    }

    #[test]
    fn backwards_timestamps_never_move_the_schedule_back() {
        let f = file(&[
            (FlvTagType::Audio, 500, &[0xaf, 1]),
            (FlvTagType::Audio, 400, &[0xaf, 1]),
            (FlvTagType::Audio, 600, &[0xaf, 1]),
        ]);
        let mut p = FlvPacer::new(FlvReaderConfig::default());
        p.push(&f);
        let due: Vec<u64> = drain(&mut p).iter().map(|(d, _)| *d).collect();
        assert_eq!(due, [0, 0, 100]);
    }

    #[test]
    fn truncated_file_is_reported_at_finish() {
        let f = file(&[(FlvTagType::Audio, 0, &[0xaf, 1, 2, 3])]);
        let mut p = FlvPacer::new(FlvReaderConfig::default());
        p.push(&f[..f.len() - 6]);
        assert!(drain(&mut p).is_empty());
        assert!(p.finish().is_err());
    }
}
