//! Application decisions as async callbacks: may this peer connect, publish, play?
//!
//! Each hook gets a context and returns a future of its decision: a [`ConnectDecision`] for
//! connects, a [`StreamDecision`] for publishes and plays. The driver runs the future
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

/// The answer to a connect request: what an [`on_connect`](super::ServerBuilder::on_connect)
/// hook returns.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectDecision {
    /// Accept the connection.
    Accept,
    /// Refuse with `_error` `NetConnection.Connect.Rejected` (or the rejection's code) and
    /// the rejection's description; the connection closes.
    Reject(Rejection),
    /// Refuse with `NetConnection.Connect.Rejected` and `ex.redirect` to this tcUrl: the
    /// client may connect there instead. The connection closes.
    Redirect(String),
}

impl ConnectDecision {
    /// A rejection with the default status code (`NetConnection.Connect.Rejected`).
    pub fn reject(description: impl Into<String>) -> Self {
        ConnectDecision::Reject(Rejection::new(description))
    }
}

/// The answer to a publish or play request: what an
/// [`on_publish`](super::ServerBuilder::on_publish) or
/// [`on_play`](super::ServerBuilder::on_play) hook returns.
///
/// There is no redirect here: RTMP has no answer to `publish` or `play` that sends the
/// client elsewhere (only a connect can be redirected), so a stream is accepted or refused.
///
/// ```
/// use rtmp_driver::server::{ServerBuilder, StreamDecision};
///
/// fn keyed<R: rtmp_driver::Runtime>(b: ServerBuilder<R>) -> ServerBuilder<R> {
///     b.on_publish(|ctx| async move {
///         match ctx.request.query.as_deref() {
///             Some("key=secret") => StreamDecision::Accept,
///             _ => StreamDecision::reject("bad stream key"),
///         }
///     })
/// }
/// ```
///
/// A connect's redirect is a type error in a publish or play hook:
///
/// ```compile_fail
/// use rtmp_driver::server::{ConnectDecision, ServerBuilder};
///
/// fn moved<R: rtmp_driver::Runtime>(b: ServerBuilder<R>) -> ServerBuilder<R> {
///     b.on_publish(|_| async { ConnectDecision::Redirect("rtmp://elsewhere/live".into()) })
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamDecision {
    /// Accept the publish or play (the relay may still refuse a duplicate publish).
    Accept,
    /// Refuse with an error `onStatus` (`NetStream.Publish.BadName` /
    /// `NetStream.Play.Failed`, or the rejection's code); the connection stays open.
    Reject(Rejection),
}

impl StreamDecision {
    /// A rejection with the default status code for the request kind.
    pub fn reject(description: impl Into<String>) -> Self {
        StreamDecision::Reject(Rejection::new(description))
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

type Hook<C, D> = Arc<dyn Fn(C) -> BoxFuture<D> + Send + Sync>;

/// The accept filter: `false` closes a new connection before any byte.
pub type AcceptFilter = Arc<dyn Fn(SocketAddr) -> bool + Send + Sync>;

/// The decision hooks; each defaults to accepting everything.
#[derive(Clone, Default)]
pub struct Hooks {
    /// Filters new connections by peer before any byte (`ServerBuilder::on_accept`).
    pub accept: Option<AcceptFilter>,
    pub connect: Option<Hook<ConnectContext, ConnectDecision>>,
    pub publish: Option<Hook<PublishContext, StreamDecision>>,
    pub play: Option<Hook<PlayContext, StreamDecision>>,
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("accept", &self.accept.is_some())
            .field("connect", &self.connect.is_some())
            .field("publish", &self.publish.is_some())
            .field("play", &self.play.is_some())
            .finish()
    }
}

pub fn boxed<C, D, F, Fut>(f: F) -> Hook<C, D>
where
    F: Fn(C) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = D> + Send + 'static,
{
    Arc::new(move |c| Box::pin(f(c)))
}

impl Hooks {
    /// Whether a connection from `peer` may be served (no filter: yes).
    pub fn accepts(&self, peer: SocketAddr) -> bool {
        self.accept.as_ref().is_none_or(|f| f(peer))
    }
    /// The decision future for a request; `None` means "accept at once" (no hook set).
    pub fn on_connect(&self, c: ConnectContext) -> Option<BoxFuture<ConnectDecision>> {
        self.connect.as_ref().map(|h| h(c))
    }
    pub fn on_publish(&self, c: PublishContext) -> Option<BoxFuture<StreamDecision>> {
        self.publish.as_ref().map(|h| h(c))
    }
    pub fn on_play(&self, c: PlayContext) -> Option<BoxFuture<StreamDecision>> {
        self.play.as_ref().map(|h| h(c))
    }
}
