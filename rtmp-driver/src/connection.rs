//! One session on one socket, driven by pulling events: [`ClientConnection`] and
//! [`ServerConnection`], for applications that want every event of the session and decide
//! every command themselves. The relay ([`crate::server`]) and the resilient client
//! ([`crate::client`]) are built on the same pieces ([`Wire`], [`Deadline`]) with loops of
//! their own.
//!
//! A custom server that is not the relay is an accept loop and one task per connection:
//!
//! ```no_run
//! # async fn f<R: rtmp_driver::Runtime>(rt: R) -> std::io::Result<()> {
//! use std::sync::Arc;
//! use rtmp_driver::ServerConnection;
//! use rtmp_driver::runtime::accept;
//! use rtmp_proto::session::{ConnectReply, ServerConfig, ServerEvent};
//!
//! let listener = rt.bind("127.0.0.1:1935".parse().unwrap())?;
//! let config = Arc::new(ServerConfig::default());
//! loop {
//!     let (sock, peer) = accept(&listener).await?;
//!     let mut conn = ServerConnection::accept(rt.clone(), sock, peer, config.clone());
//!     drop(rt.spawn(async move {
//!         while let Ok(Some(event)) = conn.next_event().await {
//!             let now = conn.now();
//!             match event {
//!                 ServerEvent::ConnectRequested { id, .. } => {
//!                     conn.session().accept_connect(now, id, ConnectReply::default()).ok();
//!                 }
//!                 ServerEvent::PublishRequested { id, .. } => {
//!                     conn.session().accept_publish(now, id).ok();
//!                 }
//!                 _ => {}
//!             }
//!         }
//!     }));
//! }
//! # }
//! ```

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use rtmp_proto::session::{ClientConfig, ClientSession, ServerConfig, ServerSession, Session};

use crate::io::{Deadline, ReadOutcome, Wire};
use crate::runtime::{Runtime, Socket};
use crate::seed::connection_seed;

/// How long the final flush before a close may take.
const CLOSE_FLUSH: Duration = Duration::from_secs(5);

/// A session `S` on a socket; see the module docs. Commands go through
/// [`session`](Self::session); output is written whenever [`next_event`](Self::next_event)
/// or [`flush`](Self::flush) runs.
#[derive(Debug)]
pub struct Connection<R: Runtime, S> {
    rt: R,
    session: S,
    wire: Wire<R::Socket>,
    peer: SocketAddr,
    deadline: Deadline<R>,
    finished: bool,
}

/// A client session on a TCP socket.
pub type ClientConnection<R> = Connection<R, ClientSession>;

/// A server session on an accepted TCP socket.
pub type ServerConnection<R> = Connection<R, ServerSession>;

impl<R: Runtime + Default> Connection<R, ClientSession> {
    /// Opens a TCP connection (TCP_NODELAY) to `addr` (`host:port`) on the default
    /// runtime value and starts the handshake; see [`connect_on`](Self::connect_on).
    pub async fn connect(addr: impl ToString, config: Arc<ClientConfig>) -> io::Result<Self> {
        Self::connect_on(R::default(), addr, config).await
    }
}

impl<R: Runtime> Connection<R, ClientSession> {
    /// Opens a TCP connection (TCP_NODELAY) to the first address of `addr` that answers
    /// and starts the handshake. The handshake PRNG is reseeded from the OS for this
    /// connection.
    pub async fn connect_on(
        rt: R,
        addr: impl ToString,
        config: Arc<ClientConfig>,
    ) -> io::Result<Self> {
        let sock = rt.connect(&addr.to_string()).await?;
        let peer = sock.peer_addr()?;
        let mut config = (*config).clone();
        config.rng_seed = connection_seed();
        let session = ClientSession::new(Arc::new(config), rt.now());
        Ok(Connection::new(rt, session, sock, peer))
    }
}

impl<R: Runtime> Connection<R, ServerSession> {
    /// Serves an accepted socket: the session waits for the client's handshake. The
    /// handshake PRNG is reseeded from the OS for this connection.
    pub fn accept(rt: R, sock: R::Socket, peer: SocketAddr, config: Arc<ServerConfig>) -> Self {
        let session = ServerSession::with_rng_seed(config, connection_seed(), rt.now());
        Connection::new(rt, session, sock, peer)
    }
}

impl<R: Runtime, S: Session> Connection<R, S> {
    fn new(rt: R, session: S, sock: R::Socket, peer: SocketAddr) -> Self {
        Connection {
            rt,
            session,
            wire: Wire::new(sock),
            peer,
            deadline: Deadline::new(),
            finished: false,
        }
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The session, for commands (`connect`, `publish`, `accept_connect`, `send_media`,
    /// `close`...).
    pub fn session(&mut self) -> &mut S {
        &mut self.session
    }

    /// The runtime's clock: the `now` a server session's decisions (`accept_connect`,
    /// `reject`, ...) take. Read it when making the decision.
    pub fn now(&self) -> Instant {
        self.rt.now()
    }

    /// Writes everything queued, waiting for the socket as needed.
    pub async fn flush(&mut self) -> io::Result<()> {
        self.wire
            .flush_all(&self.rt, &mut self.session, Duration::from_secs(3600))
            .await
    }

    /// Bytes accepted by `send_media` that have not reached the socket yet.
    pub fn pending_bytes(&self) -> usize {
        self.session.pending_transmit_bytes() + self.wire.unsent()
    }

    /// Drives the connection until the session has an event. Returns `None` after the
    /// terminal `Closed` event has been returned and the last bytes were flushed.
    pub async fn next_event(&mut self) -> io::Result<Option<S::Event>> {
        loop {
            if let Some(event) = self.session.poll_event() {
                return Ok(Some(event));
            }
            if self.finished {
                return Ok(None);
            }
            self.wire.pump_out(&mut self.session)?;
            if self.session.is_closed() {
                let _ = self
                    .wire
                    .flush_all(&self.rt, &mut self.session, CLOSE_FLUSH)
                    .await;
                self.wire.shutdown();
                self.finished = true;
                continue;
            }
            self.deadline.set(&self.rt, self.session.poll_timeout());
            let (io, timer) = {
                let wire = &self.wire;
                let deadline = &mut self.deadline;
                poll_fn(|cx| {
                    let io = wire.poll_ready(cx);
                    let timer = deadline.poll(cx).is_ready();
                    match io {
                        Poll::Ready(r) => Poll::Ready((Some(r), timer)),
                        Poll::Pending if timer => Poll::Ready((None, true)),
                        Poll::Pending => Poll::Pending,
                    }
                })
                .await
            };
            if let Some(ready) = io
                && ready?.readable
                && self.wire.pump_in(self.rt.now(), &mut self.session)? == ReadOutcome::Eof
            {
                continue;
            }
            // Input moves deadlines, and a busy connection may never let the timer fire:
            // look after every wake-up.
            let now = self.rt.now();
            if timer || self.session.poll_timeout().is_some_and(|t| t <= now) {
                self.session.handle_timeout(now);
            }
        }
    }
}
