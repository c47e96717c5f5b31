//! The relay's command line: the flags a user of
//! the `relay` examples types, and how they set up a [`ServerBuilder`]. Each example adds
//! only what its runtime decides (threads, Ctrl-C).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use rtmp_proto::cluster::Remote;
use rtmp_proto::relay::RelayConfig;

#[cfg(feature = "tls")]
use crate::io::tls::TlsAcceptor;
use crate::runtime::Runtime;
use crate::server::{DEFAULT_MEMORY_BUDGET, Event, Server, ServerBuilder, ServerHandle};

/// The relay's flags (clap: `#[command(flatten)]` them into an example's own `Args`).
#[derive(Debug, Clone, clap::Args)]
pub struct RelayArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:1935")]
    pub listen: SocketAddr,
    /// Also listen for RTMPS (RTMP over TLS) on this address, e.g. 0.0.0.0:443; needs
    /// --tls-cert and --tls-key.
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "ADDR", requires_all = ["tls_cert", "tls_key"])]
    pub tls_listen: Option<SocketAddr>,
    /// The RTMPS listener's certificate chain, PEM, leaf first.
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "FILE.pem", requires = "tls_listen")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert, PEM (PKCS#8, PKCS#1 or SEC1).
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "FILE.pem", requires = "tls_listen")]
    pub tls_key: Option<PathBuf>,
    /// Also write each published stream to `DIR/<app>/<stream>-<n>.flv` (flushed per tag).
    #[arg(long, value_name = "DIR")]
    pub record: Option<PathBuf>,
    /// Bytes of the last GOP kept per stream for late joiners (0 disables the GOP cache).
    #[arg(long, value_name = "N")]
    pub gop_cache_bytes: Option<usize>,
    /// Outbound chunk size.
    #[arg(long, value_name = "N")]
    pub chunk_size: Option<u32>,
    /// Most simultaneous connections.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_connections: usize,
    /// Hold each player's output up to MS milliseconds and write it in one go: less CPU per
    /// delivered byte, up to MS of added latency (0, the default: write every frame at once).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub merge_ms: u64,
    /// Largest audio or video message accepted from a publisher (the bounds before connect
    /// and for commands are smaller; see the README's limits table).
    #[arg(long, value_name = "BYTES", default_value_t = rtmp_proto::Limits::MAX_MESSAGE_LEN_CAP)]
    pub max_message_bytes: u32,
    /// Most bytes all connections together may hold for their peers (messages being
    /// received, commands waiting for a decision, relayed frames players have not taken
    /// yet); over it the largest holders are closed.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MEMORY_BUDGET)]
    pub memory_budget_bytes: usize,
    /// How long a player of a stream nobody publishes yet waits for its publisher (0:
    /// refused at once with StreamNotFound; default: as long as its connection lives).
    #[arg(long, value_name = "MS")]
    pub play_wait_ms: Option<u64>,
    /// How long a stream's players are held after its publisher went away, for it (or
    /// another) to publish again; then they get the end of the stream (0: at once).
    #[arg(long, value_name = "MS", default_value_t = 5000)]
    pub publisher_grace_ms: u64,
    /// On Ctrl-C or SIGTERM, drain to this server instead of stopping at once: publishers
    /// that speak Enhanced RTMP are asked to reconnect there (tcUrl, e.g.
    /// rtmp://other:1935/live), then the relay stops.
    #[arg(long, value_name = "URL")]
    pub drain_to: Option<String>,
    /// Also serve HTTP here: /metrics (Prometheus), /api/streams (JSON), / (status page).
    #[arg(long, value_name = "ADDR")]
    pub http_listen: Option<SocketAddr>,
    /// Every this many seconds, one log line per live stream (bitrates, players, drops);
    /// 0 for none.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub stats_interval: u64,
    /// Push every stream published here to this URL template ({app} and {stream} are
    /// replaced; `|` separates failover alternatives), e.g.
    /// 'rtmp://backup.example/live/{stream}'. Repeat for more targets.
    #[arg(long, value_name = "URL_TEMPLATE")]
    pub push: Vec<Remote>,
    /// Be an edge: a play of a stream not live here pulls it from this origin URL
    /// template (e.g. 'rtmp://origin:1935/{app}/{stream}'). Repeat for failover origins,
    /// tried in order.
    #[arg(long, value_name = "URL_TEMPLATE")]
    pub pull_from: Vec<Remote>,
    /// How long a pull goes on after its last player left.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub pull_linger_ms: u64,
    /// How long an origin may take to send media before the next one is tried.
    #[arg(long, value_name = "MS", default_value_t = 5_000)]
    pub pull_probe_ms: u64,
    /// Print one line per lifecycle event of every connection (opened, handshake,
    /// connect, publish and play start and stop with their reasons, pause, close with byte
    /// counts) to stdout, through the server's `on_event` callback.
    #[arg(long)]
    pub log_events: bool,
}

/// `--log-events`: one line per event on stdout (the lock keeps lines whole).
fn print_event(event: Event) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "event {event}");
}

impl RelayArgs {
    /// A server builder with these settings. Fails when the TLS certificate or key cannot
    /// be read or do not match (the error names the file).
    pub fn builder<R: Runtime + Default>(&self) -> io::Result<ServerBuilder<R>> {
        let mut relay = RelayConfig::default();
        if let Some(n) = self.gop_cache_bytes {
            relay.gop_max_bytes = n;
        }
        relay.max_play_wait = self.play_wait_ms.map(Duration::from_millis);
        relay.publisher_grace = Duration::from_millis(self.publisher_grace_ms);
        let mut builder = Server::builder()
            .listen(self.listen)
            .max_connections(self.max_connections)
            .write_merge(Duration::from_millis(self.merge_ms))
            .max_message_len(self.max_message_bytes)
            .memory_budget(self.memory_budget_bytes)
            .stats_interval(Duration::from_secs(self.stats_interval))
            .relay_config(relay);
        if let Some(addr) = self.http_listen {
            builder = builder.http_listen(addr);
        }
        for target in &self.push {
            builder = builder.push(target.clone());
        }
        for origin in &self.pull_from {
            builder = builder.pull_from(origin.clone());
        }
        builder = builder.pull_timing(
            Duration::from_millis(self.pull_linger_ms),
            Duration::from_millis(self.pull_probe_ms),
        );
        if self.log_events {
            builder = builder.on_event(print_event);
        }
        if let Some(n) = self.chunk_size {
            builder = builder.chunk_size(n);
        }
        if let Some(dir) = &self.record {
            builder = builder.record_dir(dir);
        }
        #[cfg(feature = "tls")]
        if let (Some(addr), Some(cert), Some(key)) =
            (self.tls_listen, &self.tls_cert, &self.tls_key)
        {
            builder = builder.tls_listen(addr, TlsAcceptor::from_pem_files(cert, key)?);
        }
        Ok(builder)
    }

    /// What Ctrl-C or SIGTERM does: a drain to `--drain-to` when given, else a graceful
    /// shutdown.
    pub fn on_signal(&self, handle: &ServerHandle) {
        match &self.drain_to {
            Some(url) => {
                tracing::info!(to = %url, "signal: draining");
                handle.drain(Some(url.clone()));
            }
            None => {
                tracing::info!("signal: shutting down");
                handle.shutdown();
            }
        }
    }

    /// Where to publish and play, and where recordings go, for a bound `server`.
    pub fn banner<R: Runtime>(&self, server: &Server<R>) -> String {
        let addr = server.local_addr();
        let mut s = format!(
            "publish to: rtmp://{addr}/live/<stream>   (e.g. rtmp://{addr}/live/test)\n\
             play from:  rtmp://{addr}/live/<stream>"
        );
        #[cfg(feature = "tls")]
        if let Some(tls) = server.tls_local_addr() {
            s.push_str(&format!("\nrtmps:      rtmps://{tls}/live/<stream>"));
        }
        if let Some(dir) = &self.record {
            s.push_str(&format!(
                "\nrecording:  {}/<app>/<stream>-<n>.flv",
                dir.display()
            ));
        }
        for target in &self.push {
            s.push_str(&format!("\npushing to: {target}"));
        }
        for origin in &self.pull_from {
            s.push_str(&format!("\npulling from: {origin}"));
        }
        if let Some(http) = self.http_listen {
            s.push_str(&format!(
                "\nhttp:       http://{http}/ (status), /metrics, /api/streams"
            ));
        }
        s
    }
}
