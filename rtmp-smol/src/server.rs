//! The server: a listener, a builder for its settings, the accept loop and graceful
//! shutdown.
//!
//! Connection tasks run on an executor the server owns, driven by whoever awaits
//! [`Server::run`] (plus [`ServerBuilder::worker_threads`] extra threads): nothing of the
//! server outlives `run`, and it works the same under `smol::block_on`, inside a
//! `smol::spawn`ed task or under any other executor.

use std::collections::HashMap;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtmp_driver::server_builder::{ServerRuntime, WorkerThreads};
use rtmp_driver::shared::Shared;
use rtmp_proto::relay::Counters;
use smol::channel::{self, Receiver, Sender};
use smol::{Async, Executor, Task, Timer, future};

use crate::client::Smol;
use crate::conn::{self, ConnEnv};

/// Settings of a [`Server`]; start with [`Server::builder`]. Shared with the other adapter
/// through [`rtmp_driver::server_builder`]; `bind` binds a smol listener, and
/// [`worker_threads`](ServerBuilder::worker_threads) is this adapter's own setting.
pub type ServerBuilder = rtmp_driver::server_builder::ServerBuilder<Smol>;

impl ServerRuntime for Smol {
    type Server = Server;
    type Extra = WorkerThreads;

    async fn bind(builder: ServerBuilder) -> io::Result<Server> {
        let parts = builder.into_parts();
        let listener = Async::<TcpListener>::bind(parts.listen)?;
        let local_addr = listener.get_ref().local_addr()?;
        // Never sent on: closing it is the shutdown broadcast.
        let (stop_tx, stop_rx) = channel::bounded(1);
        Ok(Server {
            listener,
            local_addr,
            shared: parts.shared,
            max_connections: parts.max_connections,
            worker_threads: parts.extra.0,
            stop_tx,
            stop_rx,
        })
    }
}

/// A bound RTMP relay server. [`run`](Self::run) serves until [`ServerHandle::shutdown`].
#[derive(Debug)]
pub struct Server {
    listener: Async<TcpListener>,
    local_addr: SocketAddr,
    shared: Arc<Shared>,
    max_connections: usize,
    worker_threads: usize,
    stop_tx: Sender<()>,
    stop_rx: Receiver<()>,
}

/// Stops a running server from anywhere; cheap to clone.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    stop_tx: Sender<()>,
    shared: Arc<Shared>,
}

impl ServerHandle {
    /// Graceful shutdown: stop accepting, end every stream (players receive StreamEOF and
    /// `Play.UnpublishNotify`), flush, close. [`Server::run`] returns when done.
    pub fn shutdown(&self) {
        self.stop_tx.close();
    }

    /// Relay counters.
    pub fn stats(&self) -> Counters {
        self.shared.hub.stats()
    }
}

/// One step of the accept loop.
enum Step {
    Stop,
    Accepted(io::Result<(Async<TcpStream>, SocketAddr)>),
    /// A connection task finished (its id).
    Done(Option<u64>),
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
        let executor = Arc::new(Executor::new());
        let workers = spawn_workers(&executor, self.worker_threads)?;
        let result = executor.run(self.serve(executor.clone())).await;
        // Workers leave once the server's own loop is done.
        drop(workers);
        result
    }

    async fn serve(self, executor: Arc<Executor<'static>>) -> io::Result<()> {
        let Server {
            listener,
            local_addr,
            shared,
            max_connections,
            stop_tx,
            stop_rx,
            ..
        } = self;
        tracing::info!(addr = %local_addr, "listening");
        let env = ConnEnv {
            shared: shared.clone(),
            stop: stop_rx.clone(),
            executor: executor.clone(),
        };
        // Connection tasks by id; each reports its end on `done`, and dropping a task
        // cancels it (for the ones left after the grace period).
        let mut tasks: HashMap<u64, Task<()>> = HashMap::new();
        let (done_tx, done_rx) = channel::unbounded::<u64>();
        let mut next_id = 0u64;
        loop {
            while let Ok(id) = done_rx.try_recv() {
                tasks.remove(&id);
            }
            if stop_rx.is_closed() {
                break;
            }
            let stop = async {
                let _ = stop_rx.recv().await;
                Step::Stop
            };
            let accept = async { Step::Accepted(listener.accept().await) };
            let done = async { Step::Done(done_rx.recv().await.ok()) };
            match future::or(stop, future::or(accept, done)).await {
                Step::Stop => break,
                Step::Done(id) => {
                    if let Some(id) = id {
                        tasks.remove(&id);
                    }
                }
                Step::Accepted(Err(e)) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    Timer::after(Duration::from_millis(50)).await;
                }
                Step::Accepted(Ok((sock, peer))) => {
                    while let Ok(id) = done_rx.try_recv() {
                        tasks.remove(&id);
                    }
                    if tasks.len() >= max_connections {
                        tracing::warn!(%peer, "connection refused: max connections reached");
                        drop(sock);
                        continue;
                    }
                    let id = next_id;
                    next_id = next_id.wrapping_add(1);
                    let env = env.clone();
                    let done = done_tx.clone();
                    let task = executor.spawn(async move {
                        conn::serve(sock, peer, env).await;
                        let _ = done.try_send(id);
                    });
                    tasks.insert(id, task);
                }
            }
        }
        drop(listener);
        tracing::info!(connections = tasks.len(), "shutting down");
        let limit = Instant::now() + shared.grace + Duration::from_secs(1);
        while !tasks.is_empty() {
            let done = async { done_rx.recv().await.ok() };
            let expired = async {
                Timer::at(limit).await;
                None
            };
            match future::or(done, expired).await {
                Some(id) => {
                    tasks.remove(&id);
                }
                None => break,
            }
        }
        if !tasks.is_empty() {
            tracing::warn!(left = tasks.len(), "connections cut after the grace period");
            for (_, task) in tasks.drain() {
                task.cancel().await;
            }
        }
        // Kept alive until here: with no `ServerHandle` left, dropping the last sender
        // would read as a shutdown.
        drop(stop_tx);
        Ok(())
    }
}

/// Extra threads ticking the server's executor until dropped.
#[derive(Debug)]
struct Workers {
    /// Closed on drop: every worker's `run` future ends.
    quit: Sender<()>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Drop for Workers {
    /// Joins the threads (a blocking wait, but a short one: each leaves as soon as its
    /// current task yields), so no thread of the server outlives `run`.
    fn drop(&mut self) {
        // Fields drop after this body: close `quit` first so the joins return.
        self.quit.close();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn spawn_workers(executor: &Arc<Executor<'static>>, n: usize) -> io::Result<Workers> {
    let (quit, quit_rx) = channel::bounded::<()>(1);
    let mut threads = Vec::with_capacity(n);
    for i in 0..n {
        let executor = executor.clone();
        let quit_rx = quit_rx.clone();
        let thread = std::thread::Builder::new()
            .name(format!("rtmp-smol-{i}"))
            .spawn(move || {
                smol::block_on(executor.run(async {
                    let _ = quit_rx.recv().await;
                }));
            })?;
        threads.push(thread);
    }
    Ok(Workers { quit, threads })
}
