//! A client connection under smol: a [`ClientSession`] on a TCP socket, driven by pulling
//! events.
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use rtmp_smol::ClientConnection;
//! use rtmp_smol::proto::session::{ClientConfig, ClientEvent, ConnectParams};
//!
//! let mut c = ClientConnection::connect("127.0.0.1:1935", Arc::new(ClientConfig::default())).await?;
//! c.session().connect(ConnectParams::new("live", "rtmp://127.0.0.1:1935/live")).ok();
//! while let Some(event) = c.next_event().await? {
//!     if let ClientEvent::Connected { .. } = event {
//!         c.session().play("test").ok();
//!     }
//! }
//! # Ok(()) }
//! ```

use std::future::poll_fn;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use rtmp_proto::session::{ClientConfig, ClientEvent, ClientSession};
use smol::Async;
use smol::net::AsyncToSocketAddrs;

use crate::deadline::Deadline;
use crate::wire::{ReadOutcome, Wire};
use rtmp_driver::seed::connection_seed;

mod builder;
mod flv_push;
mod link_io;
mod player;
mod publisher;
mod status_cell;

pub use builder::{Client, ClientBuilder, ClientError, ClientStatus, Smol};
pub use player::{Player, PlayerEvent};
pub use publisher::Publisher;
pub use status_cell::StatusWatch;

/// How long the final flush before a close may take.
const CLOSE_FLUSH: Duration = Duration::from_secs(5);

/// One client connection. Commands go through [`session`](Self::session); output is
/// written whenever [`next_event`](Self::next_event) or [`flush`](Self::flush) runs.
#[derive(Debug)]
pub struct ClientConnection {
    session: ClientSession,
    wire: Wire,
    peer: SocketAddr,
    deadline: Deadline,
    finished: bool,
}

impl ClientConnection {
    /// Opens a TCP connection (TCP_NODELAY) to the first address of `addr` that answers and
    /// starts the handshake. The handshake PRNG is reseeded from the OS for this connection.
    pub async fn connect(
        addr: impl AsyncToSocketAddrs,
        config: Arc<ClientConfig>,
    ) -> io::Result<Self> {
        let mut last_err = None;
        let mut sock = None;
        for a in smol::net::resolve(addr).await? {
            match Async::<TcpStream>::connect(a).await {
                Ok(s) => {
                    sock = Some(s);
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        let Some(sock) = sock else {
            return Err(last_err.unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")
            }));
        };
        let peer = sock.get_ref().peer_addr()?;
        let mut config = (*config).clone();
        config.rng_seed = connection_seed();
        let session = ClientSession::new(Arc::new(config), Instant::now());
        Ok(ClientConnection {
            session,
            wire: Wire::new(sock)?,
            peer,
            deadline: Deadline::new(),
            finished: false,
        })
    }

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
            .flush_all(&mut self.session, Duration::from_secs(3600))
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
                let _ = self.wire.flush_all(&mut self.session, CLOSE_FLUSH).await;
                self.wire.shutdown();
                self.finished = true;
                continue;
            }
            self.deadline.set(self.session.poll_timeout());
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
                && self.wire.pump_in(&mut self.session)? == ReadOutcome::Eof
            {
                continue;
            }
            let now = Instant::now();
            if timer || self.session.poll_timeout().is_some_and(|t| t <= now) {
                self.session.handle_timeout(now);
            }
        }
    }
}
