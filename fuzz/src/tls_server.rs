//! Fuzz body for the `tls_server` target: the server's read path under RTMPS, a
//! [`TlsSocket`] server over an in-memory socket with a [`Wire`] and a [`ServerSession`]
//! on top, as a relay connection runs them.
//!
//! Byte 0 controls the run: bits 0-1 the size of the pieces the bytes arrive in, bits 2-3
//! how much the socket takes per write (partial writes leave TLS records behind), bit 4
//! the mode:
//! - **raw** (0): the rest is what a peer sends on the TLS port: TLS records, half a
//!   ClientHello, a plain RTMP C0, garbage;
//! - **through a client** (1): a rustls client completes a real handshake (trusting the
//!   fuzz CA in `tls/`), then sends a valid C0+C1+C2 and the rest as RTMP chunk-stream
//!   bytes, encrypted, so the fuzzer reaches the session through the decryption path.
//!
//! Checked: no panic; an error ends the connection and stays (sticky); what the server
//! holds for the socket (`unsent`) stays bounded; at the end of input the wire reports
//! the end or an error. The client mode's key exchange uses the OS's randomness, so a
//! finding there replays with different ciphertext but the same plaintext.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtmp_driver::io::tls::{TLS_OUT_LIMIT, TlsAcceptor, TlsConnector, TlsSocket};
use rtmp_driver::io::{ReadOutcome, Wire};
use rtmp_driver::runtime::Socket;
use rtmp_proto::session::{ServerConfig, ServerSession};

use crate::session_check::HANDSHAKE_OUT;

const CA: &str = include_str!("tls/ca.pem");
const CERT: &str = include_str!("tls/cert.pem");
const KEY: &str = include_str!("tls/key.pem");

/// Bytes in flight each way, shared between the harness and the socket.
#[derive(Debug, Default)]
struct Pipe {
    /// From the peer to the server.
    to_server: VecDeque<u8>,
    /// From the server to the peer.
    to_peer: Vec<u8>,
    /// The peer closed its side.
    eof: bool,
    /// Most bytes one write takes.
    write_cap: usize,
}

/// An in-memory, non-blocking socket over a [`Pipe`].
#[derive(Debug, Clone)]
struct MemSocket(Arc<Mutex<Pipe>>);

impl MemSocket {
    fn pipe(&self) -> std::sync::MutexGuard<'_, Pipe> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Socket for MemSocket {
    fn poll_readable(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let p = self.pipe();
        if p.eof || !p.to_server.is_empty() {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    fn poll_writable(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn try_read_buf(&self, buf: &mut BytesMut) -> io::Result<usize> {
        let mut p = self.pipe();
        if p.to_server.is_empty() {
            return if p.eof {
                Ok(0)
            } else {
                Err(io::ErrorKind::WouldBlock.into())
            };
        }
        let room = (buf.capacity() - buf.len()).max(1);
        let n = room.min(p.to_server.len());
        buf.extend(p.to_server.drain(..n));
        Ok(n)
    }

    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut p = self.pipe();
        let mut left = p.write_cap;
        if left == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut n = 0;
        for b in bufs {
            let take = b.len().min(left);
            p.to_peer.extend_from_slice(&b[..take]);
            n += take;
            left -= take;
            if left == 0 {
                break;
            }
        }
        Ok(n)
    }

    fn shutdown_write(&self) {}

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::from(([127, 0, 0, 1], 1)))
    }
}

fn acceptor() -> &'static TlsAcceptor {
    static A: OnceLock<TlsAcceptor> = OnceLock::new();
    A.get_or_init(|| TlsAcceptor::from_pem(CERT.as_bytes(), KEY.as_bytes()).expect("fuzz cert"))
}

fn connector() -> &'static TlsConnector {
    static C: OnceLock<TlsConnector> = OnceLock::new();
    C.get_or_init(|| TlsConnector::with_ca_pem(CA.as_bytes()).expect("fuzz CA"))
}

/// The server side of one connection: the wire and the session, driven as the relay's
/// connection task does (read what there is, write what the socket takes).
struct Server {
    wire: Wire<TlsSocket<MemSocket>>,
    session: ServerSession,
    now: Instant,
    ended: bool,
}

impl Server {
    /// Reads and writes until nothing moves; whether the connection still lives.
    fn turn(&mut self) -> bool {
        if self.ended {
            return false;
        }
        for _ in 0..64 {
            self.now += Duration::from_millis(10);
            match self.wire.pump_in(self.now, &mut self.session) {
                Ok(ReadOutcome::Eof) => {
                    self.ended = true;
                    return false;
                }
                Ok(ReadOutcome::Progress) => {}
                Err(_) => {
                    self.ended = true;
                    return false;
                }
            }
            while self.session.poll_event().is_some() {}
            if self.wire.pump_out(&mut self.session).is_err() {
                self.ended = true;
                return false;
            }
            let socket = self.wire.socket();
            assert!(
                socket.unsent() <= 2 * TLS_OUT_LIMIT,
                "TLS output over its bound: {}",
                socket.unsent()
            );
            if !self.readable() {
                break;
            }
        }
        !self.session.is_closed()
    }

    fn readable(&self) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        self.wire.socket().poll_readable(&mut cx).is_ready()
    }
}

pub fn run(data: &[u8]) {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let piece = [1, 7, 300, usize::MAX][usize::from(control & 3)];
    let write_cap = [usize::MAX, 1, 100, 5000][usize::from((control >> 2) & 3)];
    let through_client = control & 0x10 != 0;

    let pipe = Arc::new(Mutex::new(Pipe {
        write_cap,
        ..Pipe::default()
    }));
    let sock = MemSocket(pipe.clone());
    let tls = TlsSocket::server(sock.clone(), acceptor()).expect("server session");
    let now = Instant::now();
    let mut config = ServerConfig::default();
    config.limits.max_message_len = 256 * 1024;
    let mut server = Server {
        wire: Wire::new(tls),
        session: ServerSession::new(Arc::new(config), now),
        now,
        ended: false,
    };

    if through_client {
        let mut client = rustls::ClientConnection::new(
            connector().config().clone(),
            "localhost".try_into().expect("name"),
        )
        .expect("client");
        let mut plain = vec![3u8];
        plain.resize(HANDSHAKE_OUT, 0);
        client.writer().write_all(&plain).expect("buffered");
        let mut sent = 0;
        for _ in 0..10_000 {
            // Client records to the server, in pieces.
            let mut records = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut records).expect("to a Vec");
            }
            for part in records.chunks(piece.max(1)) {
                sock.pipe().to_server.extend(part);
                if !server.turn() {
                    break;
                }
            }
            // Server records to the client.
            let back = std::mem::take(&mut sock.pipe().to_peer);
            if !back.is_empty() {
                let mut back = &back[..];
                while !back.is_empty() {
                    if client.read_tls(&mut back).is_err() || client.process_new_packets().is_err()
                    {
                        return;
                    }
                }
                // Whatever the session says is read and dropped.
                let _ = io::Read::read_to_end(&mut client.reader(), &mut Vec::new());
            }
            if server.ended || (sent >= rest.len() && !client.wants_write()) {
                break;
            }
            if !client.is_handshaking() && sent < rest.len() {
                let end = (sent + piece.max(1)).min(rest.len());
                // rustls takes what its buffer has room for; the rest goes next round.
                sent += client.writer().write(&rest[sent..end]).unwrap_or(0);
            }
        }
    } else {
        for part in rest.chunks(piece) {
            sock.pipe().to_server.extend(part);
            let _ = std::mem::take(&mut sock.pipe().to_peer);
            if !server.turn() {
                break;
            }
        }
    }
    // The peer goes away: the wire must see the end (or have ended already).
    sock.pipe().eof = true;
    let _ = server.turn();
    assert!(
        server.ended || server.session.is_closed(),
        "the end of input ends the connection"
    );
}
