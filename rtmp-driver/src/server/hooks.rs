//! Application decisions as async callbacks: may this peer connect, publish, play?
//!
//! Each hook gets a context and returns a future of [`Decision`]. The driver runs the future
//! on its own task and hands the answer back to the connection, so a slow auth service never
//! stalls the connection loop (pings and timers keep running); the session's decision
//! timeout rejects requests whose hook takes too long.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use rtmp_proto::session::{ConnectRequest, PlayRequest, PublishRequest, Rejection};

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The answer to a connect, publish or play request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    Accept,
    Reject(Rejection),
    /// Connect only: refuse with `NetConnection.Connect.Rejected` and `ex.redirect` to this
    /// tcUrl. For publish and play it is a rejection naming the URL.
    Redirect(String),
}

impl Decision {
    /// A rejection with the default status code for the request kind.
    pub fn reject(description: impl Into<String>) -> Self {
        Decision::Reject(Rejection::new(description))
    }
}

/// What a connect hook sees.
#[derive(Debug, Clone)]
pub struct ConnectContext {
    pub peer: SocketAddr,
    pub request: ConnectRequest,
}

/// What a publish hook sees.
#[derive(Debug, Clone)]
pub struct PublishContext {
    pub peer: SocketAddr,
    /// The app accepted at connect.
    pub app: String,
    pub request: PublishRequest,
}

/// What a play hook sees.
#[derive(Debug, Clone)]
pub struct PlayContext {
    pub peer: SocketAddr,
    pub app: String,
    pub request: PlayRequest,
}

type Hook<C> = Arc<dyn Fn(C) -> BoxFuture<Decision> + Send + Sync>;

/// The three hooks; each defaults to accepting everything.
#[derive(Clone, Default)]
pub struct Hooks {
    pub connect: Option<Hook<ConnectContext>>,
    pub publish: Option<Hook<PublishContext>>,
    pub play: Option<Hook<PlayContext>>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("connect", &self.connect.is_some())
            .field("publish", &self.publish.is_some())
            .field("play", &self.play.is_some())
            .finish()
    }
}

pub fn boxed<C, F, Fut>(f: F) -> Hook<C>
where
    F: Fn(C) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Decision> + Send + 'static,
{
    Arc::new(move |c| Box::pin(f(c)))
}

impl Hooks {
    /// The decision future for a request; `None` means "accept at once" (no hook set).
    pub fn on_connect(&self, c: ConnectContext) -> Option<BoxFuture<Decision>> {
        self.connect.as_ref().map(|h| h(c))
    }
    pub fn on_publish(&self, c: PublishContext) -> Option<BoxFuture<Decision>> {
        self.publish.as_ref().map(|h| h(c))
    }
    pub fn on_play(&self, c: PlayContext) -> Option<BoxFuture<Decision>> {
        self.play.as_ref().map(|h| h(c))
    }
}
