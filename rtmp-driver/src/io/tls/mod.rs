//! RTMPS: TLS between the session and the runtime's socket, written once for every runtime.
//!
//! [`TlsSocket`] wraps any [`Socket`] and is itself a [`Socket`], so the wire, the server's
//! connection task and the client's loops run on it unchanged, and `rtmp-proto` never
//! learns about TLS. rustls is sans-IO: its `Connection` takes ciphertext (`read_tls`) and
//! plaintext (`writer`) and hands back plaintext (`reader`) and records (`write_tls`); this
//! module only moves bytes between it and the socket and keeps the readiness contract:
//!
//! - **Readable** when a read can progress without the socket: decrypted plaintext is
//!   buffered, ciphertext read ahead is waiting, or the end or an error is known. Otherwise
//!   the socket's own readiness.
//! - **Writes** first flush the records already encrypted; while some are left, new
//!   plaintext is refused (`WouldBlock`), so rustls holds at most one batch of records
//!   ([`TLS_OUT_LIMIT`]) and the rest of a slow player's backlog stays in its session,
//!   where droppable frames can still be dropped. The records left behind are counted by
//!   [`Socket::unsent`], so the wire keeps waiting for writability until they are out.
//! - **Writable** once every encrypted record is in the kernel; waiting for that also
//!   flushes them.
//!
//! The TLS handshake needs no driver of its own on the server: it runs inside the
//! connection's first reads and writes, under the RTMP session's handshake deadline, so a
//! peer that stalls the TLS handshake is closed like one that stalls RTMP's. A client
//! finishes it before its session starts ([`TlsSocket::handshake`]), so a certificate
//! that does not verify is a dial failure, not a broken link.
//!
//! The crypto provider is `aws-lc-rs`, chosen by measurement (`docs/tls.md`,
//! `scripts/tls-provider`): it encrypts a relayed stream with ~20% less CPU than `ring`,
//! offers post-quantum key exchange, and is what rustls deprecates `ring`'s provider in
//! favour of; it builds with a C compiler alone (no cmake), in twice `ring`'s build time.

mod config;

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, Read, Write};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, ready};

use bytes::{Buf, BytesMut};
use rustls::pki_types::ServerName;

pub use config::{TlsAcceptor, TlsConnector};

use crate::runtime::Socket;

/// Most bytes of encrypted records rustls buffers for the socket once the handshake is
/// done. Before it, plaintext written is bounded by RTMP itself: neither side writes more
/// than its first handshake packet (1537 bytes) before hearing from its peer.
pub const TLS_OUT_LIMIT: usize = 64 * 1024;

/// Ciphertext is read from the socket in pieces of this size at most.
const STAGE: usize = 16 * 1024 + 64;

/// Socket reads one `try_read_buf` makes that yield no plaintext before it yields.
const READS_WITHOUT_DATA: usize = 16;

/// The first byte of a plain RTMP handshake (C0: version 3). No TLS record starts with it.
const RTMP_C0: u8 = 3;

/// A TLS session over a runtime's socket; see the module docs.
pub struct TlsSocket<S> {
    raw: S,
    state: Mutex<State>,
}

impl<S: fmt::Debug> fmt::Debug for TlsSocket<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsSocket")
            .field("raw", &self.raw)
            .finish_non_exhaustive()
    }
}

/// The rustls connection and what this layer knows about it.
struct State {
    conn: rustls::Connection,
    /// Ciphertext read from the socket that rustls has not taken yet. Released when empty
    /// after a read found nothing, so an idle connection holds no buffer here.
    stage: BytesMut,
    /// Decrypted bytes waiting in rustls.
    plain: usize,
    /// Encrypted bytes waiting in rustls for the socket.
    tls_out: usize,
    /// The peer ended the TLS session or the TCP stream.
    closed: bool,
    /// The first fatal error, returned by every later read and write.
    error: Option<(io::ErrorKind, String)>,
    /// The buffer limit for records was set (once the handshake is done).
    limited: bool,
    /// Any byte came from the peer (to recognise a plain RTMP client by its first byte).
    heard: bool,
}

/// Reads ciphertext for rustls: from the staged bytes, refilled from the socket.
struct RawReader<'a, S> {
    raw: &'a S,
    stage: &'a mut BytesMut,
}

impl<S: Socket> Read for RawReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stage.is_empty() {
            self.stage.reserve(STAGE);
            let n = self.raw.try_read_buf(self.stage)?;
            if n == 0 {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.stage.len());
        buf[..n].copy_from_slice(&self.stage[..n]);
        self.stage.advance(n);
        Ok(n)
    }
}

/// Writes records straight to the socket (vectored, without waiting).
struct RawWriter<'a, S>(&'a S);

impl<S: Socket> Write for RawWriter<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<S: Socket> TlsSocket<S> {
    /// The server side of a TLS session on an accepted socket.
    pub fn server(raw: S, acceptor: &TlsAcceptor) -> io::Result<Self> {
        let conn = rustls::ServerConnection::new(acceptor.config().clone()).map_err(tls_error)?;
        Ok(Self::new(raw, conn.into()))
    }

    /// The client side of a TLS session on a connected socket, for `host` (the SNI name
    /// and the name the certificate must carry: a DNS name or an IP address).
    pub fn client(raw: S, connector: &TlsConnector, host: &str) -> io::Result<Self> {
        let name = ServerName::try_from(host.to_owned()).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("TLS server name {host:?}: {e}"),
            )
        })?;
        let conn =
            rustls::ClientConnection::new(connector.config().clone(), name).map_err(tls_error)?;
        Ok(Self::new(raw, conn.into()))
    }

    fn new(raw: S, mut conn: rustls::Connection) -> Self {
        // See `TLS_OUT_LIMIT`: the limit is set once the handshake is done.
        conn.set_buffer_limit(None);
        let tls_out = usize::from(conn.wants_write());
        TlsSocket {
            raw,
            state: Mutex::new(State {
                conn,
                stage: BytesMut::new(),
                plain: 0,
                tls_out,
                closed: false,
                error: None,
                limited: false,
                heard: false,
            }),
        }
    }

    /// The socket under the TLS session.
    pub fn get_ref(&self) -> &S {
        &self.raw
    }

    /// The cipher suite agreed with the peer, once the handshake has chosen one (for logs
    /// and benchmarks that must compare like with like).
    pub fn cipher_suite(&self) -> Option<rustls::SupportedCipherSuite> {
        self.lock().conn.negotiated_cipher_suite()
    }

    /// Runs the TLS handshake to its end (a client's dial does, so that a certificate
    /// that does not verify fails the dial). The error of a failed handshake carries a
    /// [`rustls::Error`] (`io::Error::get_ref`), for instance
    /// `InvalidCertificate(UnknownIssuer)`.
    pub async fn handshake(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_handshake(cx)).await
    }

    fn poll_handshake(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut st = self.lock();
            st.check()?;
            self.flush(&mut st)?;
            if !st.conn.is_handshaking() {
                if st.tls_out == 0 {
                    return Poll::Ready(Ok(()));
                }
                drop(st);
                ready!(self.raw.poll_writable(cx))?;
                continue;
            }
            match self.read_some(&mut st) {
                Ok(0) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the peer closed the connection during the TLS handshake",
                    )));
                }
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
            let write = st.tls_out > 0;
            drop(st);
            let readable = self.raw.poll_readable(cx)?.is_ready();
            let writable = write && self.raw.poll_writable(cx)?.is_ready();
            if !readable && !writable {
                return Poll::Pending;
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every step leaves the state consistent; a panic elsewhere must not spread here.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands rustls more ciphertext and processes it: `Ok(0)` at the end of the TCP
    /// stream, `WouldBlock` when the socket has nothing.
    fn read_some(&self, st: &mut State) -> io::Result<usize> {
        let result = self.read_tls(st);
        if st.stage.is_empty() && st.stage.capacity() > 0 {
            st.stage = BytesMut::new();
        }
        let n = match result {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Err(e),
            Err(e) => return Err(st.fail(e)),
        };
        if n == 0 {
            st.closed = true;
        }
        match st.conn.process_new_packets() {
            Ok(io) => {
                st.plain = io.plaintext_bytes_to_read();
                st.tls_out = io.tls_bytes_to_write();
                st.closed |= io.peer_has_closed();
            }
            Err(e) => {
                // Send the alert rustls queued, as far as the socket takes it.
                let _ = st.conn.write_tls(&mut RawWriter(&self.raw));
                return Err(st.fail(tls_error(e)));
            }
        }
        self.flush(st)?;
        Ok(n)
    }

    /// Moves ciphertext from the socket to rustls. A server refuses a plain RTMP client
    /// by its first byte, with a reason for the log rather than rustls's generic one.
    fn read_tls(&self, st: &mut State) -> io::Result<usize> {
        if !st.heard && matches!(st.conn, rustls::Connection::Server(_)) {
            if st.stage.is_empty() {
                st.stage.reserve(STAGE);
                self.raw.try_read_buf(&mut st.stage)?;
            }
            match st.stage.first() {
                Some(&RTMP_C0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a plain RTMP client (C0 = 3) on the TLS port",
                    ));
                }
                Some(_) => st.heard = true,
                None => {}
            }
        }
        st.conn.read_tls(&mut RawReader {
            raw: &self.raw,
            stage: &mut st.stage,
        })
    }

    /// Writes the encrypted records the socket takes without waiting.
    fn flush(&self, st: &mut State) -> io::Result<()> {
        while st.conn.wants_write() {
            match st.conn.write_tls(&mut RawWriter(&self.raw)) {
                Ok(0) => return Err(st.fail(io::ErrorKind::WriteZero.into())),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(st.fail(e)),
            }
        }
        st.tls_out = if st.conn.wants_write() {
            // rustls counts its records only in the state `process_new_packets` returns;
            // with no new input that call only reports.
            st.conn
                .process_new_packets()
                .map_or(1, |io| io.tls_bytes_to_write().max(1))
        } else {
            0
        };
        Ok(())
    }
}

impl State {
    /// Records the first fatal error and returns it.
    fn fail(&mut self, e: io::Error) -> io::Error {
        if self.error.is_none() {
            self.error = Some((e.kind(), e.to_string()));
        }
        e
    }

    /// The recorded fatal error, again.
    fn check(&self) -> io::Result<()> {
        match &self.error {
            Some((kind, text)) => Err(io::Error::new(*kind, text.clone())),
            None => Ok(()),
        }
    }
}

impl<S: Socket> Socket for TlsSocket<S> {
    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        {
            let st = self.lock();
            if st.plain > 0 || !st.stage.is_empty() || st.closed || st.error.is_some() {
                return Poll::Ready(Ok(()));
            }
        }
        self.raw.poll_readable(cx)
    }

    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            {
                let mut st = self.lock();
                st.check()?;
                self.flush(&mut st)?;
                if st.tls_out == 0 {
                    return Poll::Ready(Ok(()));
                }
            }
            ready!(self.raw.poll_writable(cx))?;
        }
    }

    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        let mut st = self.lock();
        // Records that carry no application data (handshake, empty records) are read on,
        // but only so many per call: a peer streaming them must not hold the task. The
        // socket is still readable, so the task comes back.
        for _ in 0..READS_WITHOUT_DATA {
            st.check()?;
            if st.plain > 0 {
                if buf.capacity() == buf.len() {
                    buf.reserve(st.plain.min(STAGE));
                }
                // Zero only as much of the spare room as there is plaintext to copy in.
                let start = buf.len();
                let room = buf.capacity() - start;
                buf.resize(start + room.min(st.plain), 0);
                let n = match st.conn.reader().read(&mut buf[start..]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
                    Err(e) => {
                        buf.truncate(start);
                        return Err(e);
                    }
                };
                buf.truncate(start + n);
                st.plain = st.plain.saturating_sub(n);
                if n > 0 {
                    return Ok(n);
                }
                st.plain = 0;
            }
            if st.closed {
                return Ok(0);
            }
            self.read_some(&mut st)?;
        }
        Err(io::ErrorKind::WouldBlock.into())
    }

    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut st = self.lock();
        st.check()?;
        self.flush(&mut st)?;
        if st.tls_out > 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if !st.limited && !st.conn.is_handshaking() {
            st.conn.set_buffer_limit(Some(TLS_OUT_LIMIT));
            st.limited = true;
        }
        let n = st.conn.writer().write_vectored(bufs)?;
        self.flush(&mut st)?;
        if n == 0 && bufs.iter().any(|b| !b.is_empty()) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(n)
    }

    fn shutdown_write(&self) {
        {
            let mut st = self.lock();
            if st.error.is_none() {
                st.conn.send_close_notify();
                let _ = self.flush(&mut st);
            }
        }
        self.raw.shutdown_write();
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.raw.peer_addr()
    }

    fn unsent(&self) -> usize {
        self.lock().tls_out
    }
}

/// A rustls error as an `io::Error` that keeps it (`get_ref` downcasts to
/// [`rustls::Error`]).
fn tls_error(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Whether `e` is a TLS failure that trying the same server again cannot cure: its
/// certificate does not verify (unknown issuer, wrong name, expired, revoked...).
pub fn is_certificate_error(e: &io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| {
            matches!(
                e,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            )
        })
}

/// A plain or a TLS socket, for code that dials either (an `rtmp://` or `rtmps://` URL).
#[derive(Debug)]
pub enum MaybeTls<S> {
    /// Plain TCP.
    Plain(S),
    /// TLS over TCP (boxed: a rustls connection is over a kilobyte).
    Tls(Box<TlsSocket<S>>),
}

impl<S: Socket> Socket for MaybeTls<S> {
    fn poll_readable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            MaybeTls::Plain(s) => s.poll_readable(cx),
            MaybeTls::Tls(s) => s.poll_readable(cx),
        }
    }

    fn poll_writable(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            MaybeTls::Plain(s) => s.poll_writable(cx),
            MaybeTls::Tls(s) => s.poll_writable(cx),
        }
    }

    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        match self {
            MaybeTls::Plain(s) => s.try_read_buf(buf),
            MaybeTls::Tls(s) => s.try_read_buf(buf),
        }
    }

    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match self {
            MaybeTls::Plain(s) => s.try_write_vectored(bufs),
            MaybeTls::Tls(s) => s.try_write_vectored(bufs),
        }
    }

    fn shutdown_write(&self) {
        match self {
            MaybeTls::Plain(s) => s.shutdown_write(),
            MaybeTls::Tls(s) => s.shutdown_write(),
        }
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        match self {
            MaybeTls::Plain(s) => s.peer_addr(),
            MaybeTls::Tls(s) => s.peer_addr(),
        }
    }

    fn unsent(&self) -> usize {
        match self {
            MaybeTls::Plain(s) => s.unsent(),
            MaybeTls::Tls(s) => s.unsent(),
        }
    }
}
