//! One push: a stream published here, sent on to one target by a resilient client.

use std::sync::Arc;

use rtmp_proto::amf::Value;
use rtmp_proto::client::{ReconnectPolicy, RtmpUrl};
use rtmp_proto::cluster::Remote;
use rtmp_proto::relay::{Item, StreamKey};
use rtmp_proto::session::{Media, Metadata};

use super::{Inbox, Report};
use crate::client::{ClientBuilder, Publisher};
use crate::runtime::Runtime;
use crate::server::shared::Shared;
use crate::server::subscriber::Subscriber;

/// What one push sends where.
#[derive(Debug)]
pub(super) struct Target {
    pub key: StreamKey,
    /// The target's place in the configured list.
    pub index: usize,
    pub remote: Remote,
    /// The target's URLs of this stream, in failover order.
    pub urls: Vec<RtmpUrl>,
}

/// Sends `target.key` to the target until the stream ends here. The client never waits:
/// frames it cannot take now (its link is behind, or down) are dropped, and after a
/// reconnect it starts again at a keyframe with the metadata and sequence headers, so
/// the target being slow or gone never holds up the stream or its other players.
pub(super) async fn push<R: Runtime>(
    rt: R,
    shared: Arc<Shared>,
    target: Target,
    inbox: Arc<Inbox>,
) {
    let Target {
        key,
        index,
        remote,
        urls,
    } = target;
    let mut sub = match Subscriber::join(shared.clone(), key.clone()) {
        Ok(s) => s,
        Err(why) => {
            tracing::warn!(stream = %key, target = %remote, reason = %why.description, "push not started");
            inbox.send(Report::PushEnded(key, index));
            return;
        }
    };
    let mut policy = ReconnectPolicy::default();
    policy.max_attempts = None;
    let mut builder = ClientBuilder::new(rt).reconnect_policy(policy);
    for url in urls {
        builder = builder.rtmp_url(url);
    }
    let publisher = match Publisher::spawn(builder) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(stream = %key, target = %remote, error = %e, "push not started");
            inbox.send(Report::PushEnded(key, index));
            return;
        }
    };
    tracing::info!(stream = %key, target = %remote, "push started");
    shared
        .cluster
        .push_started(&key, index, &remote, publisher.subscribe());
    let end = loop {
        let queued = match sub.next().await {
            Ok(q) => q,
            Err(end) => break end,
        };
        // Full (behind) or offline: the client's own policy covers what is lost.
        let _ = match queued.frame.item() {
            Item::Media(m) => publisher.try_send_media(Media {
                timestamp: queued.timestamp,
                ..m.clone()
            }),
            Item::Metadata { payload, .. } => publisher.try_send_metadata(Metadata {
                // The client sends the payload as it is; the values are not read.
                values: Value::Null,
                payload: payload.clone(),
                timestamp: queued.timestamp,
            }),
        };
    };
    tracing::info!(stream = %key, target = %remote, end = ?end, "push ended");
    let _ = publisher.close().await;
    inbox.send(Report::PushEnded(key, index));
}
