//! One client connection: a [`ClientSession`] on a TCP socket, driven by pulling events,
//! for applications that want the session's every event and decide every command
//! themselves. [`Client`](super::Client) builds the resilient publisher and player on
//! the same pieces.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rtmp_proto::session::{ClientConfig, ClientEvent, ClientSession};

use crate::io::{Deadline, ReadOutcome, Wire};
use crate::runtime::{Runtime, Socket};
use crate::seed::connection_seed;

/// How long the final flush before a close may take.
const CLOSE_FLUSH: Duration = Duration::from_secs(5);

/// One client connection. Commands go through [`session`](Self::session); output is
/// written whenever [`next_event`](Self::next_event) or [`flush`](Self::flush) runs.
///
/// ```no_run
/// # async fn f<R: rtmp_driver::runtime::Runtime + Default>() -> std::io::Result<()> {
/// use std::sync::Arc;
/// use rtmp_driver::client::ClientConnection;
/// use rtmp_proto::session::{ClientConfig, ClientEvent, ConnectParams};
///
/// let mut c = ClientConnection::<R>::connect("127.0.0.1:1935", Arc::new(ClientConfig::default())).await?;
/// c.session().connect(ConnectParams::new("live", "rtmp://127.0.0.1:1935/live")).ok();
/// while let Some(event) = c.next_event().await? {
///     if let ClientEvent::Connected { .. } = event {
///         c.session().play("test").ok();
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ClientConnection<R: Runtime> {
    rt: R,
    session: ClientSession,
    wire: Wire<R::Socket>,
    peer: SocketAddr,
    deadline: Deadline<R>,
    finished: bool,
}

impl<R: Runtime + Default> ClientConnection<R> {
    /// Opens a TCP connection (TCP_NODELAY) to `addr` (`host:port`) on the default
    /// runtime value and starts the handshake; see [`connect_on`](Self::connect_on).
    pub async fn connect(addr: impl ToString, config: Arc<ClientConfig>) -> io::Result<Self> {
        Self::connect_on(R::default(), addr, config).await
    }
}

impl<R: Runtime> ClientConnection<R> {
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
        Ok(ClientConnection {
            rt,
            session,
            wire: Wire::new(sock),
            peer,
            deadline: Deadline::new(),
            finished: false,
        })
    }

    /// The server's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The session, for commands (`connect`, `publish`, `play`, `send_media`, `close`...).
    pub fn session(&mut self) -> &mut ClientSession {
        &mut self.session
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
    pub async fn next_event(&mut self) -> io::Result<Option<ClientEvent>> {
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
            let now = self.rt.now();
            if let Some(ready) = io
                && ready?.readable
                && self.wire.pump_in(now, &mut self.session)? == ReadOutcome::Eof
            {
                continue;
            }
            let now = self.rt.now();
            if timer || self.session.poll_timeout().is_some_and(|t| t <= now) {
                self.session.handle_timeout(now);
            }
        }
    }
}
