//! The socket side of a connection under smol: non-blocking reads into the session's input
//! buffer and vectored writes of its transmit segments, on an `Async<TcpStream>`.
//!
//! Reads and writes are driven by readiness (`poll_readable` / `poll_writable`) from one
//! task, so a player whose socket is full still reads (and answers pings) while its backlog
//! waits in the session, where droppable frames can be discarded.
//!
//! Readiness is polled with `Async::poll_readable`/`poll_writable` rather than fresh
//! `readable()` futures: the former keep "an event arrived" in the source itself, so a
//! wake-up that another branch of the connection loop won is not lost when the loop
//! builds its wait again (a fresh `readable()` future always starts by waiting for the
//! next reactor event, and a player woken by every frame could then never see one).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use smol::{Async, Timer, future};

use rtmp_driver::conn_cell::WireOut;
use rtmp_driver::{ReadBuffer, SessionIo, TxBatch};
use rtmp_proto::session::ServerSession;

/// Reads per wake-up before the loop gets to process what came in (and other tasks run).
const READS_PER_WAKE: usize = 4;
/// Segments are pulled out of the session until the batch holds this many bytes.
const BATCH_HIGH_WATER: usize = 256 * 1024;

/// A connected socket with its input buffer and outbound batch. The socket is shared so a
/// server connection's task can wait on it while its state (this wire included) is
/// reachable from other tasks ([`rtmp_driver::conn_cell`]).
#[derive(Debug)]
pub(crate) struct Wire {
    sock: Arc<Async<TcpStream>>,
    /// Sized by the traffic and released when idle (a fixed 64 KiB per connection would
    /// dominate the memory of a server holding many idle players).
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

/// Which directions of the socket are ready.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Readiness {
    pub(crate) readable: bool,
    pub(crate) writable: bool,
}

impl Wire {
    /// Wraps a connected socket (non-blocking, registered with the reactor) and sets
    /// TCP_NODELAY: RTMP control messages are small and latency-sensitive.
    pub(crate) fn new(sock: Async<TcpStream>) -> io::Result<Self> {
        sock.get_ref().set_nodelay(true)?;
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
    pub(crate) fn socket(&self) -> Arc<Async<TcpStream>> {
        self.sock.clone()
    }

    /// Polls for readability, and for writability while output is waiting. `Pending`
    /// only when neither is ready; the task is woken when one becomes ready.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Readiness>> {
        poll_ready(&self.sock, !self.batch.is_empty(), cx)
    }

    /// Reads what the socket has without waiting (a few reads at most) and hands it to the
    /// session.
    pub(crate) fn pump_in<S: SessionIo>(&mut self, session: &mut S) -> io::Result<ReadOutcome> {
        for _ in 0..READS_PER_WAKE {
            match self.read_once() {
                Ok(0) => {
                    session.handle_eof(Instant::now());
                    return Ok(ReadOutcome::Eof);
                }
                Ok(_) => {
                    // A protocol error also arrives as the session's `Closed` event.
                    let _ = session.handle_input(Instant::now(), self.input.input());
                    self.input.settle();
                    if session.is_closed() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Give back the buffer `prepare` made for a read that found nothing.
                    self.input.settle();
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(ReadOutcome::Progress)
    }

    /// One non-blocking read appended to the input buffer. Safe code cannot read into
    /// uninitialized capacity, so the read area is zeroed first and trimmed after.
    fn read_once(&mut self) -> io::Result<usize> {
        let buf = self.input.prepare();
        let start = buf.len();
        let room = buf.capacity() - start;
        buf.resize(start + room, 0);
        let result = match buf.get_mut(start..) {
            Some(area) => (&mut self.sock.get_ref()).read(area),
            None => Ok(0),
        };
        let n = *result.as_ref().unwrap_or(&0);
        buf.truncate(start + n.min(room));
        if n > 0 {
            self.input.on_read(n, room);
        }
        result
    }

    /// Moves the session's output into the batch and writes as much as the socket takes
    /// without waiting.
    pub(crate) fn pump_out<S: SessionIo>(&mut self, session: &mut S) -> io::Result<()> {
        let sock = self.sock.get_ref();
        self.batch.pump(
            BATCH_HIGH_WATER,
            || session.poll_transmit(),
            |slices| (&mut &*sock).write_vectored(slices),
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
        let expire = async {
            Timer::after(limit).await;
            Err(io::ErrorKind::TimedOut.into())
        };
        future::or(flush, expire).await
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

/// Polls `sock` for readability, and for writability when `write`. `Pending` only when
/// neither is ready; the task is woken when one becomes ready.
pub(crate) fn poll_ready(
    sock: &Async<TcpStream>,
    write: bool,
    cx: &mut Context<'_>,
) -> Poll<io::Result<Readiness>> {
    let mut r = Readiness::default();
    match sock.poll_readable(cx) {
        Poll::Ready(Ok(())) => r.readable = true,
        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
        Poll::Pending => {}
    }
    if write {
        match sock.poll_writable(cx) {
            Poll::Ready(Ok(())) => r.writable = true,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => {}
        }
    }
    if r.readable || r.writable {
        Poll::Ready(Ok(r))
    } else {
        Poll::Pending
    }
}

/// Half-closes the socket's sending side so the peer sees end of stream after the last byte.
pub(crate) fn shutdown(sock: &Async<TcpStream>) {
    let _ = sock.get_ref().shutdown(Shutdown::Write);
}
