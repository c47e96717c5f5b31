//! [`LocalPublisher`]: a stream published from the application's own code (a generated or
//! transcoded feed, a stream pulled from elsewhere), without a connection to the server.
//!
//! It takes the stream's publish slot like a network publisher (refused while another
//! holds it) and hands frames to the same fan-out: GOP cache, late joiners, every player's
//! lag policy, the stream's figures. Dropping it releases the slot however the owning
//! task ends; players are then held for the publisher grace, as after a network
//! publisher's disconnect.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use rtmp_proto::relay::{ConnId, Frame, StreamKey};
use rtmp_proto::session::{Media, Metadata, Rejection};

use super::hub::Fanout;
use super::link::ConnLink;
use super::shared::Shared;
use super::subscriber::IN_PROCESS;

/// A stream published from your own code; see the module docs. Made by
/// `ServerHandle::publish`.
pub struct LocalPublisher {
    shared: Arc<Shared>,
    id: ConnId,
    key: StreamKey,
    link: Arc<ConnLink>,
    fanout: Fanout,
}

impl std::fmt::Debug for LocalPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalPublisher")
            .field("key", &self.key)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl LocalPublisher {
    /// Claims `key`'s publish slot (refused as a network publish would be).
    pub(crate) fn start(shared: Arc<Shared>, key: StreamKey) -> Result<Self, Rejection> {
        let (id, link) = shared.hub.open_connection(IN_PROCESS);
        if let Err(why) = shared.hub.publish(&key, id) {
            shared.hub.close_connection(id);
            return Err(why);
        }
        tracing::info!(stream = %key, "local publish start");
        let fanout = shared.hub.fanout();
        Ok(LocalPublisher {
            shared,
            id,
            key,
            link,
            fanout,
        })
    }

    /// The stream published.
    pub fn key(&self) -> &StreamKey {
        &self.key
    }

    /// Publishes a run of frames, in order, to every player (one pass of the fan-out for
    /// the run). Ignored once another publisher took the stream over (see
    /// [`is_replaced`](Self::is_replaced)).
    pub fn send(&mut self, frames: &[Frame]) {
        self.shared
            .hub
            .ingest_all(&self.key, self.id, frames, &mut self.fanout);
    }

    /// Publishes one audio or video message (legacy or Enhanced RTMP FLV tag body).
    pub fn send_media(&mut self, media: Media) {
        self.send(&[Frame::media(media)]);
    }

    /// Publishes the stream's metadata (`onMetaData`); its size and rate go into the
    /// stream's figures.
    pub fn send_metadata(&mut self, metadata: &Metadata) {
        self.shared.hub.on_metadata(&self.key, &metadata.values);
        self.send(&[Frame::metadata(metadata)]);
    }

    /// Whether another publisher took the stream over (with `DuplicatePublish::Replace`):
    /// what this one sends is dropped from then on.
    pub fn is_replaced(&self) -> bool {
        self.link.kicked.load(Ordering::Acquire)
    }
}

impl Drop for LocalPublisher {
    fn drop(&mut self) {
        tracing::info!(stream = %self.key, "local publish stop");
        self.shared.hub.unpublish(&self.key, self.id);
        self.shared.hub.close_connection(self.id);
    }
}
