//! An FLV file as a paced source of items, optionally looping.
//!
//! Reads the file in small blocks with plain `std::fs` (the same under any runtime), so
//! memory stays at one block plus one tag whatever the file's size. A block read from a
//! local disk is short; an adapter that cannot afford even that on its executor reads
//! through its own blocking pool instead and feeds an [`FlvPacer`] (the pure pacing, in
//! `rtmp-proto`) directly.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use rtmp_proto::client::{FlvPacer, PacedTag};
use rtmp_proto::media::flv::FlvReaderConfig;

/// Bytes read from the file at a time.
const READ_BLOCK: usize = 64 * 1024;

/// Paced tags of one FLV file; see the module docs.
#[derive(Debug)]
pub struct FlvFileSource {
    file: File,
    pacer: FlvPacer,
    looping: bool,
    block: Vec<u8>,
    /// Tags produced by the current pass (a pass with none cannot loop).
    pass_tags: u64,
}

impl FlvFileSource {
    /// Opens `path`; with `looping`, the file starts over when it ends.
    pub fn open(path: &Path, looping: bool) -> io::Result<Self> {
        Ok(FlvFileSource {
            file: File::open(path)?,
            pacer: FlvPacer::new(FlvReaderConfig::default()),
            looping,
            block: vec![0; READ_BLOCK],
            pass_tags: 0,
        })
    }

    /// The next item and its due time (from the start of playback); `None` at the end of
    /// the file when not looping. A malformed file is an `InvalidData` error.
    pub fn next_tag(&mut self) -> io::Result<Option<PacedTag>> {
        loop {
            if let Some(tag) = self.pacer.next_tag().map_err(invalid)? {
                self.pass_tags += 1;
                return Ok(Some(tag));
            }
            let n = self.file.read(&mut self.block)?;
            if let Some(bytes) = self.block.get(..n)
                && n > 0
            {
                self.pacer.push(bytes);
                continue;
            }
            self.pacer.finish().map_err(invalid)?;
            if !self.looping || self.pass_tags == 0 {
                return Ok(None);
            }
            self.file.seek(SeekFrom::Start(0))?;
            self.pacer.rewind();
            self.pass_tags = 0;
        }
    }
}

fn invalid(e: rtmp_proto::media::MediaError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}
