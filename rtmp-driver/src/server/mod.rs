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
mod cluster;
mod connection;
pub(crate) mod core;
pub(crate) mod counters;
pub mod events;
pub mod hooks;
pub(crate) mod hub;
pub(crate) mod link;
mod local_publisher;
pub mod record;
mod shared;
mod subscriber;
pub mod tap;

use std::collections::HashMap;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rtmp_proto::relay::{Counters, StreamKey};
use rtmp_proto::session::Rejection;

pub use builder::{DEFAULT_MEMORY_BUDGET, OwnExecutor, ServerBuilder};
pub use cell::{Turn, WireOut};
pub use cluster::{PushView, StreamSource};
pub use events::{CloseCause, Event, EventKind, Request, StopReason};
pub use hooks::{
    BoxFuture, ConnectContext, ConnectDecision, PlayContext, PublishContext, StreamDecision,
};
pub use hub::StreamView;
pub use local_publisher::LocalPublisher;
pub use record::Recorder;
pub use shared::Shared;
pub use subscriber::{IN_PROCESS, Subscriber, SubscriptionEnd};
pub use tap::{Tap, TapEvent, TapItem, TapMode};

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
    stats_interval: Duration,
    cluster: cluster::ClusterConfig,
    #[cfg(feature = "http")]
    http: Option<(R::Listener, SocketAddr)>,
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

    /// Relay and server counters: connections (by state, by transport), publishers,
    /// players, bytes and frames in and out, refusals by cause, lag disconnects.
    pub fn stats(&self) -> Counters {
        self.shared.stats()
    }

    /// Lifecycle events dropped because the [`on_event`](ServerBuilder::on_event)
    /// callback fell a whole queue behind (see [`events`]).
    pub fn events_dropped(&self) -> u64 {
        self.shared.events.dropped()
    }

    /// Every live stream (or one held for a new publisher) with its figures: codecs,
    /// picture, bitrates, players, drops.
    pub fn streams(&self) -> Vec<StreamView> {
        self.shared.streams()
    }

    /// Plays `app`/`name` from your own code: a [`Subscriber`] gets the stream's frames
    /// through the same GOP cache, late-join burst, lag policy, waiting for a publisher and
    /// publisher grace as a network player (refused as a play would be: not live and the
    /// relay does not wait, or too many waiting). Dropping it leaves the stream.
    pub fn subscribe(&self, app: &str, name: &str) -> Result<Subscriber, Rejection> {
        Subscriber::join(self.shared.clone(), StreamKey::new(app, name))
    }

    /// Taps `app`/`name`: a [`Tap`] is a [`Subscriber`] delivering the stream as FLV
    /// tags, parsed codec frames or stream events ([`TapMode`]), under the same player
    /// policy (a tap that falls behind drops to the next keyframe, then is cut). Refused
    /// as [`subscribe`](Self::subscribe) is.
    pub fn tap(&self, app: &str, name: &str, mode: TapMode) -> Result<Tap, Rejection> {
        Ok(Tap::new(self.subscribe(app, name)?, mode))
    }

    /// Publishes `app`/`name` from your own code: a [`LocalPublisher`] takes the stream's
    /// publish slot (refused while another publisher holds it, as a network publish would
    /// be; the `on_publish` hook is for peers and is not asked) and feeds the same
    /// fan-out. Dropping it ends the publish.
    pub fn publish(&self, app: &str, name: &str) -> Result<LocalPublisher, Rejection> {
        LocalPublisher::start(self.shared.clone(), StreamKey::new(app, name))
    }
}

/// Shuts the server down when `run`'s future is dropped before it finished, so no
/// connection task outlives it unattended.
/// Aborts the tasks when dropped (the accept loop ends, however it ends).
struct AbortOnDrop<T: Task>(Vec<T>);

impl<T: Task> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        for t in self.0.drain(..) {
            t.abort();
        }
    }
}

/// One INFO line per live stream every `interval`.
async fn log_stats<R: Runtime>(rt: R, shared: Arc<Shared>, interval: Duration) {
    loop {
        sleep_until(&rt, rt.now() + interval).await;
        for v in shared.streams() {
            let s = &v.stats;
            tracing::info!(
                stream = %v.key,
                in_kbps = s.bitrate_in / 1000,
                out_kbps = s.bitrate_out / 1000,
                players = v.players,
                dropped = s.frames_dropped,
                uptime_s = s.uptime.as_secs(),
                "stream stats"
            );
        }
    }
}

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

    /// The HTTP side's address, when [`ServerBuilder::http_listen`] asked for one.
    #[cfg(feature = "http")]
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().map(|(_, addr)| *addr)
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
            stats_interval,
            cluster,
            #[cfg(feature = "http")]
            http,
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
        // Tasks beside the accept loop, ended with it.
        let mut side_tasks: Vec<R::Task> = Vec::new();
        #[cfg(feature = "http")]
        if let Some((http, addr)) = http {
            tracing::info!(%addr, "http listening");
            side_tasks.push(rt.spawn(crate::http::serve(rt.clone(), http, shared.clone())));
        }
        if !stats_interval.is_zero() {
            side_tasks.push(rt.spawn(log_stats(rt.clone(), shared.clone(), stats_interval)));
        }
        if cluster.is_active() {
            side_tasks.push(rt.spawn(cluster::run(rt.clone(), shared.clone(), cluster)));
        }
        let _side_tasks = AbortOnDrop(side_tasks);
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
                    if !shared.hooks.accepts(peer) {
                        tracing::info!(%peer, "connection refused by the accept filter");
                        drop(sock);
                        continue;
                    }
                    if tasks.len() >= max_connections {
                        tracing::warn!(%peer, "connection refused: max connections reached");
                        shared.counters.refused(counters::Refused::ConnectByLimit);
                        drop(sock);
                        continue;
                    }
                    let id = next_id;
                    next_id = next_id.wrapping_add(1);
                    shared.counters.accepted(secure);
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
