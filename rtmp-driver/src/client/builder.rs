//! The settings of a resilient publisher or player: every setting, its default and the
//! reconnect supervisor built from them, once for every runtime.

use std::fmt;
use std::time::{Duration, Instant};

use rtmp_proto::client::{
    ClientError, CodecPreference, Failover, ReconnectPolicy, RtmpUrl, StreamSpec, Supervisor,
    SupervisorSettings,
};
use rtmp_proto::session::ClientConfig;

use super::player::Player;
use super::publisher::Publisher;
#[cfg(feature = "tls")]
use crate::io::tls::TlsConnector;
use crate::runtime::Runtime;
use crate::seed::connection_seed;

/// What the publisher and player tasks read from the builder.
#[derive(Debug, Clone)]
pub(crate) struct ClientOptions {
    pub(crate) policy: ReconnectPolicy,
    pub(crate) auto_reconnect: bool,
    pub(crate) session: ClientConfig,
    pub(crate) connect_timeout: Duration,
    /// Frames a publisher's queue (or a player's event queue) holds.
    pub(crate) queue_frames: usize,
    /// Bytes a publisher lets wait for the socket before it stops taking frames.
    pub(crate) high_water: usize,
    /// A publisher's video codec preference, decided after each connect.
    pub(crate) codec: Option<CodecPreference>,
    /// Whom `rtmps://` servers must prove to be (`None`: the public web's roots).
    #[cfg(feature = "tls")]
    pub(crate) tls: Option<TlsConnector>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            policy: ReconnectPolicy::default(),
            auto_reconnect: true,
            session: ClientConfig::default(),
            connect_timeout: Duration::from_secs(10),
            queue_frames: 64,
            high_water: 512 * 1024,
            codec: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

/// Settings of a publisher or player: the failover list (first URL is the primary), the
/// reconnect policy and the queue sizes.
pub struct ClientBuilder<R> {
    urls: Vec<RtmpUrl>,
    error: Option<ClientError>,
    options: ClientOptions,
    seed: Option<u64>,
    runtime: R,
}

impl<R: fmt::Debug> fmt::Debug for ClientBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("urls", &self.urls)
            .field("error", &self.error)
            .field("options", &self.options)
            .field("seed", &self.seed)
            .field("runtime", &self.runtime)
            .finish()
    }
}

impl<R: Clone> Clone for ClientBuilder<R> {
    fn clone(&self) -> Self {
        ClientBuilder {
            urls: self.urls.clone(),
            error: self.error.clone(),
            options: self.options.clone(),
            seed: self.seed,
            runtime: self.runtime.clone(),
        }
    }
}

impl<R: Default> Default for ClientBuilder<R> {
    fn default() -> Self {
        ClientBuilder {
            urls: Vec::new(),
            error: None,
            options: ClientOptions::default(),
            seed: None,
            runtime: R::default(),
        }
    }
}

impl<R: Runtime> ClientBuilder<R> {
    /// Default settings on `runtime` (for a runtime without a `Default`, or a server's
    /// own runtime value).
    pub fn new(runtime: R) -> Self {
        ClientBuilder {
            urls: Vec::new(),
            error: None,
            options: ClientOptions::default(),
            seed: None,
            runtime,
        }
    }

    /// Connects, publishes the URL's stream, and returns once it publishes (or the
    /// reconnect policy gives up).
    pub async fn publish(self) -> Result<Publisher<R>, ClientError> {
        Publisher::start(self).await
    }

    /// Connects and plays the URL's stream; media arrives through the player's events.
    pub async fn play(self) -> Result<Player<R>, ClientError> {
        Player::start(self)
    }

    /// The runtime value the client's task is spawned with (default: the runtime's
    /// `Default`).
    pub fn runtime(mut self, runtime: R) -> Self {
        self.runtime = runtime;
        self
    }

    /// The runtime the tasks run on.
    pub(crate) fn rt(&self) -> &R {
        &self.runtime
    }
}

impl<R> ClientBuilder<R> {
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
        self.options.policy = policy;
        self
    }

    /// Reconnect after an established stream fails (default on). Off, the failover list
    /// is still tried once at start.
    pub fn auto_reconnect(mut self, on: bool) -> Self {
        self.options.auto_reconnect = on;
        self
    }

    /// Session settings (limits, timeouts, chunk size).
    pub fn session_config(mut self, config: ClientConfig) -> Self {
        self.options.session = config;
        self
    }

    /// How long one TCP connect may take (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.options.connect_timeout = timeout;
        self
    }

    /// Frames the publisher's queue holds before `send_*` waits (default 64); a player's
    /// event queue size.
    pub fn queue_capacity(mut self, frames: usize) -> Self {
        self.options.queue_frames = frames.max(1);
        self
    }

    /// Bytes a publisher lets wait for the socket before it stops taking frames from its
    /// queue (default 512 KiB): with the queue, the bound on what a slow link buffers.
    pub fn high_water(mut self, bytes: usize) -> Self {
        self.options.high_water = bytes.max(1);
        self
    }

    /// The TLS settings of `rtmps://` URLs: the certificate authorities a server's
    /// certificate must chain to (default: the public web's roots, see
    /// [`TlsConnector`]). The name checked, and sent as SNI, is the URL's host. A
    /// certificate that does not verify is a permanent failure of that URL
    /// ([`FailureReason::Permanent`](rtmp_proto::client::FailureReason::Permanent)): the
    /// next URL of the failover list is tried, and that one is not dialed again.
    #[cfg(feature = "tls")]
    pub fn tls(mut self, connector: TlsConnector) -> Self {
        self.options.tls = Some(connector);
        self
    }

    /// Trusts only the certificate authorities in the PEM file `path` for `rtmps://`
    /// URLs (a private CA); see [`tls`](Self::tls). An unreadable or empty file is
    /// reported by `publish`/`play` as [`ClientError::Io`] naming the file.
    #[cfg(feature = "tls")]
    pub fn ca_file(self, path: impl AsRef<std::path::Path>) -> Self {
        match TlsConnector::with_ca_file(path) {
            Ok(c) => self.tls(c),
            Err(e) => {
                let mut this = self;
                this.error.get_or_insert(ClientError::Io(e.to_string()));
                this
            }
        }
    }

    /// Fixes the seed of the backoff jitter (tests); by default it comes from the OS.
    pub fn jitter_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// A publisher's video codec: it advertises the codecs `preference` may send in
    /// `connect`, picks one from the server's answer after each connect
    /// ([`CodecPreference::choose`]) and drops video frames of the other codec, so the
    /// application (see [`Publisher::push_flv_by_codec`]) switches its source only at a
    /// reconnect. Default: no preference, every frame goes out.
    pub fn codec_preference(mut self, preference: CodecPreference) -> Self {
        self.options.codec = Some(preference);
        self.options.session.advertise = Some(preference.advertised());
        self
    }

    /// These settings for one session of a fleet: its failover list instead of the
    /// builder's URLs, its codec preference, and its reconnect policy if it has one.
    pub(crate) fn for_session(&self, spec: &StreamSpec) -> Self
    where
        R: Clone,
    {
        let mut b = self.clone().codec_preference(spec.codec());
        b.urls = spec.failover().urls().to_vec();
        if let Some(p) = spec.policy() {
            b.options.policy = p.clone();
        }
        b
    }

    /// What the publisher and player tasks need besides the supervisor.
    pub(crate) fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The reconnect supervisor for these settings (fails on a bad URL or policy).
    pub(crate) fn supervisor(&self) -> Result<Supervisor, ClientError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let failover = Failover::new(self.urls.clone()).map_err(ClientError::Policy)?;
        let mut settings = SupervisorSettings::new(failover);
        settings.policy = self.options.policy.clone();
        settings.auto_reconnect = self.options.auto_reconnect;
        let seed = self.seed.unwrap_or_else(connection_seed);
        Supervisor::new(settings, seed, Instant::now()).map_err(ClientError::Policy)
    }
}
