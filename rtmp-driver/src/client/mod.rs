//! The resilient client, written once for every runtime: a [`Publisher`] and a [`Player`]
//! that survive reconnects and fail over between servers ([`Client`]). A plain connection
//! driven by pulling events is [`ClientConnection`](crate::ClientConnection).
//!
//! The decisions (when and where to dial, what to resend after a reconnect, where a frame
//! goes during a `ReconnectRequest` handover) are pure, take `now` and live in
//! [`rtmp_proto::client`]: the reconnect [`Supervisor`](rtmp_proto::client::Supervisor),
//! the publisher's [`PublisherCore`](rtmp_proto::client::PublisherCore), the event
//! handling of both loops ([`PublishLoop`](rtmp_proto::client::PublishLoop),
//! [`PlayLoop`](rtmp_proto::client::PlayLoop)), and the task steps
//! ([`PublishTask`](rtmp_proto::client::PublishTask),
//! [`PlayTask`](rtmp_proto::client::PlayTask)). The tasks in `publisher.rs` and
//! `player.rs` only wait on sockets, timers and queues; `link_io.rs` puts a
//! [`ClientLink`](rtmp_proto::client::ClientLink) on a runtime's socket. A [`Fleet`] runs
//! one publisher per `(camera, stream)` of a camera fleet (`fleet.rs`).

mod builder;
mod fleet;
#[cfg(feature = "config")]
pub mod fleet_config;
mod flv_by_codec;
pub mod flv_file;
mod flv_push;
pub mod flv_source;
mod link_io;
mod player;
mod publisher;
mod watched;

use std::marker::PhantomData;

pub use builder::ClientBuilder;
pub use fleet::{Fleet, FleetEvents};
pub use player::Player;
pub use publisher::Publisher;
pub use rtmp_proto::client::{ClientError, ClientStatus, PlayerEvent};

use crate::runtime::Runtime;

/// Entry point of the resilient client API; see [`ClientBuilder`].
///
/// Publishing to a primary server with a backup: the backup is dialed at once when the
/// primary fails; after a drop, the publisher reconnects with backoff, publishes again and
/// resends the metadata and sequence headers before the next frame.
///
/// ```no_run
/// # async fn f<R: rtmp_driver::runtime::Runtime + Default>() -> Result<(), rtmp_driver::client::ClientError> {
/// use rtmp_driver::client::Client;
/// use rtmp_proto::amf::Value;
/// # let (avc_sequence_header, keyframe) = (bytes::Bytes::new(), bytes::Bytes::new());
///
/// let publisher = Client::<R>::builder()
///     .url("rtmp://primary.example.com/live/cam1")
///     .url("rtmp://backup.example.com/live/cam1")
///     .publish()
///     .await?;
/// publisher.send_metadata(Value::ecma_array([("width", Value::Number(1280.0))])).await?;
/// publisher.send_video(0, avc_sequence_header).await?;
/// publisher.send_video(0, keyframe).await?; // waits while the link is behind
/// publisher.close().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Client<R>(PhantomData<fn() -> R>);

impl<R: Runtime + Default> Client<R> {
    /// Settings of a publisher or player, starting from the defaults.
    pub fn builder() -> ClientBuilder<R> {
        ClientBuilder::default()
    }

    /// Publishes to one URL with the default reconnect policy.
    pub async fn publish(url: &str) -> Result<Publisher<R>, ClientError> {
        Client::builder().url(url).publish().await
    }

    /// Plays one URL with the default reconnect policy.
    pub async fn play(url: &str) -> Result<Player<R>, ClientError> {
        Client::builder().url(url).play().await
    }
}
