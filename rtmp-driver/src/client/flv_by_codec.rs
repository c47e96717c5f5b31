//! Publishing FLV files by codec: [`Publisher::push_flv_by_codec`] sends the H.264 or the
//! HEVC file as the server's Enhanced RTMP answer to each (re)connect decides
//! ([`CodecSelector`]), switching files only at a reconnect.

use std::path::Path;
use std::time::Instant;

use rtmp_proto::client::{
    ClientError, CodecPreference, CodecSelector, ConnectionState, PacedItem, StreamCodec,
};

use super::flv_source::FlvFileSource;
use super::publisher::Publisher;
use crate::runtime::{Runtime, sleep_until};

/// The file being sent and when its first tag went out.
struct Playing {
    source: FlvFileSource,
    start: Instant,
}

impl<R: Runtime> Publisher<R> {
    /// Sends `h264` or `hevc` (both FLV files, looped, paced by their timestamps) as
    /// `preference` decides from the server's answer after each (re)connect: HEVC where
    /// the server takes it, the H.264 file elsewhere (with no `hevc` file, always H.264).
    ///
    /// The codec changes only when a reconnect changes the answer, and the new file starts
    /// from its beginning (metadata, sequence header, keyframe), so a GOP is never cut; a
    /// reconnect that keeps the codec keeps the file's position. Nothing is sent before
    /// the first publish. Returns only on an error (closed, gave up, unreadable file).
    pub async fn push_flv_by_codec(
        &self,
        preference: CodecPreference,
        h264: &Path,
        hevc: Option<&Path>,
    ) -> Result<(), ClientError> {
        let rt = self.runtime();
        let mut selector = CodecSelector::new(preference);
        let mut starts = 0;
        let mut playing: Option<Playing> = None;
        loop {
            let status = self.status();
            if status.starts != starts && status.state == ConnectionState::Publishing {
                starts = status.starts;
                if let Some(codec) = selector.on_connected(status.server_caps.as_ref()) {
                    let path = match (codec, hevc) {
                        (StreamCodec::Hevc, Some(p)) => p,
                        _ => h264,
                    };
                    tracing::info!(codec = codec.as_str(), file = %path.display(), "sending");
                    playing = Some(Playing {
                        source: FlvFileSource::open(path, true).map_err(io_error)?,
                        start: rt.now(),
                    });
                }
            }
            let Some(p) = playing.as_mut() else {
                let seen = starts;
                self.wait_until(|s| s.starts != seen && s.state == ConnectionState::Publishing)
                    .await?;
                continue;
            };
            let Some(tag) = p.source.next_tag().map_err(io_error)? else {
                return Ok(()); // a looping source ends only when the file has no tags
            };
            if let Some(at) = p.start.checked_add(tag.due) {
                sleep_until(rt, at).await;
            }
            match tag.item {
                PacedItem::Media(m) => self.send_media(m).await?,
                PacedItem::Metadata(v) => self.send_metadata(v).await?,
                _ => {}
            }
        }
    }
}

fn io_error(e: std::io::Error) -> ClientError {
    ClientError::Io(e.to_string())
}
