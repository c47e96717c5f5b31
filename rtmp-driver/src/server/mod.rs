//! The relay server, written once for every runtime: the accept loop with its connection
//! limit and graceful shutdown ([`Server`]), one task per connection (`connection.rs`),
//! the connection's logic (`core.rs`) and the state a publisher's task writes through
//! (`cell.rs`), the fan-out (`hub.rs`), application hooks ([`hooks`]) and the FLV recorder
//! ([`record`]).
//!
//! # One connection task
//!
//! ```text
//! loop {
//!     drain session events      -> hooks (spawned), relay registry, recorder
//!     drain this player's queue -> session.send_media (frames the relay policy accepted)
//!     poll_transmit -> batch    -> one vectored write (until WouldBlock)
//!     wait for: socket readable (or writable while output waits) | session deadline
//!               | hook answer | fan-out signal (also raised for shutdown)
//! }
//! ```

mod budget;
mod builder;
pub(crate) mod cell;
mod connection;
pub(crate) mod core;
pub mod hooks;
pub(crate) mod hub;
pub mod record;
mod shared;

use std::collections::HashMap;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rtmp_proto::relay::Counters;

pub use builder::{DEFAULT_MEMORY_BUDGET, OwnExecutor, ServerBuilder};
pub use cell::{Turn, WireOut};
pub use hooks::{
    BoxFuture, ConnectContext, ConnectDecision, PlayContext, PublishContext, StreamDecision,
};
pub use record::Recorder;
pub use shared::Shared;

use crate::io::Deadline;
#[cfg(feature = "tls")]
use crate::io::tls::{TlsAcceptor, TlsSocket};
use crate::runtime::{Listener, Runtime, Task, sleep_until, timeout_at};
use crate::sync::Mailbox;

/// A bound RTMP relay server. [`run`](Self::run) serves until [`ServerHandle::shutdown`].
#[derive(Debug)]
pub struct Server<R: Runtime> {
    runtime: R,
    listener: R::Listener,
    local_addr: SocketAddr,
    #[cfg(feature = "tls")]
    tls: Option<TlsListener<R::Listener>>,
    shared: Arc<Shared>,
    max_connections: usize,
    worker_threads: usize,
}

/// The RTMPS listener and its certificate.
#[cfg(feature = "tls")]
#[derive(Debug)]
struct TlsListener<L> {
    listener: L,
    addr: SocketAddr,
    acceptor: TlsAcceptor,
}

/// Stops a running server from anywhere and reads its counters; cheap to clone.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    shared: Arc<Shared>,
}

impl ServerHandle {
    /// Graceful shutdown: stop accepting, end every stream (players receive StreamEOF and
    /// `Play.UnpublishNotify`), flush, close. [`Server::run`] returns when done.
    pub fn shutdown(&self) {
        self.shared.stop();
    }

    /// Drains the server to another: every publisher that speaks Enhanced RTMP and
    /// advertised reconnect support is sent `NetConnection.Connect.ReconnectRequest`
    /// (with `target` as the tcUrl to move to, or its own URL when `None`); the server
    /// waits for the publishers to leave, at most `ServerBuilder::drain_wait`, then shuts
    /// down as [`shutdown`](Self::shutdown) does. Publishers that cannot be asked are
    /// closed by that shutdown. A drain in progress ignores a second one.
    pub fn drain(&self, target: Option<String>) {
        self.shared.drain(target);
    }

    /// Relay counters.
    pub fn stats(&self) -> Counters {
        self.shared.hub.stats()
    }
}

/// Shuts the server down when `run`'s future is dropped before it finished, so no
/// connection task outlives it unattended.
struct StopOnDrop(Arc<Shared>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// One step of the accept loop.
enum Step<S> {
    Stop,
    /// A connection on the plain listener (`false`) or the TLS one (`true`).
    Accepted(io::Result<(S, SocketAddr)>, bool),
    /// A connection task finished (its number).
    Done(u64),
    /// Time to look at a drain's progress (or a drain began).
    Look,
}

impl<R: Runtime + Default> Server<R> {
    /// Settings, starting from the defaults.
    pub fn builder() -> ServerBuilder<R> {
        ServerBuilder::default()
    }
}

impl<R: Runtime> Server<R> {
    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The address the RTMPS listener bound, when there is one.
    #[cfg(feature = "tls")]
    pub fn tls_local_addr(&self) -> Option<SocketAddr> {
        self.tls.as_ref().map(|t| t.addr)
    }

    /// A handle to stop the server and read its counters.
    pub fn handle(&self) -> ServerHandle {
        ServerHandle {
            shared: self.shared.clone(),
        }
    }

    /// Accepts and serves connections until shutdown, then waits (at most the grace
    /// period, plus a little) for every connection to finish and cuts the rest.
    pub async fn run(self) -> io::Result<()> {
        let runtime = self.runtime.clone();
        let workers = self.worker_threads;
        runtime
            .run_server(workers, move |rt| self.accept_loop(rt))
            .await
    }

    async fn accept_loop(self, rt: R) -> io::Result<()> {
        let Server {
            listener,
            local_addr,
            shared,
            max_connections,
            #[cfg(feature = "tls")]
            tls,
            ..
        } = self;
        let _stop_on_drop = StopOnDrop(shared.clone());
        tracing::info!(addr = %local_addr, "listening");
        #[cfg(feature = "tls")]
        if let Some(t) = &tls {
            tracing::info!(addr = %t.addr, "listening for RTMPS");
        }
        // Connection tasks by number; each reports its end to `done`.
        let mut tasks: HashMap<u64, R::Task> = HashMap::new();
        let done = Arc::new(Mailbox::new(usize::MAX));
        let mut next_id = 0u64;
        // While draining: when to give up waiting for publishers, and when to look again.
        let mut drain_until = None;
        let mut drain_check = Deadline::<R>::new();
        loop {
            while let Some(id) = done.try_recv() {
                tasks.remove(&id);
            }
            if shared.is_stopping() {
                break;
            }
            if let Some(until) = drain_until.or_else(|| {
                shared.drain_target().map(|target| {
                    tracing::info!(target = ?target, "draining: publishers asked to move");
                    rt.now() + shared.drain_wait
                })
            }) {
                drain_until = Some(until);
                let publishers = shared.hub.stats().publishers;
                if publishers == 0 || rt.now() >= until {
                    tracing::info!(publishers, "drained: shutting down");
                    shared.stop();
                    break;
                }
                drain_check.set(&rt, Some((rt.now() + Duration::from_millis(50)).min(until)));
            }
            let step = poll_fn(|cx| {
                if shared.accept_wake.poll_wait(cx).is_ready() {
                    return Poll::Ready(if shared.is_stopping() {
                        Step::Stop
                    } else {
                        Step::Look
                    });
                }
                if drain_check.poll(cx).is_ready() {
                    return Poll::Ready(Step::Look);
                }
                if let Poll::Ready(id) = done.poll_recv(cx) {
                    return Poll::Ready(Step::Done(id));
                }
                #[cfg(feature = "tls")]
                if let Some(t) = &tls
                    && let Poll::Ready(r) = t.listener.poll_accept(cx)
                {
                    return Poll::Ready(Step::Accepted(r, true));
                }
                listener.poll_accept(cx).map(|r| Step::Accepted(r, false))
            })
            .await;
            match step {
                Step::Stop => break,
                Step::Look => {}
                Step::Done(id) => {
                    tasks.remove(&id);
                }
                Step::Accepted(Err(e), _) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    sleep_until(&rt, rt.now() + Duration::from_millis(50)).await;
                }
                Step::Accepted(Ok((sock, peer)), secure) => {
                    while let Some(id) = done.try_recv() {
                        tasks.remove(&id);
                    }
                    if tasks.len() >= max_connections {
                        tracing::warn!(%peer, "connection refused: max connections reached");
                        drop(sock);
                        continue;
                    }
                    let id = next_id;
                    next_id = next_id.wrapping_add(1);
                    let (shared, done, conn_rt) = (shared.clone(), done.sender(), rt.clone());
                    let task = if secure {
                        #[cfg(feature = "tls")]
                        let Some(t) = &tls else { continue };
                        #[cfg(feature = "tls")]
                        let sock = match TlsSocket::server(sock, &t.acceptor) {
                            Ok(s) => s,
                            Err(e) => {
                                tracing::warn!(%peer, error = %e, "TLS session not created");
                                continue;
                            }
                        };
                        rt.spawn(async move {
                            connection::serve(conn_rt, sock, peer, shared).await;
                            let _ = done.try_send(id);
                        })
                    } else {
                        rt.spawn(async move {
                            connection::serve(conn_rt, sock, peer, shared).await;
                            let _ = done.try_send(id);
                        })
                    };
                    tasks.insert(id, task);
                }
            }
        }
        drop(listener);
        #[cfg(feature = "tls")]
        drop(tls);
        tracing::info!(connections = tasks.len(), "shutting down");
        let limit = rt.now() + shared.grace + Duration::from_secs(1);
        let all_done = async {
            while !tasks.is_empty() {
                let id = done.recv().await;
                tasks.remove(&id);
            }
        };
        if timeout_at(&rt, limit, all_done).await.is_none() {
            while let Some(id) = done.try_recv() {
                tasks.remove(&id);
            }
            tracing::warn!(left = tasks.len(), "connections cut after the grace period");
            for (_, task) in tasks.drain() {
                task.abort();
            }
        }
        Ok(())
    }
}
