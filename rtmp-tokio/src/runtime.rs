//! [`Tokio`]: the driver's runtime trait on tokio.

use std::future::Future;
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;
use rtmp_driver::runtime::{Listener, Runtime, Socket, Task, Timer};
use tokio::time::Sleep;

/// The tokio runtime, as the driver's [`Runtime`]: tasks go to `tokio::spawn`, so every
/// call must come from inside a tokio runtime (with time and IO enabled).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tokio;

/// A tokio TCP stream.
#[derive(Debug)]
pub struct TokioSocket(tokio::net::TcpStream);

/// A tokio TCP listener.
#[derive(Debug)]
pub struct TokioListener(tokio::net::TcpListener);

/// A tokio sleep, boxed so it can be reset in place.
#[derive(Debug)]
pub struct TokioTimer(Pin<Box<Sleep>>);

/// A tokio task; dropping it detaches the task.
#[derive(Debug)]
pub struct TokioTask(tokio::task::JoinHandle<()>);

impl Runtime for Tokio {
    type Socket = TokioSocket;
    type Listener = TokioListener;
    type Timer = TokioTimer;
    type Task = TokioTask;

    fn spawn<F>(&self, future: F) -> TokioTask
    where
        F: Future<Output = ()> + Send + 'static,
    {
        TokioTask(tokio::spawn(future))
    }

    fn timer(&self, at: Instant) -> TokioTimer {
        TokioTimer(Box::pin(tokio::time::sleep_until(at.into())))
    }

    async fn connect(&self, addr: &str) -> io::Result<TokioSocket> {
        let sock = tokio::net::TcpStream::connect(addr).await?;
        sock.set_nodelay(true)?;
        Ok(TokioSocket(sock))
    }

    fn bind(&self, addr: SocketAddr) -> io::Result<TokioListener> {
        let std = std::net::TcpListener::bind(addr)?;
        std.set_nonblocking(true)?;
        Ok(TokioListener(tokio::net::TcpListener::from_std(std)?))
    }

    async fn run_server<F, B>(&self, _worker_threads: usize, body: B) -> F::Output
    where
        B: FnOnce(Self) -> F,
        F: Future + Send,
        F::Output: Send,
    {
        body(*self).await
    }
}

impl Socket for TokioSocket {
    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_read_ready(cx)
    }

    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_write_ready(cx)
    }

    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        self.0.try_read_buf(buf)
    }

    /// Straight to the socket first, and through tokio only when the kernel would block.
    ///
    /// tokio's own `try_write_vectored` checks the readiness it keeps for the socket before
    /// writing: one more cold cache line (the socket's `ScheduledIo`) per player and frame
    /// in the relay's fan-out, where `perf` put a tenth of the relay's user time. Its
    /// readiness only has to be right when the task is about to wait: so when the direct
    /// write would block, the write is tried again through tokio, which clears the
    /// readiness (or writes, if the socket drained in between), and `poll_writable` then
    /// waits for the next edge as it should.
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        #[cfg(unix)]
        match socket2::SockRef::from(&self.0).send_vectored(bufs) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            done => return done,
        }
        self.0.try_write_vectored(bufs)
    }

    /// tokio shuts a stream down only through `&mut`; the socket is shared, so this goes
    /// through a duplicate of its descriptor (shutdown acts on the socket, not on the
    /// descriptor). Elsewhere than unix the socket is only closed when dropped.
    fn shutdown_write(&self) {
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            if let Ok(fd) = self.0.as_fd().try_clone_to_owned() {
                let _ = std::net::TcpStream::from(fd).shutdown(std::net::Shutdown::Write);
            }
        }
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.peer_addr()
    }
}

impl Listener for TokioListener {
    type Socket = TokioSocket;

    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TokioSocket, SocketAddr)>> {
        self.0.poll_accept(cx).map(|r| {
            let (sock, peer) = r?;
            sock.set_nodelay(true)?;
            Ok((TokioSocket(sock), peer))
        })
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.0.local_addr()
    }
}

impl Timer for TokioTimer {
    fn reset(&mut self, at: Instant) {
        self.0.as_mut().reset(at.into());
    }

    fn poll_fire(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(cx)
    }
}

impl Task for TokioTask {
    fn abort(self) {
        self.0.abort();
    }
}
