//! [`Smol`]: the driver's runtime trait on smol.

use std::future::Future;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;
use rtmp_driver::runtime::{Listener, Runtime, Socket, Task, Timer};
use rtmp_driver::server::OwnExecutor;
use smol::{Async, Executor};

/// smol, as the driver's [`Runtime`]. The default value spawns on smol's global executor
/// (what the client's tasks use); a server runs its connection and hook tasks on an
/// executor of its own, driven by whoever awaits `Server::run` plus the builder's
/// `worker_threads`, so nothing of the server outlives `run` and it works under
/// `smol::block_on`, inside a spawned task or under any other executor.
#[derive(Debug, Clone, Default)]
pub struct Smol {
    executor: Option<Arc<Executor<'static>>>,
}

/// A smol TCP stream.
#[derive(Debug)]
pub struct SmolSocket(Async<TcpStream>);

/// A smol TCP listener.
#[derive(Debug)]
pub struct SmolListener(Async<TcpListener>);

/// A smol timer.
#[derive(Debug)]
pub struct SmolTimer(smol::Timer);

/// A smol task; dropping the handle detaches the task (smol's own `Task` would cancel it).
#[derive(Debug)]
pub struct SmolTask(Option<smol::Task<()>>);

impl Runtime for Smol {
    type Socket = SmolSocket;
    type Listener = SmolListener;
    type Timer = SmolTimer;
    type Task = SmolTask;

    fn spawn<F>(&self, future: F) -> SmolTask
    where
        F: Future<Output = ()> + Send + 'static,
    {
        SmolTask(Some(match &self.executor {
            Some(ex) => ex.spawn(future),
            None => smol::spawn(future),
        }))
    }

    fn timer(&self, at: Instant) -> SmolTimer {
        SmolTimer(smol::Timer::at(at))
    }

    async fn connect(&self, addr: &str) -> io::Result<SmolSocket> {
        let mut last_err = None;
        for a in smol::net::resolve(addr).await? {
            match Async::<TcpStream>::connect(a).await {
                Ok(s) => {
                    s.get_ref().set_nodelay(true)?;
                    return Ok(SmolSocket(s));
                }
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")
        }))
    }

    fn bind(&self, addr: SocketAddr) -> io::Result<SmolListener> {
        Ok(SmolListener(Async::<TcpListener>::bind(addr)?))
    }

    async fn run_server<F, B>(&self, worker_threads: usize, body: B) -> F::Output
    where
        B: FnOnce(Self) -> F,
        F: Future + Send,
        F::Output: Send,
    {
        let executor = Arc::new(Executor::new());
        let workers = Workers::spawn(&executor, worker_threads);
        let rt = Smol {
            executor: Some(executor.clone()),
        };
        let out = executor.run(body(rt)).await;
        // Workers leave once the server's own loop is done.
        drop(workers);
        out
    }
}

impl OwnExecutor for Smol {}

impl Socket for SmolSocket {
    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_readable(cx)
    }

    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_writable(cx)
    }

    /// Safe code cannot read into uninitialized capacity, so the spare capacity is zeroed
    /// first and trimmed after.
    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        let start = buf.len();
        let room = buf.capacity() - start;
        buf.resize(start + room, 0);
        let result = match buf.get_mut(start..) {
            Some(area) => (&mut self.0.get_ref()).read(area),
            None => Ok(0),
        };
        let n = *result.as_ref().unwrap_or(&0);
        buf.truncate(start + n.min(room));
        result
    }

    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&mut self.0.get_ref()).write_vectored(bufs)
    }

    fn shutdown_write(&self) {
        let _ = self.0.get_ref().shutdown(Shutdown::Write);
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().peer_addr()
    }
}

impl Listener for SmolListener {
    type Socket = SmolSocket;

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(SmolSocket, SocketAddr)>> {
        loop {
            match self.0.get_ref().accept() {
                Ok((sock, peer)) => {
                    let accepted = sock
                        .set_nodelay(true)
                        .and_then(|()| Async::new(sock))
                        .map(|s| (SmolSocket(s), peer));
                    return Poll::Ready(accepted);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => match self.0.poll_readable(cx) {
                    Poll::Ready(Ok(())) => {}
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                },
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().local_addr()
    }
}

impl Timer for SmolTimer {
    fn reset(&mut self, at: Instant) {
        self.0.set_at(at);
    }

    fn poll_fire(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

impl Task for SmolTask {
    /// Dropping smol's own handle cancels the task.
    fn abort(mut self) {
        drop(self.0.take());
    }
}

impl Drop for SmolTask {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.detach();
        }
    }
}

/// Extra threads ticking a server's executor until dropped.
#[derive(Debug)]
struct Workers {
    /// Closed on drop: every worker's `run` future ends.
    quit: smol::channel::Sender<()>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Workers {
    /// `n` threads; fewer when the system refuses some (logged).
    fn spawn(executor: &Arc<Executor<'static>>, n: usize) -> Workers {
        let (quit, quit_rx) = smol::channel::bounded::<()>(1);
        let mut threads = Vec::with_capacity(n);
        for i in 0..n {
            let executor = executor.clone();
            let quit_rx = quit_rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("rtmp-smol-{i}"))
                .spawn(move || {
                    smol::block_on(executor.run(async {
                        let _ = quit_rx.recv().await;
                    }));
                });
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => tracing::warn!(error = %e, "worker thread not started"),
            }
        }
        Workers { quit, threads }
    }
}

impl Drop for Workers {
    /// Joins the threads (a blocking wait, but a short one: each leaves as soon as its
    /// current task yields), so no thread of the server outlives `run`.
    fn drop(&mut self) {
        self.quit.close();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
