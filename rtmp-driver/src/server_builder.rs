//! The settings of a relay server, shared by both adapters.
//!
//! `rtmp-tokio` and `rtmp-smol` expose `ServerBuilder` as this type with their own
//! [`ServerRuntime`], which only says how to bind a listener and what a server is on that
//! runtime; every setting and its default live here once.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rtmp_proto::Limits;
use rtmp_proto::relay::RelayConfig;
use rtmp_proto::session::ServerConfig;

use crate::hooks::{self, ConnectContext, Decision, Hooks, PlayContext, PublishContext};
use crate::hub::Hub;
use crate::shared::Shared;

/// How an adapter binds a server.
pub trait ServerRuntime: Sized {
    type Server;
    /// Settings only this runtime has (`()` when it has none).
    type Extra: Default + fmt::Debug + Send;
    fn bind(builder: ServerBuilder<Self>) -> impl Future<Output = io::Result<Self::Server>> + Send;
}

/// Threads that run connection tasks besides the one driving the server: the setting of
/// a runtime whose server owns its executor (smol's), its [`ServerRuntime::Extra`].
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WorkerThreads(pub usize);

/// What a runtime's `bind` takes out of the builder.
#[derive(Debug)]
#[non_exhaustive]
pub struct ServerParts<E> {
    pub listen: SocketAddr,
    /// Read by every connection: settings, hooks and the relay hub.
    pub shared: Arc<Shared>,
    pub max_connections: usize,
    pub extra: E,
}

/// Settings of a relay server; start with the adapter's `Server::builder()`.
pub struct ServerBuilder<R: ServerRuntime> {
    listen: SocketAddr,
    session: ServerConfig,
    max_connections: usize,
    hooks: Hooks,
    record_dir: Option<PathBuf>,
    relay: RelayConfig,
    grace: Duration,
    write_merge: Duration,
    extra: R::Extra,
}

impl<R: ServerRuntime> fmt::Debug for ServerBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("listen", &self.listen)
            .field("session", &self.session)
            .field("max_connections", &self.max_connections)
            .field("hooks", &self.hooks)
            .field("record_dir", &self.record_dir)
            .field("relay", &self.relay)
            .field("grace", &self.grace)
            .field("write_merge", &self.write_merge)
            .field("extra", &self.extra)
            .finish()
    }
}

impl<R: ServerRuntime> Default for ServerBuilder<R> {
    fn default() -> Self {
        ServerBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 1935)),
            session: ServerConfig::default(),
            max_connections: 1024,
            hooks: Hooks::default(),
            record_dir: None,
            relay: RelayConfig::default(),
            grace: Duration::from_secs(5),
            write_merge: Duration::ZERO,
            extra: R::Extra::default(),
        }
    }
}

impl<R: ServerRuntime> ServerBuilder<R> {
    /// Address to listen on (default `127.0.0.1:1935`; port 0 picks a free port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
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

    /// Decides connects. Without a hook every connect is accepted.
    pub fn on_connect<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(ConnectContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Decision> + Send + 'static,
    {
        self.hooks.connect = Some(hooks::boxed(f));
        self
    }

    /// Decides publishes (before the relay's own duplicate check).
    pub fn on_publish<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(PublishContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Decision> + Send + 'static,
    {
        self.hooks.publish = Some(hooks::boxed(f));
        self
    }

    /// Decides plays.
    pub fn on_play<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(PlayContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Decision> + Send + 'static,
    {
        self.hooks.play = Some(hooks::boxed(f));
        self
    }

    /// Binds the listener.
    pub async fn bind(self) -> io::Result<R::Server> {
        R::bind(self).await
    }

    /// For a runtime's `bind`: the listen address, the state every connection shares, and
    /// the settings the accept loop needs.
    pub fn into_parts(self) -> ServerParts<R::Extra> {
        ServerParts {
            listen: self.listen,
            shared: Arc::new(Shared {
                session: self.session,
                hooks: self.hooks,
                record_dir: self.record_dir,
                hub: Hub::new(self.relay),
                grace: self.grace,
                write_merge: self.write_merge,
            }),
            max_connections: self.max_connections,
            extra: self.extra,
        }
    }
}

impl<R: ServerRuntime<Extra = WorkerThreads>> ServerBuilder<R> {
    /// Threads that run connection tasks besides the one awaiting the server's `run`
    /// (default 0: everything on that one); the counterpart of a multi-thread runtime for
    /// a server that owns its executor.
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.extra = WorkerThreads(n);
        self
    }
}
