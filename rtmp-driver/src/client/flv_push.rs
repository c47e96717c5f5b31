//! Publishing an FLV file in real time: [`Publisher::push_flv_file`].

use std::path::Path;

use rtmp_proto::client::{ClientError, PacedItem};

use super::flv_source::FlvFileSource;
use super::publisher::Publisher;
use crate::runtime::{Runtime, sleep_until};

impl<R: Runtime> Publisher<R> {
    /// Sends the tags of an FLV file paced by their timestamps (a tag at 2.5 s goes out
    /// 2.5 s after the first), `onMetaData` included. Returns the number of items sent
    /// when the file ends; with `looping` it starts over and only returns on an error
    /// (the publisher closed or gave up, or the file is unreadable).
    ///
    /// Blocking file reads happen in 64 KiB blocks on the calling task (see
    /// [`FlvFileSource`]); a waiting `send_*` (backpressure) delays the schedule, and the
    /// following tags go out at once until it has caught up.
    pub async fn push_flv_file(&self, path: &Path, looping: bool) -> Result<u64, ClientError> {
        let mut source = FlvFileSource::open(path, looping).map_err(io_error)?;
        let rt = self.runtime();
        let start = rt.now();
        let mut sent = 0u64;
        while let Some(tag) = source.next_tag().map_err(io_error)? {
            if let Some(at) = start.checked_add(tag.due) {
                sleep_until(rt, at).await;
            }
            match tag.item {
                PacedItem::Media(m) => self.send_media(m).await?,
                PacedItem::Metadata(v) => self.send_metadata(v).await?,
                // An item kind a newer pacer schedules and this publisher does not send.
                _ => continue,
            }
            sent += 1;
        }
        Ok(sent)
    }
}

fn io_error(e: std::io::Error) -> ClientError {
    ClientError::Io(e.to_string())
}
