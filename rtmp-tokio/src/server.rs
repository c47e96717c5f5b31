//! The server: a listener, a builder for its settings, the accept loop and graceful
//! shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rtmp_driver::server_builder::ServerRuntime;
use rtmp_driver::shared::Shared;
use rtmp_proto::relay::Counters;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::client::Tokio;
use crate::conn;

/// Settings of a [`Server`]; start with [`Server::builder`]. Shared with the other adapter
/// through [`rtmp_driver::server_builder`]; `bind` binds a tokio listener.
pub type ServerBuilder = rtmp_driver::server_builder::ServerBuilder<Tokio>;

impl ServerRuntime for Tokio {
    type Server = Server;
    type Extra = ();

    async fn bind(builder: ServerBuilder) -> io::Result<Server> {
        let parts = builder.into_parts();
        let listener = TcpListener::bind(parts.listen).await?;
        let local_addr = listener.local_addr()?;
        let (stop_tx, stop_rx) = watch::channel(false);
        Ok(Server {
            listener,
            local_addr,
            shared: parts.shared,
            permits: Arc::new(Semaphore::new(parts.max_connections)),
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
