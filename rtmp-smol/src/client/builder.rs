//! [`Client`]: where a publisher or player connects and how it reconnects.

use rtmp_driver::client_builder::ClientRuntime;
pub use rtmp_driver::client_status::{ClientError, ClientStatus};

use super::player::Player;
use super::publisher::Publisher;

/// Entry point of the resilient client API; see [`ClientBuilder`].
///
/// Publishing to a primary server with a backup: the backup is dialed at once when the
/// primary fails; after a drop, the publisher reconnects with backoff, publishes again and
/// resends the metadata and sequence headers before the next frame.
///
/// ```no_run
/// # async fn f() -> Result<(), rtmp_smol::ClientError> {
/// use rtmp_smol::Client;
/// use rtmp_smol::proto::amf::Value;
/// # let (avc_sequence_header, keyframe) = (bytes::Bytes::new(), bytes::Bytes::new());
///
/// let publisher = Client::builder()
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
pub struct Client;

impl Client {
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Publishes to one URL with the default reconnect policy.
    pub async fn publish(url: &str) -> Result<Publisher, ClientError> {
        Client::builder().url(url).publish().await
    }

    /// Plays one URL with the default reconnect policy.
    pub async fn play(url: &str) -> Result<Player, ClientError> {
        Client::builder().url(url).play().await
    }
}

/// Settings of a publisher or player: the failover list (first URL is the primary), the
/// reconnect policy and the queue sizes. Shared with the other adapter through
/// [`rtmp_driver::client_builder`]; `publish` and `play` start this runtime's tasks.
pub type ClientBuilder = rtmp_driver::client_builder::ClientBuilder<Smol>;

/// The rtmp-smol runtime for [`ClientBuilder`].
#[derive(Debug, Clone, Copy)]
pub struct Smol;

impl ClientRuntime for Smol {
    type Publisher = Publisher;
    type Player = Player;

    async fn publish(builder: ClientBuilder) -> Result<Publisher, ClientError> {
        Publisher::start(builder).await
    }

    async fn play(builder: ClientBuilder) -> Result<Player, ClientError> {
        Player::start(builder)
    }
}
