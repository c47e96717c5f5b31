//! How the shared adapter suite (`rtmp-driver/adapter_tests/`) runs on smol: the few
//! runtime calls a test makes (run, spawn, sleep, time out, block, serve), with the same
//! names and behaviour as `rtmp-tokio/tests/rt/mod.rs`.
// Each suite uses a part of this.
#![allow(dead_code, unused_imports, unused_macros)]

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use smol::channel;
pub use smol::io::{AsyncReadExt, AsyncWriteExt};
pub use smol::net::{TcpListener, TcpStream};

/// Which runtime a test failure happened on.
pub const NAME: &str = "smol";

/// Runs a test on the calling thread.
pub fn block_on<F: Future>(f: F) -> F::Output {
    smol::block_on(f)
}

/// The same as [`block_on`]: smol's spawned tasks already run on the global executor's
/// threads, and each server runs on a thread of its own ([`serve`]).
pub fn block_on_threaded<F: Future>(f: F) -> F::Output {
    smol::block_on(f)
}

/// A spawned task: awaiting it gives its output; dropping it lets it run on (smol's own
/// `Task` would cancel it, tokio's would not: the suite expects tokio's behaviour).
pub struct Task<T>(Option<smol::Task<T>>);

impl<T> Future for Task<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let task = self.0.as_mut().expect("polled after completion");
        let out = Pin::new(task).poll(cx);
        if out.is_ready() {
            self.0 = None;
        }
        out
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.detach();
        }
    }
}

impl<T> Task<T> {
    /// Stops the task (dropping smol's `Task` cancels it).
    pub fn abort(mut self) {
        drop(self.0.take());
    }
}

pub fn spawn<F>(f: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Task(Some(smol::spawn(f)))
}

/// Runs blocking code off the executor's threads.
pub fn unblock<T, F>(f: F) -> Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Task(Some(smol::unblock(f)))
}

pub async fn sleep(d: Duration) {
    smol::Timer::after(d).await;
}

/// `None` when `f` did not finish within `d`.
pub async fn timeout<T>(d: Duration, f: impl Future<Output = T>) -> Option<T> {
    smol::future::or(async { Some(f.await) }, async {
        smol::Timer::after(d).await;
        None
    })
    .await
}

/// Runs a bound server as an application would: `smol::block_on(server.run())` on a thread
/// of its own, which then drives every connection task.
pub fn serve(server: rtmp_smol::Server) -> Task<io::Result<()>> {
    let (tx, rx) = smol::channel::bounded(1);
    std::thread::spawn(move || {
        let _ = tx.try_send(smol::block_on(server.run()));
    });
    spawn(async move {
        rx.recv()
            .await
            .expect("server thread ended without a result")
    })
}

#[macro_use]
#[path = "macros.rs"]
mod macros;
