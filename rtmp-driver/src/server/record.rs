//! Recording a published stream to an FLV file, one tag at a time.
//!
//! The publisher's connection must never wait on a disk, so tags go through a bounded
//! channel to a writer thread (plain `std`, the same under any runtime). Each tag is written
//! with [`FlvTag::write_to`] and flushed at once: after every tag the file is a complete FLV
//! file, so a crash loses at most the tag in flight. When the writer falls more than
//! [`RECORD_QUEUE`] tags behind, further tags are counted and dropped rather than stalling
//! the live stream.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};

use bytes::{Bytes, BytesMut};
use rtmp_proto::media::flv::{FlvHeader, FlvTag, FlvTagType};

/// Tags the writer thread may fall behind by.
pub const RECORD_QUEUE: usize = 4096;
/// Highest `<n>` tried when choosing a fresh file name.
const MAX_SEQUENCE: u32 = 100_000;

/// The sending end held by the publisher's connection; dropping it closes the file.
#[derive(Debug)]
pub struct Recorder {
    tx: SyncSender<FlvTag>,
    path: PathBuf,
    dropped: u64,
}

/// Replaces anything but `[A-Za-z0-9_-.]` so a peer-chosen app or stream name stays one
/// plain path component (no `..`, no separators, no hidden files).
pub fn sanitize_component(name: &str) -> String {
    let mut s: String = name
        .chars()
        .take(128)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with('.') {
        s.insert(0, '_');
    }
    s
}

/// Creates `dir/<app>/<stream>-<n>.flv` with the first free `n` (from 1).
fn create_file(dir: &Path, app: &str, stream: &str) -> io::Result<(File, PathBuf)> {
    let folder = dir.join(sanitize_component(app));
    fs::create_dir_all(&folder)?;
    let stem = sanitize_component(stream);
    for n in 1..=MAX_SEQUENCE {
        let path = folder.join(format!("{stem}-{n}.flv"));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((f, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free recording file name"))
}

impl Recorder {
    /// Opens a new file for a stream that just started publishing and starts its writer.
    pub fn start(dir: &Path, app: &str, stream: &str) -> io::Result<Recorder> {
        let (mut file, path) = create_file(dir, app, stream)?;
        let mut head = BytesMut::new();
        FlvHeader::new(true, true).write_to(&mut head);
        file.write_all(&head)?;
        file.flush()?;
        let (tx, rx) = sync_channel(RECORD_QUEUE);
        let log_path = path.clone();
        std::thread::Builder::new()
            .name("rtmp-record".into())
            .spawn(move || write_loop(file, rx, &log_path))?;
        Ok(Recorder {
            tx,
            path,
            dropped: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Tags dropped because the writer fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Queues one audio (8), video (9) or script (18) tag body; never blocks.
    pub fn write(&mut self, tag_type: FlvTagType, timestamp: u32, data: Bytes) {
        let tag = FlvTag {
            tag_type,
            timestamp,
            stream_id: 0,
            data,
        };
        match self.tx.try_send(tag) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped += 1;
                if self.dropped.is_power_of_two() {
                    tracing::warn!(path = %self.path.display(), dropped = self.dropped,
                        "recorder falling behind, tags dropped");
                }
            }
            Err(TrySendError::Disconnected(_)) => self.dropped += 1,
        }
    }
}

fn write_loop(mut file: File, rx: Receiver<FlvTag>, path: &Path) {
    let mut buf = BytesMut::new();
    let mut tags = 0u64;
    for tag in rx {
        buf.clear();
        if let Err(e) = tag.write_to(&mut buf) {
            tracing::warn!(path = %path.display(), error = %e, "tag not recordable, skipped");
            continue;
        }
        if let Err(e) = file.write_all(&buf).and_then(|()| file.flush()) {
            tracing::error!(path = %path.display(), error = %e, "recording stopped");
            return;
        }
        tags += 1;
    }
    tracing::info!(path = %path.display(), tags, "recording closed");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_names_cannot_escape_the_directory() {
        assert_eq!(sanitize_component("../../etc"), "_.._.._etc");
        assert_eq!(sanitize_component(".hidden"), "_.hidden");
        assert_eq!(sanitize_component(""), "_");
        assert_eq!(sanitize_component("a/b\\c"), "a_b_c");
        assert_eq!(sanitize_component("live-1_x.y"), "live-1_x.y");
    }

    #[test]
    fn records_numbered_files_flushed_per_tag() {
        let dir = std::env::temp_dir().join(format!("rtmp-rec-{}", crate::seed::connection_seed()));
        let mut r = Recorder::start(&dir, "live", "cam").unwrap();
        assert!(r.path().ends_with("live/cam-1.flv"));
        r.write(
            FlvTagType::Video,
            40,
            Bytes::from_static(&[0x17, 0, 0, 0, 0]),
        );
        let first = r.path().to_owned();
        drop(r);
        let r2 = Recorder::start(&dir, "live", "cam").unwrap();
        assert!(r2.path().ends_with("live/cam-2.flv"));
        drop(r2);
        // The writer thread finishes after the channel closes; wait for the tag to land.
        let want = 13 + 11 + 5 + 4;
        for _ in 0..200 {
            if fs::metadata(&first).map(|m| m.len()).unwrap_or(0) == want {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let bytes = fs::read(&first).unwrap();
        assert_eq!(bytes.len() as u64, want);
        assert_eq!(&bytes[..3], b"FLV");
        // Tag header: type 9, length 5, timestamp 40.
        assert_eq!(&bytes[13..20], &[9, 0, 0, 5, 0, 0, 40]);
        fs::remove_dir_all(&dir).ok();
    }
}
