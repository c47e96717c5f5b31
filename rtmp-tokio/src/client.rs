//! A client connection under tokio: a [`ClientSession`] on a TCP socket, driven by pulling
//! events.
//!
//! ```no_run
//! # async fn f() -> std::io::Result<()> {
//! use std::sync::Arc;
//! use rtmp_tokio::ClientConnection;
//! use rtmp_tokio::proto::session::{ClientConfig, ClientEvent, ConnectParams};
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

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtmp_proto::session::{ClientConfig, ClientEvent, ClientSession};
use tokio::net::{TcpStream, ToSocketAddrs};

use crate::wire::{ReadOutcome, Wire};
use rtmp_driver::seed::connection_seed;

mod builder;
mod flv_push;
mod link_io;
mod player;
mod publisher;

pub use builder::{Client, ClientBuilder, ClientError, ClientStatus, Tokio};
pub use player::{Player, PlayerEvent};
pub use publisher::Publisher;

/// How long the final flush before a close may take.
const CLOSE_FLUSH: Duration = Duration::from_secs(5);

/// One client connection. Commands go through [`session`](Self::session); output is
/// written whenever [`next_event`](Self::next_event) or [`flush`](Self::flush) runs.
#[derive(Debug)]
pub struct ClientConnection {
    session: ClientSession,
    wire: Wire,
    peer: SocketAddr,
    finished: bool,
}

impl ClientConnection {
    /// Opens a TCP connection (TCP_NODELAY) and starts the handshake. The handshake PRNG
    /// is reseeded from the OS for this connection.
    pub async fn connect(addr: impl ToSocketAddrs, config: Arc<ClientConfig>) -> io::Result<Self> {
        let sock = TcpStream::connect(addr).await?;
        let peer = sock.peer_addr()?;
        let mut config = (*config).clone();
        config.rng_seed = connection_seed();
        let session = ClientSession::new(Arc::new(config), Instant::now());
        Ok(ClientConnection {
            session,
            wire: Wire::new(sock)?,
            peer,
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
            let deadline = self.session.poll_timeout();
            tokio::select! {
                ready = self.wire.ready() => {
                    if ready?.is_readable()
                        && self.wire.pump_in(&mut self.session)? == ReadOutcome::Eof
                    {
                        continue;
                    }
                }
                () = sleep_until(deadline) => self.session.handle_timeout(Instant::now()),
            }
            let now = Instant::now();
            if self.session.poll_timeout().is_some_and(|t| t <= now) {
                self.session.handle_timeout(now);
            }
        }
    }
}

/// Sleeps until `deadline`, or forever when there is none.
pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t.into()).await,
        None => std::future::pending().await,
    }
}
