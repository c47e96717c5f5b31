//! The server: a listener, a builder for its settings, the accept loop and graceful
//! shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rtmp_proto::Limits;
use rtmp_proto::relay::{Counters, RelayConfig};
use rtmp_proto::session::ServerConfig;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::conn;
use rtmp_driver::hooks::{self, ConnectContext, Decision, Hooks, PlayContext, PublishContext};
use rtmp_driver::hub::Hub;
use rtmp_driver::shared::Shared;

/// Settings of a [`Server`]; start with [`Server::builder`].
#[derive(Debug)]
pub struct ServerBuilder {
    listen: SocketAddr,
    session: ServerConfig,
    max_connections: usize,
    hooks: Hooks,
    record_dir: Option<PathBuf>,
    relay: RelayConfig,
    grace: Duration,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 1935)),
            session: ServerConfig::default(),
            max_connections: 1024,
            hooks: Hooks::default(),
            record_dir: None,
            relay: RelayConfig::default(),
            grace: Duration::from_secs(5),
        }
    }
}

impl ServerBuilder {
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
    pub async fn bind(self) -> io::Result<Server> {
        let listener = TcpListener::bind(self.listen).await?;
        let local_addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            session: self.session,
            hooks: self.hooks,
            record_dir: self.record_dir,
            hub: Hub::new(self.relay),
            grace: self.grace,
        });
        Ok(Server {
            listener,
            local_addr,
            shared,
            permits: Arc::new(Semaphore::new(self.max_connections)),
            stop_tx: Arc::new(stop_tx),
            stop_rx,
        })
    }
}

/// A bound RTMP relay server. [`run`](Self::run) serves until [`ServerHandle::shutdown`].
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    permits: Arc<Semaphore>,
    stop_tx: Arc<watch::Sender<bool>>,
    stop_rx: watch::Receiver<bool>,
}

/// Stops a running server from anywhere; cheap to clone.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    stop_tx: Arc<watch::Sender<bool>>,
    shared: Arc<Shared>,
}

impl ServerHandle {
    /// Graceful shutdown: stop accepting, end every stream (players receive StreamEOF and
    /// `Play.UnpublishNotify`), flush, close. [`Server::run`] returns when done.
    pub fn shutdown(&self) {
        self.stop_tx.send_replace(true);
    }

    /// Relay counters.
    pub fn stats(&self) -> Counters {
        self.shared.hub.stats()
    }
}

impl Server {
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            stop_tx: self.stop_tx.clone(),
            shared: self.shared.clone(),
        }
    }

    /// Accepts and serves connections until shutdown, then waits (at most the grace
    /// period, plus a little) for every connection to finish.
    pub async fn run(self) -> io::Result<()> {
        let Server {
            listener,
            shared,
            permits,
            mut stop_rx,
            ..
        } = self;
        tracing::info!(addr = %self.local_addr, "listening");
        let mut tasks = JoinSet::new();
        loop {
            if *stop_rx.borrow() {
                break;
            }
            tokio::select! {
                _ = stop_rx.changed() => break,
                accepted = listener.accept() => {
                    let (sock, peer) = match accepted {
                        Ok(a) => a,
                        Err(e) => {
                            // EMFILE and friends: back off instead of spinning.
                            tracing::warn!(error = %e, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    };
                    let Ok(permit) = permits.clone().try_acquire_owned() else {
                        tracing::warn!(%peer, "connection refused: max connections reached");
                        drop(sock);
                        continue;
                    };
                    let shared = shared.clone();
                    let stop = stop_rx.clone();
                    tasks.spawn(async move {
                        conn::serve(sock, peer, shared, stop).await;
                        drop(permit);
                    });
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        drop(listener);
        tracing::info!(connections = tasks.len(), "shutting down");
        let wait_all = async { while tasks.join_next().await.is_some() {} };
        let limit = shared.grace + Duration::from_secs(1);
        if tokio::time::timeout(limit, wait_all).await.is_err() {
            tracing::warn!(left = tasks.len(), "connections cut after the grace period");
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        Ok(())
    }
}
