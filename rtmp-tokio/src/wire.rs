//! The socket side of a connection under tokio: non-blocking reads into the session's input
//! buffer and vectored writes of its transmit segments.
//!
//! Reads and writes are driven by readiness (`TcpStream::ready`) from one task, so a player
//! whose socket is full still reads (and answers pings) while its backlog waits in the
//! session, where droppable frames can be discarded.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{Interest, Ready};
use tokio::net::TcpStream;

use rtmp_driver::conn_cell::WireOut;
use rtmp_driver::{ReadBuffer, SessionIo, TxBatch};
use rtmp_proto::session::ServerSession;

/// Segments are pulled out of the session until the batch holds this many bytes.
const BATCH_HIGH_WATER: usize = 256 * 1024;

/// A connected socket with its input buffer and outbound batch. The socket is shared so a
/// server connection's task can wait on it while its state (this wire included) is
/// reachable from other tasks ([`rtmp_driver::conn_cell`]).
#[derive(Debug)]
pub(crate) struct Wire {
    sock: Arc<TcpStream>,
    input: ReadBuffer,
    batch: TxBatch,
}

/// What [`Wire::pump_in`] saw.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReadOutcome {
    /// Bytes were handed to the session (or the read would block).
    Progress,
    /// The peer closed its side.
    Eof,
}

impl Wire {
    pub(crate) fn new(sock: TcpStream) -> io::Result<Self> {
        sock.set_nodelay(true)?;
        Ok(Wire {
            sock: Arc::new(sock),
            input: ReadBuffer::new(),
            batch: TxBatch::new(),
        })
    }

    /// Bytes written to the batch but not yet to the socket.
    pub(crate) fn unsent(&self) -> usize {
        self.batch.len()
    }

    /// The socket, to wait on without holding the wire.
    pub(crate) fn socket(&self) -> Arc<TcpStream> {
        self.sock.clone()
    }

    /// Waits until the socket can be read, or written while output is waiting.
    pub(crate) async fn ready(&self) -> io::Result<Ready> {
        ready(&self.sock, !self.batch.is_empty()).await
    }

    /// Reads what the socket has without waiting and hands it to the session.
    pub(crate) fn pump_in<S: SessionIo>(&mut self, session: &mut S) -> io::Result<ReadOutcome> {
        let room = {
            self.input.prepare();
            self.input.room()
        };
        match self.sock.try_read_buf(self.input.prepare()) {
            Ok(0) => {
                session.handle_eof(Instant::now());
                Ok(ReadOutcome::Eof)
            }
            Ok(n) => {
                self.input.on_read(n, room);
                // A protocol error also arrives as the session's `Closed` event.
                let _ = session.handle_input(Instant::now(), self.input.input());
                self.input.settle();
                Ok(ReadOutcome::Progress)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // Readiness said readable but nothing came (tokio clears its readiness flag
                // only on `WouldBlock`, so this follows most reads): give back the buffer
                // `prepare` allocated, or every idle connection keeps 4 KiB.
                self.input.settle();
                Ok(ReadOutcome::Progress)
            }
            Err(e) => Err(e),
        }
    }

    /// Moves the session's output into the batch and writes as much as the socket takes
    /// without waiting.
    pub(crate) fn pump_out<S: SessionIo>(&mut self, session: &mut S) -> io::Result<()> {
        let sock = &self.sock;
        self.batch.pump(
            BATCH_HIGH_WATER,
            || session.poll_transmit(),
            |slices| sock.try_write_vectored(slices),
        )
    }

    /// Writes everything the session has queued, waiting for the socket, for at most
    /// `limit` (the last flush before a close must not hang on a dead peer).
    pub(crate) async fn flush_all<S: SessionIo>(
        &mut self,
        session: &mut S,
        limit: Duration,
    ) -> io::Result<()> {
        let flush = async {
            loop {
                self.pump_out(session)?;
                if self.batch.is_empty() {
                    return Ok(());
                }
                self.sock.writable().await?;
            }
        };
        match tokio::time::timeout(limit, flush).await {
            Ok(r) => r,
            Err(_) => Err(io::ErrorKind::TimedOut.into()),
        }
    }

    /// Half-closes our side so the peer sees end of stream after the last byte.
    pub(crate) fn shutdown(&self) {
        shutdown(&self.sock);
    }
}

impl WireOut for Wire {
    fn pump_out(&mut self, session: &mut ServerSession) -> io::Result<()> {
        Wire::pump_out(self, session)
    }

    fn unsent(&self) -> usize {
        self.batch.len()
    }
}

/// Waits until `sock` can be read, or also written when `write`.
pub(crate) async fn ready(sock: &TcpStream, write: bool) -> io::Result<Ready> {
    let mut interest = Interest::READABLE;
    if write {
        interest |= Interest::WRITABLE;
    }
    sock.ready(interest).await
}

/// Half-closes the socket's sending side. tokio shuts a stream down only through `&mut`; the
/// socket is shared, so this goes through a duplicate of its descriptor (shutdown acts on
/// the socket, not on the descriptor).
#[cfg(unix)]
pub(crate) fn shutdown(sock: &TcpStream) {
    use std::os::fd::AsFd;
    if let Ok(fd) = sock.as_fd().try_clone_to_owned() {
        let _ = std::net::TcpStream::from(fd).shutdown(std::net::Shutdown::Write);
    }
}

/// Elsewhere the socket is only closed when dropped.
#[cfg(not(unix))]
pub(crate) fn shutdown(_sock: &TcpStream) {}
