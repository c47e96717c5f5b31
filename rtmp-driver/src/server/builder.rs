//! The settings of a relay server: every setting and its default, once for every runtime.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rtmp_proto::Limits;
use rtmp_proto::cluster::Remote;
use rtmp_proto::relay::RelayConfig;
use rtmp_proto::session::ServerConfig;

use super::Server;
#[cfg(feature = "tls")]
use super::TlsListener;
use super::cluster::ClusterConfig;
use super::events::{DEFAULT_EVENT_QUEUE, Event, EventHook, Events};
use super::hooks::{
    self, ConnectContext, ConnectDecision, Hooks, PlayContext, PublishContext, StreamDecision,
};
use super::hub::Hub;
use super::shared::Shared;
#[cfg(feature = "tls")]
use crate::io::tls::TlsAcceptor;
use crate::runtime::{Listener, Runtime};

/// The default of [`ServerBuilder::memory_budget`]: a small machine's share for peers.
pub const DEFAULT_MEMORY_BUDGET: usize = 256 * 1024 * 1024;

/// A runtime whose server drives its own executor (smol's), so the builder can give it
/// threads ([`ServerBuilder::worker_threads`]). Under tokio the runtime's own worker
/// threads run the connections and there is nothing to set.
pub trait OwnExecutor: Runtime {}

/// Settings of a relay server; start with the adapter's `Server::builder()`.
pub struct ServerBuilder<R: Runtime> {
    runtime: R,
    worker_threads: usize,
    listen: SocketAddr,
    #[cfg(feature = "tls")]
    tls: Option<(SocketAddr, TlsAcceptor)>,
    session: ServerConfig,
    max_connections: usize,
    hooks: Hooks,
    on_event: Option<EventHook>,
    event_queue: usize,
    record_dir: Option<PathBuf>,
    relay: RelayConfig,
    grace: Duration,
    write_merge: Duration,
    memory_budget: usize,
    drain_wait: Duration,
    stats_interval: Duration,
    cluster: ClusterConfig,
    #[cfg(feature = "http")]
    http_listen: Option<SocketAddr>,
}

impl<R: Runtime> fmt::Debug for ServerBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("runtime", &self.runtime)
            .field("worker_threads", &self.worker_threads)
            .field("listen", &self.listen)
            .field("tls", &self.tls_addr())
            .field("session", &self.session)
            .field("max_connections", &self.max_connections)
            .field("hooks", &self.hooks)
            .field("on_event", &self.on_event.is_some())
            .field("event_queue", &self.event_queue)
            .field("record_dir", &self.record_dir)
            .field("relay", &self.relay)
            .field("grace", &self.grace)
            .field("write_merge", &self.write_merge)
            .field("memory_budget", &self.memory_budget)
            .field("drain_wait", &self.drain_wait)
            .field("stats_interval", &self.stats_interval)
            .field("cluster", &self.cluster)
            .finish_non_exhaustive()
    }
}

impl<R: Runtime + Default> Default for ServerBuilder<R> {
    fn default() -> Self {
        ServerBuilder {
            runtime: R::default(),
            worker_threads: 0,
            listen: SocketAddr::from(([127, 0, 0, 1], 1935)),
            #[cfg(feature = "tls")]
            tls: None,
            session: ServerConfig::default(),
            max_connections: 1024,
            hooks: Hooks::default(),
            on_event: None,
            event_queue: DEFAULT_EVENT_QUEUE,
            record_dir: None,
            relay: RelayConfig::default(),
            grace: Duration::from_secs(5),
            write_merge: Duration::ZERO,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            drain_wait: Duration::from_secs(10),
            stats_interval: Duration::ZERO,
            cluster: ClusterConfig::default(),
            #[cfg(feature = "http")]
            http_listen: None,
        }
    }
}

impl<R: Runtime> ServerBuilder<R> {
    /// The runtime value the server's tasks are spawned with (default: the runtime's
    /// `Default`).
    pub fn runtime(mut self, runtime: R) -> Self {
        self.runtime = runtime;
        self
    }

    /// Address to listen on (default `127.0.0.1:1935`; port 0 picks a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Also listens for RTMPS on `addr` (port 0 picks a free port), with `acceptor`'s
    /// certificate, beside the plain listener. The TLS handshake counts toward the RTMP
    /// handshake's deadline; a plain RTMP client on this port is closed with that reason
    /// in the log. See [`crate::io::tls`].
    #[cfg(feature = "tls")]
    pub fn tls_listen(mut self, addr: SocketAddr, acceptor: TlsAcceptor) -> Self {
        self.tls = Some((addr, acceptor));
        self
    }

    fn tls_addr(&self) -> Option<SocketAddr> {
        #[cfg(feature = "tls")]
        return self.tls.as_ref().map(|(a, _)| *a);
        #[cfg(not(feature = "tls"))]
        None
    }

    /// The configuration every connection's `ServerSession` starts from (the handshake
    /// seed is replaced per connection from the OS).
    pub fn session_config(mut self, config: ServerConfig) -> Self {
        self.session = config;
        self
    }

    /// Protocol limits (message sizes, chunk streams, AMF depth...).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.session.limits = limits;
        self
    }

    /// Our outbound chunk size.
    pub fn chunk_size(mut self, size: u32) -> Self {
        self.session.chunk_size = size;
        self
    }

    /// Most connections served at once; further ones are closed right after accept.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// Records every published stream to `dir/<app>/<stream>-<n>.flv`.
    pub fn record_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.record_dir = Some(dir.into());
        self
    }

    /// Relay policy: duplicate publishes, GOP cache size, player lag limits.
    pub fn relay_config(mut self, config: RelayConfig) -> Self {
        self.relay = config;
        self
    }

    /// How long shutdown waits for connections to flush before cutting them.
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// Holds each player's output until its oldest held byte is this old, then writes it all
    /// at once (SRS's "merged write"; default zero: every frame is written when it arrives).
    /// Fewer, larger writes cost less CPU per delivered byte, mostly in the kernel, and add
    /// up to this much latency: a knob for servers with many players and no need for low
    /// latency. Connections that do not play are never held.
    pub fn write_merge(mut self, window: Duration) -> Self {
        self.write_merge = window;
        self
    }

    /// Most bytes all connections together may hold for their peers (messages being
    /// reassembled, commands waiting behind a decision, relayed frames not yet written to
    /// every player, each counted once); over it, the connections holding the most are
    /// closed. Default 256 MiB.
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// How long [`ServerHandle::drain`](super::ServerHandle::drain) waits for publishers
    /// to move before it shuts the server down (default 10 s).
    pub fn drain_wait(mut self, wait: Duration) -> Self {
        self.drain_wait = wait;
        self
    }

    /// Largest audio or video message accepted on a stream whose publish was accepted
    /// (default 16 MiB, also the cap); the smaller bounds before `connect` and for commands
    /// are in [`Limits`].
    pub fn max_message_len(mut self, bytes: u32) -> Self {
        self.session.limits.max_message_len = bytes;
        self
    }

    /// Decides connects: accept, reject or redirect ([`ConnectDecision`]). Without a hook
    /// every connect is accepted.
    pub fn on_connect<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(ConnectContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ConnectDecision> + Send + 'static,
    {
        self.hooks.connect = Some(hooks::boxed(f));
        self
    }

    /// Decides publishes: accept or reject ([`StreamDecision`]), before the relay's own
    /// duplicate check. Without a hook every publish is accepted.
    pub fn on_publish<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(PublishContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = StreamDecision> + Send + 'static,
    {
        self.hooks.publish = Some(hooks::boxed(f));
        self
    }

    /// Decides plays: accept or reject ([`StreamDecision`]). Without a hook every play is
    /// accepted.
    pub fn on_play<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(PlayContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = StreamDecision> + Send + 'static,
    {
        self.hooks.play = Some(hooks::boxed(f));
        self
    }

    /// Filters connections by peer address as they are accepted, before any byte is read
    /// or written: `false` closes the socket at once (the peer sees the connection closed
    /// without a byte). Runs on the accept loop, so it must be quick (a set lookup, not a
    /// network call); no other event is reported for a refused connection.
    pub fn on_accept<F>(mut self, f: F) -> Self
    where
        F: Fn(SocketAddr) -> bool + Send + Sync + 'static,
    {
        self.hooks.accept = Some(Arc::new(f));
        self
    }

    /// Tells `f` every step of every connection ([`Event`]: opened, handshake, connect,
    /// publish and play start and stop with their reasons, pause, close with byte counts),
    /// in order per connection. `f` runs on a thread of its own fed by a bounded queue
    /// ([`event_queue`](Self::event_queue)): it may block or panic without holding up any
    /// connection (see [`events`](super::events)).
    pub fn on_event<F>(mut self, f: F) -> Self
    where
        F: Fn(Event) + Send + Sync + 'static,
    {
        self.on_event = Some(Arc::new(f));
        self
    }

    /// How many events may wait for the [`on_event`](Self::on_event) callback; beyond
    /// that new events are dropped and counted (default 4096).
    pub fn event_queue(mut self, events: usize) -> Self {
        self.event_queue = events;
        self
    }

    /// Every `interval`, one INFO line per live stream (bitrate in and out, players,
    /// drops, uptime); zero (the default) for none.
    pub fn stats_interval(mut self, interval: Duration) -> Self {
        self.stats_interval = interval;
        self
    }

    /// Serves the HTTP side (metrics, stream API, status page: [`crate::http`]) on
    /// `addr` too (port 0 picks a free port; see `Server::http_addr`). Off by default.
    #[cfg(feature = "http")]
    pub fn http_listen(mut self, addr: SocketAddr) -> Self {
        self.http_listen = Some(addr);
        self
    }

    /// Pushes every stream published here (by a peer or by [`ServerHandle::publish`],
    /// not one pulled here) on to `target`, with a resilient client per stream: backoff,
    /// the target's `|`-separated alternatives as its failover list, and a fresh start at
    /// a keyframe with the sequence headers after each reconnect. Repeat for more
    /// targets. A target that is down or slow never holds up the stream here.
    ///
    /// [`ServerHandle::publish`]: super::ServerHandle::publish
    pub fn push(mut self, target: Remote) -> Self {
        self.cluster.push.push(target);
        self
    }

    /// Makes this server an edge of `origin`: a play of a stream that is not live here
    /// pulls it from the first origin (in the order of these calls) that has it, once
    /// however many players ask, and the players wait for it meanwhile. When the origin
    /// dies, the next one is tried and the players are held (the publisher grace).
    pub fn pull_from(mut self, origin: Remote) -> Self {
        self.cluster.pull.origins.push(origin);
        self
    }

    /// How long a pull goes on after its last player left (default 10 s), and how long
    /// an origin may take to send media before the next is tried (default 5 s); with no
    /// effect unless [`pull_from`](Self::pull_from) is set.
    pub fn pull_timing(mut self, linger: Duration, probe: Duration) -> Self {
        self.cluster.pull.linger = linger;
        self.cluster.pull.probe = probe;
        self
    }

    /// Binds the listeners (the plain one, and the TLS and HTTP ones when set).
    pub async fn bind(self) -> io::Result<Server<R>> {
        let listener = self.runtime.bind(self.listen)?;
        let local_addr = listener.local_addr()?;
        #[cfg(feature = "http")]
        let http = match self.http_listen {
            Some(addr) => {
                let l = self.runtime.bind(addr)?;
                let addr = l.local_addr()?;
                Some((l, addr))
            }
            None => None,
        };
        #[cfg(feature = "tls")]
        let tls = match self.tls {
            Some((addr, acceptor)) => {
                let listener = self.runtime.bind(addr)?;
                let addr = listener.local_addr()?;
                Some(TlsListener {
                    listener,
                    addr,
                    acceptor,
                })
            }
            None => None,
        };
        let events = match self.on_event {
            Some(hook) => Events::start(hook, self.event_queue)?,
            None => Events::off(),
        };
        let shared = Arc::new(
            Shared::new(
                self.session,
                self.hooks,
                self.record_dir,
                Hub::new(self.relay, self.memory_budget),
                self.grace,
                self.write_merge,
                self.drain_wait,
            )
            .with_events(events),
        );
        if self.cluster.is_active() {
            self.cluster.watch(&shared.hub);
        }
        let rt = self.runtime.clone();
        shared.set_sleeper(Arc::new(move |at| {
            let rt = rt.clone();
            Box::pin(async move { crate::runtime::sleep_until(&rt, at).await })
        }));
        Ok(Server {
            runtime: self.runtime,
            listener,
            local_addr,
            #[cfg(feature = "tls")]
            tls,
            shared,
            max_connections: self.max_connections,
            worker_threads: self.worker_threads,
            stats_interval: self.stats_interval,
            cluster: self.cluster,
            #[cfg(feature = "http")]
            http,
        })
    }
}

impl<R: OwnExecutor> ServerBuilder<R> {
    /// Threads that run connection tasks besides the one awaiting the server's `run`
    /// (default 0: everything on that one); the counterpart of a multi-thread runtime for
    /// a server that owns its executor.
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.worker_threads = n;
        self
    }
}
