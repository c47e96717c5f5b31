//! A [`ClientLink`] on a runtime's socket: dialing, and one step of its socket loop.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use rtmp_proto::client::{ClientLink, DrivenLink, LinkRole, RtmpUrl};

use super::builder::ClientOptions;
#[cfg(feature = "tls")]
use crate::io::tls::{MaybeTls, TlsSocket, is_certificate_error};
use crate::io::{Deadline, ReadOutcome, Wire};
use crate::runtime::{Runtime, timeout_at};
use crate::seed::connection_seed;
#[cfg(feature = "tls")]
use rtmp_proto::client::PermanentFailure;

/// How long the last flush of a closing connection may take.
const CLOSE_FLUSH: Duration = Duration::from_secs(2);

/// A dial in progress: the publisher's and player's loops poll it beside their links.
pub(crate) type Dialing<R> = Pin<Box<dyn Future<Output = io::Result<LinkIo<R>>> + Send>>;

/// The socket of a client link: TCP, or TLS over it for `rtmps://`.
#[cfg(feature = "tls")]
type LinkSocket<R> = MaybeTls<<R as Runtime>::Socket>;
#[cfg(not(feature = "tls"))]
type LinkSocket<R> = <R as Runtime>::Socket;

/// One connection of a publisher or player.
#[derive(Debug)]
pub(crate) struct LinkIo<R: Runtime> {
    link: ClientLink,
    wire: Wire<LinkSocket<R>>,
    deadline: Deadline<R>,
}

/// Opens a TCP connection to `addr` within `timeout`.
pub(crate) async fn connect<R: Runtime>(
    rt: &R,
    addr: &str,
    timeout: Duration,
) -> io::Result<R::Socket> {
    match timeout_at(rt, rt.now() + timeout, rt.connect(addr)).await {
        Some(r) => r,
        None => Err(io::Error::new(io::ErrorKind::TimedOut, "connect timed out")),
    }
}

/// Starts dialing `url` for a publisher or a player: TCP within `timeout` (for `rtmps://`
/// the TLS handshake too, within the same time), then the RTMP handshake (seeded from the
/// OS, one seed per connection) and `connect` are queued.
pub(crate) fn dial<R: Runtime>(
    rt: &R,
    url: RtmpUrl,
    options: &ClientOptions,
    role: LinkRole,
) -> Dialing<R> {
    let rt = rt.clone();
    let mut config = options.session.clone();
    let timeout = options.connect_timeout;
    #[cfg(feature = "tls")]
    let tls = options.tls.clone();
    Box::pin(async move {
        let until = rt.now() + timeout;
        let sock = connect(&rt, &url.socket_addr_string(), timeout).await?;
        #[cfg(feature = "tls")]
        let sock = if url.scheme().is_tls() {
            let sock = TlsSocket::client(sock, &tls.unwrap_or_default(), url.host())?;
            match timeout_at(&rt, until, sock.handshake()).await {
                Some(Ok(())) => MaybeTls::Tls(Box::new(sock)),
                Some(Err(e)) if is_certificate_error(&e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        PermanentFailure::new(format!("TLS to {}: {e}", url.host())),
                    ));
                }
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "TLS handshake timed out",
                    ));
                }
            }
        } else {
            MaybeTls::Plain(sock)
        };
        #[cfg(not(feature = "tls"))]
        if url.scheme().is_tls() {
            let _ = until;
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "rtmps:// needs rtmp-driver's `tls` feature",
            ));
        }
        config.rng_seed = connection_seed();
        let link = ClientLink::new(&config, url, role, rt.now());
        Ok(LinkIo {
            link,
            wire: Wire::new(sock),
            deadline: Deadline::new(),
        })
    })
}

impl<R: Runtime> LinkIo<R> {
    /// Payload bytes accepted but not yet on the socket.
    pub(crate) fn pending(&self) -> usize {
        self.link.pending_bytes() + self.wire.unsent()
    }

    /// Writes what the session queued, as far as the socket takes it without waiting.
    pub(crate) fn pump_out(&mut self) -> io::Result<()> {
        self.wire.pump_out(self.link.session())
    }

    /// One step of the socket loop: ready when the socket (readable, or writable while
    /// output waits) or the session's next deadline woke it, after reading, handling
    /// timeouts and writing. Nothing is lost when the caller stops polling it.
    pub(crate) fn poll_drive(&mut self, rt: &R, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.deadline.set(rt, self.link.session().poll_timeout());
        let ready = match self.wire.poll_ready(cx) {
            Poll::Ready(r) => Some(r),
            Poll::Pending => match self.deadline.poll(cx) {
                Poll::Ready(()) => None,
                Poll::Pending => return Poll::Pending,
            },
        };
        Poll::Ready(self.step(rt, ready))
    }

    fn step(&mut self, rt: &R, ready: Option<io::Result<crate::io::Readiness>>) -> io::Result<()> {
        if let Some(ready) = ready
            && ready?.readable
            && self.wire.pump_in(rt.now(), self.link.session())? == ReadOutcome::Eof
        {
            return Ok(());
        }
        let now = rt.now();
        let session = self.link.session();
        if session.poll_timeout().is_some_and(|t| t <= now) {
            session.handle_timeout(now);
        }
        self.pump_out()
    }

    /// Ends the stream politely, flushes (bounded) and closes the socket.
    pub(crate) async fn finish(mut self, rt: R) {
        self.link.close();
        let _ = self
            .wire
            .flush_all(&rt, self.link.session(), CLOSE_FLUSH)
            .await;
        self.wire.shutdown();
    }
}

impl<R: Runtime> DrivenLink for LinkIo<R> {
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
