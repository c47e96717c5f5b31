//! The seam between this crate and an async runtime: the few things a runtime really
//! provides, in the shape quinn draws it (`quinn::Runtime`): spawn a task, a timer, a TCP
//! listener and stream with readiness plus non-blocking `try_read` / `try_write_vectored`,
//! and the clock.
//!
//! Everything above the seam (the server's accept loop and connection turn, the client's
//! dial / publish / play / reconnect loops, deadlines, the read policy) is written once in
//! this crate against these traits. `rtmp-tokio` and `rtmp-smol` implement them and add
//! type aliases; nothing else of theirs runs per connection.
//!
//! Readiness, not `AsyncRead`/`AsyncWrite`: a server connection's socket is written both by
//! its own task and, for relayed frames, by the publisher's task ([`crate::server`]), and
//! both only ever try without waiting. Waiting is separate (`poll_readable` /
//! `poll_writable`), done by the connection's own task alone.

use std::fmt;
use std::future::{Future, poll_fn};
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::BytesMut;

use crate::io::Deadline;

/// An async runtime as this crate needs it; see the module docs.
///
/// A value of it is cheap to clone and is handed to every task the crate spawns, so a
/// runtime may carry state (smol's server-owned executor).
pub trait Runtime: Clone + Send + Sync + fmt::Debug + 'static {
    /// A connected TCP stream.
    type Socket: Socket;
    /// A bound TCP listener.
    type Listener: Listener<Socket = Self::Socket>;
    /// A one-shot timer that can be re-armed.
    type Timer: Timer;
    /// A spawned task; dropping it lets the task run on.
    type Task: Task;

    /// Runs `future` as a task of its own.
    fn spawn<F>(&self, future: F) -> Self::Task
    where
        F: Future<Output = ()> + Send + 'static;

    /// A timer that fires at `at` (at once when `at` has passed).
    fn timer(&self, at: Instant) -> Self::Timer;

    /// Opens a TCP connection to `addr` (`host:port`, resolved by the runtime; every
    /// address it resolves to is tried in turn).
    fn connect(&self, addr: &str) -> impl Future<Output = io::Result<Self::Socket>> + Send;

    /// Binds a TCP listener.
    fn bind(&self, addr: SocketAddr) -> io::Result<Self::Listener>;

    /// The current time. Every `now` this crate hands to `rtmp-proto` comes from here.
    fn now(&self) -> Instant {
        Instant::now()
    }

    /// Runs a server's main loop. A runtime whose server owns its executor (smol) drives
    /// that executor here, with `worker_threads` more threads, and hands `body` the
    /// runtime value whose `spawn` reaches it; others call `body(self.clone())`.
    fn run_server<F, B>(&self, worker_threads: usize, body: B) -> impl Future<Output = F::Output>
    where
        B: FnOnce(Self) -> F,
        F: Future + Send,
        F::Output: Send;
}

/// A connected, non-blocking TCP stream. Every method takes `&self`: the stream is shared
/// by the tasks that write to it (see the module docs).
pub trait Socket: Send + Sync + fmt::Debug + 'static {
    /// Ready when a read may make progress (also at end of stream or on error). Only one
    /// task polls a socket's readiness at a time.
    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Ready when a write may make progress.
    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Reads what the socket has into `buf`'s spare capacity, without waiting: `Ok(0)` at
    /// end of stream, `WouldBlock` when there is nothing.
    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize>;

    /// Writes what the socket takes of `bufs`, without waiting (`WouldBlock` when it
    /// takes nothing).
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;

    /// Half-closes the sending side so the peer sees the end after the last byte.
    fn shutdown_write(&self);

    /// Bytes `try_write_vectored` took that are not in the kernel yet: a TLS layer's
    /// encrypted records waiting for room ([`crate::io::tls`]). A plain TCP socket holds
    /// none. The wire counts them as unsent, so it keeps waiting for writability (and the
    /// final flush keeps flushing) until they are out.
    fn unsent(&self) -> usize {
        0
    }

    /// The peer's address.
    fn peer_addr(&self) -> io::Result<SocketAddr>;
}

/// A bound TCP listener.
pub trait Listener: Send + Sync + fmt::Debug + 'static {
    /// What `poll_accept` yields.
    type Socket: Socket;

    /// Accepts the next connection (TCP_NODELAY already set on it).
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(Self::Socket, SocketAddr)>>;

    /// The address actually bound (port 0 picks one).
    fn local_addr(&self) -> io::Result<SocketAddr>;
}

/// A one-shot timer.
pub trait Timer: Send + Sync + Unpin + fmt::Debug + 'static {
    /// Moves the instant the timer fires at; a timer that fired fires again.
    fn reset(&mut self, at: Instant);

    /// Ready once the instant has passed.
    fn poll_fire(&mut self, cx: &mut Context<'_>) -> Poll<()>;
}

/// A spawned task's handle.
pub trait Task: Send + Sync + fmt::Debug + 'static {
    /// Stops the task at its next await.
    fn abort(self);
}

/// Accepts the next connection of `listener`.
pub async fn accept<L: Listener>(listener: &L) -> io::Result<(L::Socket, SocketAddr)> {
    poll_fn(|cx| listener.poll_accept(cx)).await
}

/// Sleeps until `at`.
pub async fn sleep_until<R: Runtime>(rt: &R, at: Instant) {
    let mut timer = rt.timer(at);
    poll_fn(|cx| timer.poll_fire(cx)).await
}

/// Runs `future` for at most until `deadline`; `None` when it did not finish by then.
pub async fn timeout_at<R: Runtime, F: Future>(
    rt: &R,
    deadline: Instant,
    future: F,
) -> Option<F::Output> {
    let mut timer = Deadline::<R>::new();
    timer.set(rt, Some(deadline));
    let mut future = std::pin::pin!(future);
    poll_fn(|cx| {
        if let Poll::Ready(v) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        timer.poll(cx).map(|()| None)
    })
    .await
}
