//! A [`ClientLink`] on a tokio socket: dialing, and one step of its socket loop.

use std::io;
use std::time::{Duration, Instant};

use rtmp_driver::client_link::{ClientLink, DrivenLink, LinkRole};
use rtmp_proto::client::RtmpUrl;
use rtmp_proto::session::ClientConfig;
use tokio::net::TcpStream;

use super::sleep_until;
use crate::wire::{ReadOutcome, Wire};

/// How long the last flush of a closing connection may take.
const CLOSE_FLUSH: Duration = Duration::from_secs(2);

/// One connection of a publisher or player.
#[derive(Debug)]
pub(crate) struct LinkIo {
    link: ClientLink,
    wire: Wire,
}

impl LinkIo {
    /// Dials `url` (TCP, within `timeout`) and starts the handshake and `connect`.
    pub(crate) async fn dial(
        url: RtmpUrl,
        config: ClientConfig,
        role: LinkRole,
        timeout: Duration,
    ) -> io::Result<LinkIo> {
        if url.scheme().is_tls() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "rtmps:// needs TLS, which this adapter does not provide yet",
            ));
        }
        let addr = url.socket_addr_string();
        let sock = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(r) => r?,
            Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
        };
        let link = ClientLink::new(&config, url, role, Instant::now());
        Ok(LinkIo {
            link,
            wire: Wire::new(sock)?,
        })
    }

    /// Payload bytes accepted but not yet on the socket.
    pub(crate) fn pending(&self) -> usize {
        self.link.pending_bytes() + self.wire.unsent()
    }

    /// Writes what the session queued, as far as the socket takes it without waiting.
    pub(crate) fn pump_out(&mut self) -> io::Result<()> {
        self.wire.pump_out(self.link.session())
    }

    /// Waits for the socket (readable, or writable while output waits) or the session's
    /// next deadline, then reads, handles timeouts and writes. Cancel-safe: the only
    /// await is the wait itself; everything after it is synchronous.
    pub(crate) async fn drive(&mut self) -> io::Result<()> {
        let deadline = self.link.session().poll_timeout();
        let ready = tokio::select! {
            r = self.wire.ready() => Some(r?),
            () = sleep_until(deadline) => None,
        };
        if let Some(ready) = ready
            && ready.is_readable()
            && self.wire.pump_in(self.link.session())? == ReadOutcome::Eof
        {
            return Ok(());
        }
        let now = Instant::now();
        let session = self.link.session();
        if session.poll_timeout().is_some_and(|t| t <= now) {
            session.handle_timeout(now);
        }
        self.pump_out()
    }

    /// Ends the stream politely, flushes (bounded) and closes the socket.
    pub(crate) async fn finish(mut self) {
        self.link.close();
        let _ = self.wire.flush_all(self.link.session(), CLOSE_FLUSH).await;
        self.wire.shutdown();
    }
}

impl DrivenLink for LinkIo {
    fn link(&mut self) -> &mut ClientLink {
        &mut self.link
    }

    fn pending(&self) -> usize {
        LinkIo::pending(self)
    }

    fn pump_out(&mut self) -> io::Result<()> {
        LinkIo::pump_out(self)
    }
}
