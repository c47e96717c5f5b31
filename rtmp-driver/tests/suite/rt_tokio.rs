//! How the shared adapter suite (`rtmp-driver/adapter_tests/`) runs on tokio: the few
//! runtime calls a test makes (run, spawn, sleep, time out, block, serve), with the same
//! names and behaviour as `rtmp-smol/tests/rt/mod.rs`.
// Each suite uses a part of this.
#![allow(dead_code, unused_imports, unused_macros)]

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use async_channel as channel;
pub use tokio::io::{AsyncReadExt, AsyncWriteExt};
pub use tokio::net::{TcpListener, TcpStream};

/// Which runtime a test failure happened on.
pub const NAME: &str = "tokio";

/// Runs a test on a current-thread runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Runs a test on a runtime with two worker threads.
pub fn block_on_threaded<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// A spawned task: awaiting it gives its output (a panic in it is re-raised); dropping it
/// lets it run on.
pub struct Task<T>(tokio::task::JoinHandle<T>);

impl<T> Future for Task<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0).poll(cx).map(|r| match r {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        })
    }
}

impl<T> Task<T> {
    /// Stops the task.
    pub fn abort(self) {
        self.0.abort();
    }
}

pub fn spawn<F>(f: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Task(tokio::spawn(f))
}

/// Runs blocking code off the runtime's threads.
pub fn unblock<T, F>(f: F) -> Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    Task(tokio::task::spawn_blocking(f))
}

pub async fn sleep(d: Duration) {
    tokio::time::sleep(d).await
}

/// `None` when `f` did not finish within `d`.
pub async fn timeout<T>(d: Duration, f: impl Future<Output = T>) -> Option<T> {
    tokio::time::timeout(d, f).await.ok()
}

/// Runs a bound server as an application would: as a task of the test's runtime.
pub fn serve(server: rtmp_tokio::Server) -> Task<io::Result<()>> {
    spawn(server.run())
}

#[macro_use]
#[path = "macros.rs"]
mod macros;
