//! [`Client`]: where a publisher or player connects and how it reconnects.

use std::time::{Duration, Instant};

pub use rtmp_driver::client_status::{ClientError, ClientStatus};
use rtmp_driver::seed::connection_seed;
use rtmp_driver::supervisor::{Supervisor, SupervisorSettings};
use rtmp_proto::client::{Failover, ReconnectPolicy, RtmpUrl};
use rtmp_proto::session::ClientConfig;

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
/// reconnect policy and the queue sizes.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    urls: Vec<RtmpUrl>,
    error: Option<ClientError>,
    pub(crate) policy: ReconnectPolicy,
    pub(crate) auto_reconnect: bool,
    pub(crate) session: ClientConfig,
    pub(crate) connect_timeout: Duration,
    pub(crate) queue_frames: usize,
    pub(crate) high_water: usize,
    seed: Option<u64>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            urls: Vec::new(),
            error: None,
            policy: ReconnectPolicy::default(),
            auto_reconnect: true,
            session: ClientConfig::default(),
            connect_timeout: Duration::from_secs(10),
            queue_frames: 64,
            high_water: 512 * 1024,
            seed: None,
        }
    }
}

impl ClientBuilder {
    /// Adds a URL to the failover list: the first is the primary, later ones are backups
    /// tried in order. A malformed URL is reported by `publish`/`play`.
    pub fn url(mut self, url: &str) -> Self {
        match RtmpUrl::parse(url) {
            Ok(u) => self.urls.push(u),
            Err(e) => {
                self.error.get_or_insert(ClientError::Url(e));
            }
        }
        self
    }

    /// Adds an already parsed URL (from a template, or OBS-style server + key).
    pub fn rtmp_url(mut self, url: RtmpUrl) -> Self {
        self.urls.push(url);
        self
    }

    /// Backoff, attempt limit and failover delay (default: 1 s doubling to 60 s, ±20%
    /// jitter, 10 attempts).
    pub fn reconnect_policy(mut self, policy: ReconnectPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Reconnect after an established stream fails (default on). Off, the failover list
    /// is still tried once at start.
    pub fn auto_reconnect(mut self, on: bool) -> Self {
        self.auto_reconnect = on;
        self
    }

    /// Session settings (limits, timeouts, chunk size).
    pub fn session_config(mut self, config: ClientConfig) -> Self {
        self.session = config;
        self
    }

    /// How long one TCP connect may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Frames the publisher's queue holds before `send_*` waits (default 64); a player's
    /// event queue size.
    pub fn queue_capacity(mut self, frames: usize) -> Self {
        self.queue_frames = frames.max(1);
        self
    }

    /// Bytes a publisher lets wait for the socket before it stops taking frames from its
    /// queue (default 512 KiB): with the queue, the bound on what a slow link buffers.
    pub fn high_water(mut self, bytes: usize) -> Self {
        self.high_water = bytes.max(1);
        self
    }

    /// Fixes the seed of the backoff jitter (tests); by default it comes from the OS.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Connects, publishes the URL's stream, and returns once it publishes (or the
    /// reconnect policy gives up).
    pub async fn publish(self) -> Result<Publisher, ClientError> {
        Publisher::start(self).await
    }

    /// Connects and plays the URL's stream; returns at once, media arrives through
    /// [`Player::next`].
    pub async fn play(self) -> Result<Player, ClientError> {
        Player::start(self)
    }

    pub(crate) fn supervisor(&self) -> Result<Supervisor, ClientError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let failover = Failover::new(self.urls.clone()).map_err(ClientError::Policy)?;
        let mut settings = SupervisorSettings::new(failover);
        settings.policy = self.policy.clone();
        settings.auto_reconnect = self.auto_reconnect;
        let seed = self.seed.unwrap_or_else(connection_seed);
        Supervisor::new(settings, seed, Instant::now()).map_err(ClientError::Policy)
    }
}
