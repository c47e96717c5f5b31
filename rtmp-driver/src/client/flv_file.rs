//! Writing what a player receives to an FLV file at a path the caller chose.
//!
//! The server-side [`Recorder`](crate::server::Recorder) picks numbered names under a directory and
//! writes from a thread so a publisher never waits on a disk. A player that records (the
//! `play` example) owns its pace, so this writer is plain and synchronous; it uses the same
//! stateless FLV writer of `rtmp_proto::media::flv` and flushes per tag like the recorder,
//! so the file is complete after every tag.
//!
//! Timestamps are rebased so the file starts at 0 and never goes back: a player that
//! reconnects (or joins a relay that restarted) sees the publisher's clock start over.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use bytes::{Bytes, BytesMut};
use rtmp_proto::media::flv::{FlvHeader, FlvTag, FlvTagType};
use rtmp_proto::session::{Media, MediaKind, Metadata};

/// An FLV file being written; see the module docs.
#[derive(Debug)]
pub struct FlvFileWriter {
    out: BufWriter<File>,
    buf: BytesMut,
    tags: u64,
    /// Added to incoming timestamps (ms) to keep the file's timeline monotonic.
    offset: i64,
    /// Last incoming timestamp, to detect a timeline that started over.
    last_in: Option<u32>,
    last_out: u32,
}

impl FlvFileWriter {
    /// Creates (or truncates) `path` and writes the FLV header.
    pub fn create(path: &Path) -> io::Result<Self> {
        let mut out = BufWriter::new(File::create(path)?);
        let mut buf = BytesMut::new();
        FlvHeader::new(true, true).write_to(&mut buf);
        out.write_all(&buf)?;
        out.flush()?;
        Ok(FlvFileWriter {
            out,
            buf,
            tags: 0,
            offset: 0,
            last_in: None,
            last_out: 0,
        })
    }

    /// Tags written so far.
    pub fn tags(&self) -> u64 {
        self.tags
    }

    /// Tells the writer the source started over (a reconnect): the next tag continues the
    /// file's timeline right after the last one, whatever its own timestamp.
    pub fn discontinuity(&mut self) {
        self.last_in = None;
    }

    pub fn write_media(&mut self, media: &Media) -> io::Result<()> {
        let tag_type = match media.kind {
            MediaKind::Audio => FlvTagType::Audio,
            MediaKind::Video => FlvTagType::Video,
        };
        self.write(tag_type, media.timestamp, media.payload.clone())
    }

    /// Writes `onMetaData` as a script tag (its AMF0 payload is what FLV files hold), at
    /// timestamp 0 wherever it falls: readers (ffmpeg) take a script tag with a later
    /// timestamp for a data stream rather than metadata.
    pub fn write_metadata(&mut self, metadata: &Metadata) -> io::Result<()> {
        self.write_tag(FlvTagType::Script, 0, metadata.payload.clone())
    }

    /// Flushes and closes the file.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_all()
    }

    fn write(&mut self, tag_type: FlvTagType, ts: u32, data: Bytes) -> io::Result<()> {
        let timestamp = self.rebase(ts);
        self.write_tag(tag_type, timestamp, data)
    }

    fn write_tag(&mut self, tag_type: FlvTagType, timestamp: u32, data: Bytes) -> io::Result<()> {
        let tag = FlvTag {
            tag_type,
            timestamp,
            stream_id: 0,
            data,
        };
        self.buf.clear();
        tag.write_to(&mut self.buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        self.tags += 1;
        Ok(())
    }

    fn rebase(&mut self, ts: u32) -> u32 {
        match self.last_in {
            None => {
                // First tag, or first after a discontinuity: continue right after the last.
                let next = if self.tags == 0 { 0 } else { self.last_out };
                self.offset = i64::from(next) - i64::from(ts);
            }
            // Allow small reordering (audio and video interleave); a big jump back means
            // the source's clock started over.
            Some(prev) if ts.wrapping_add(1000) < prev => {
                self.offset = i64::from(self.last_out) - i64::from(ts);
            }
            Some(_) => {}
        }
        self.last_in = Some(ts);
        let out = (i64::from(ts) + self.offset).clamp(0, i64::from(u32::MAX)) as u32;
        self.last_out = self.last_out.max(out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use rtmp_proto::media::flv::{FlvItem, FlvReader, FlvReaderConfig};

    fn media(ts: u32) -> Media {
        Media {
            kind: MediaKind::Video,
            timestamp: ts,
            payload: Bytes::from_static(&[0x17, 1, 0, 0, 0]),
        }
    }

    #[test]
    fn writes_a_readable_file_starting_at_zero_and_monotonic() {
        let path = std::env::temp_dir().join(format!(
            "rtmp-flvfile-{}.flv",
            crate::seed::connection_seed()
        ));
        let mut w = FlvFileWriter::create(&path).unwrap();
        w.write_media(&media(5000)).unwrap();
        w.write_media(&media(5040)).unwrap();
        w.discontinuity();
        w.write_media(&media(10)).unwrap();
        w.write_media(&media(50)).unwrap();
        assert_eq!(w.tags(), 4);
        w.finish().unwrap();
        let mut buf = BytesMut::from(&std::fs::read(&path).unwrap()[..]);
        let mut config = FlvReaderConfig::default();
        config.strict_previous_tag_size = true;
        let mut r = FlvReader::new(config);
        let mut ts = Vec::new();
        while let Some(item) = r.read(&mut buf).unwrap() {
            if let FlvItem::Tag(t) = item {
                ts.push(t.timestamp);
            }
        }
        r.finish(&buf).unwrap();
        assert_eq!(ts, [0, 40, 40, 80]);
        std::fs::remove_file(&path).ok();
    }
}
