//! One pull attempt: an origin's stream played by a client and published here.

use std::sync::Arc;

use rtmp_proto::client::{PlayerEvent, RtmpUrl};
use rtmp_proto::cluster::PullAttempt;
use rtmp_proto::relay::StreamKey;

use super::{Inbox, Report};
use crate::client::{ClientBuilder, Player};
use crate::runtime::Runtime;
use crate::server::local_publisher::LocalPublisher;
use crate::server::shared::Shared;

/// Plays `url` once (no reconnect: which origin next, and when, is the puller's call)
/// and publishes what it sends as `key`, reporting media, the origin's publisher leaving
/// and the end of the connection. The stream is claimed here at the first frame, and
/// released (its players held for the publisher grace) when the origin's publisher
/// leaves or the connection ends.
pub(super) async fn pull<R: Runtime>(
    rt: R,
    shared: Arc<Shared>,
    key: StreamKey,
    url: RtmpUrl,
    attempt: PullAttempt,
    inbox: Arc<Inbox>,
) {
    let builder = ClientBuilder::new(rt)
        .rtmp_url(url.clone())
        .auto_reconnect(false);
    let mut player = match Player::start(builder) {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(stream = %key, origin = %url, error = %e, "pull not started");
            inbox.send(Report::Failed(key, attempt));
            return;
        }
    };
    let mut publisher: Option<LocalPublisher> = None;
    let mut flowing = false;
    while let Some(event) = player.next().await {
        match event {
            PlayerEvent::Media(media) => {
                let Some(p) = claim(&shared, &key, &mut publisher) else {
                    inbox.send(Report::Taken(key, attempt));
                    return;
                };
                p.send_media(media);
                if !flowing {
                    flowing = true;
                    tracing::info!(stream = %key, origin = %url, "pull receiving");
                    inbox.send(Report::Media(key.clone(), attempt));
                }
            }
            PlayerEvent::Metadata(metadata) => {
                let Some(p) = claim(&shared, &key, &mut publisher) else {
                    inbox.send(Report::Taken(key, attempt));
                    return;
                };
                p.send_metadata(&metadata);
            }
            PlayerEvent::Unpublished => {
                tracing::info!(stream = %key, origin = %url, "origin's publisher left");
                publisher = None;
                flowing = false;
                inbox.send(Report::Unpublished(key.clone(), attempt));
            }
            PlayerEvent::Interrupted { reason } => {
                tracing::info!(stream = %key, origin = %url, reason = ?reason, "pull interrupted");
                break;
            }
            _ => {}
        }
    }
    drop(publisher);
    inbox.send(Report::Failed(key, attempt));
}

/// The stream's publisher here, claimed at the first frame; `None` when someone else
/// publishes it here.
fn claim<'a>(
    shared: &Arc<Shared>,
    key: &StreamKey,
    publisher: &'a mut Option<LocalPublisher>,
) -> Option<&'a mut LocalPublisher> {
    if publisher.is_none() {
        match LocalPublisher::start(shared.clone(), key.clone()) {
            Ok(p) => *publisher = Some(p),
            Err(why) => {
                tracing::info!(stream = %key, reason = %why.description, "pull stopped: published here");
                return None;
            }
        }
    }
    publisher.as_mut().filter(|p| !p.is_replaced())
}
