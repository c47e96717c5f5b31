//! A [`ClientLink`] on a smol socket: dialing, and one step of its socket loop.

use std::future::poll_fn;
use std::io;
use std::net::TcpStream;
use std::task::Poll;
use std::time::{Duration, Instant};

use rtmp_driver::client_link::{ClientLink, DrivenLink, LinkRole};
use rtmp_proto::client::RtmpUrl;
use rtmp_proto::session::ClientConfig;
use smol::{Async, Timer, future};

use crate::deadline::Deadline;
use crate::wire::{ReadOutcome, Wire};

/// How long the last flush of a closing connection may take.
const CLOSE_FLUSH: Duration = Duration::from_secs(2);

/// One connection of a publisher or player.
#[derive(Debug)]
pub(crate) struct LinkIo {
    link: ClientLink,
    wire: Wire,
    deadline: Deadline,
}

impl LinkIo {
    /// Dials `url` (TCP, within `timeout`, the first resolved address that answers) and
    /// starts the handshake and `connect`.
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
        let connect = async {
            let mut last_err = None;
            for a in smol::net::resolve(addr.as_str()).await? {
                match Async::<TcpStream>::connect(a).await {
                    Ok(s) => return Ok(s),
                    Err(e) => last_err = Some(e),
                }
            }
            Err(last_err.unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")
            }))
        };
        let expire = async {
            Timer::after(timeout).await;
            Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))
        };
        let sock = future::or(connect, expire).await?;
        let link = ClientLink::new(&config, url, role, Instant::now());
        Ok(LinkIo {
            link,
            wire: Wire::new(sock)?,
            deadline: Deadline::new(),
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
    /// await is the wait itself (readiness is kept in the socket source, the deadline in
    /// its timer); everything after it is synchronous.
    pub(crate) async fn drive(&mut self) -> io::Result<()> {
        self.deadline.set(self.link.session().poll_timeout());
        let ready = {
            let wire = &self.wire;
            let deadline = &mut self.deadline;
            poll_fn(|cx| match wire.poll_ready(cx) {
                Poll::Ready(r) => Poll::Ready(Some(r)),
                Poll::Pending => deadline.poll(cx).map(|()| None),
            })
            .await
        };
        if let Some(ready) = ready
            && ready?.readable
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

/// Sleeps until `deadline`, or forever when there is none.
pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(t) => {
            Timer::at(t).await;
        }
        None => future::pending().await,
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
