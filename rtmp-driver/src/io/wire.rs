//! The socket side of one connection, under any runtime: non-blocking reads into the
//! session's input buffer and vectored writes of its transmit segments.
//!
//! Reads and writes are driven by readiness from one task, so a player whose socket is
//! full still reads (and answers pings) while its backlog waits in the session, where
//! droppable frames can be discarded.
//!
//! The read policy, the same on every runtime: after a readiness wake-up, up to
//! [`READS_PER_WAKE`] reads, each handed to the session at once, until one would block.
//! Reading on to `WouldBlock` is what clears tokio's readiness flag (stopping after a short
//! read cost tokio a whole extra turn per read, which found nothing); it costs smol one
//! empty read. A publisher's burst is taken in one turn, while a flooding peer still yields
//! to the loop's other sources (its timers, its writes) every few reads.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use rtmp_proto::session::Session;

use super::{ReadBuffer, TxBatch};
use crate::runtime::{Runtime, Socket, timeout_at};

/// Reads per readiness wake-up before the loop processes what came in and looks at its
/// other sources.
pub const READS_PER_WAKE: usize = 4;
/// Segments are pulled out of the session until the batch holds this many bytes.
const BATCH_HIGH_WATER: usize = 256 * 1024;

/// A connected socket with its input buffer and outbound batch. The socket is behind an
/// `Arc` so a server connection's task can wait on it while this wire sits in state other
/// tasks write through ([`crate::server`]).
#[derive(Debug)]
pub struct Wire<S> {
    sock: Arc<S>,
    /// Sized by the traffic and released when idle (a fixed 64 KiB per connection would
    /// dominate the memory of a server holding many idle players).
    input: ReadBuffer,
    batch: TxBatch,
    /// RTMP bytes read and written so far (plaintext under TLS).
    bytes_in: u64,
    bytes_out: u64,
}

/// What [`Wire::pump_in`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    /// Bytes were handed to the session (or the read would block).
    Progress,
    /// The peer closed its side; the session was told.
    Eof,
}

/// Which directions of a socket are ready.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// A read may make progress.
    pub readable: bool,
    /// A write may make progress.
    pub writable: bool,
}

impl<S: Socket> Wire<S> {
    /// Wraps a connected socket.
    pub fn new(sock: S) -> Self {
        Wire {
            sock: Arc::new(sock),
            input: ReadBuffer::new(),
            batch: TxBatch::new(),
            bytes_in: 0,
            bytes_out: 0,
        }
    }

    /// RTMP bytes read from and written to the socket so far (the plaintext under TLS).
    pub fn bytes(&self) -> (u64, u64) {
        (self.bytes_in, self.bytes_out)
    }

    /// The socket, to wait on without holding the wire.
    pub fn socket(&self) -> Arc<S> {
        self.sock.clone()
    }

    /// Bytes taken from the session but not written yet (a TLS socket's encrypted
    /// records waiting for the kernel included).
    pub fn unsent(&self) -> usize {
        self.batch.len() + self.sock.unsent()
    }

    /// Polls for readability, and for writability while output waits. `Pending` only
    /// when neither is ready.
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<Readiness>> {
        poll_ready(&*self.sock, self.unsent() > 0, cx)
    }

    /// Reads what the socket has without waiting (see the module docs for how much) and
    /// hands it to the session.
    pub fn pump_in<T: Session>(
        &mut self,
        now: Instant,
        session: &mut T,
    ) -> io::Result<ReadOutcome> {
        for _ in 0..READS_PER_WAKE {
            let room = {
                self.input.prepare();
                self.input.room()
            };
            match self.sock.try_read_buf(self.input.prepare()) {
                Ok(0) => {
                    session.handle_eof(now);
                    return Ok(ReadOutcome::Eof);
                }
                Ok(n) => {
                    self.bytes_in += n as u64;
                    self.input.on_read(n, room);
                    // A protocol error also arrives as the session's `Closed` event.
                    let _ = session.handle_input(now, self.input.input());
                    self.input.settle();
                    if session.is_closed() {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    // Give back the buffer `prepare` made for a read that found nothing,
                    // or every idle connection keeps 4 KiB.
                    self.input.settle();
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ReadOutcome::Progress)
    }

    /// Moves the session's output into the batch and writes what the socket takes
    /// without waiting.
    pub fn pump_out<T: Session>(&mut self, session: &mut T) -> io::Result<()> {
        let sock = &*self.sock;
        let out = &mut self.bytes_out;
        self.batch.pump(
            BATCH_HIGH_WATER,
            || session.poll_transmit(),
            |slices| {
                let written = sock.try_write_vectored(slices);
                if let Ok(n) = written {
                    *out += n as u64;
                }
                written
            },
        )
    }

    /// Writes everything the session has queued, waiting for the socket, for at most
    /// `limit` (the last flush before a close must not hang on a dead peer).
    pub async fn flush_all<R, T>(
        &mut self,
        rt: &R,
        session: &mut T,
        limit: Duration,
    ) -> io::Result<()>
    where
        R: Runtime,
        T: Session,
    {
        let flush = async {
            loop {
                self.pump_out(session)?;
                if self.unsent() == 0 {
                    return Ok(());
                }
                let sock = &*self.sock;
                std::future::poll_fn(|cx| sock.poll_writable(cx)).await?;
            }
        };
        let deadline = rt.now() + limit;
        timeout_at(rt, deadline, flush)
            .await
            .unwrap_or_else(|| Err(io::ErrorKind::TimedOut.into()))
    }

    /// Half-closes our side so the peer sees end of stream after the last byte.
    pub fn shutdown(&self) {
        self.sock.shutdown_write();
    }
}

/// Polls `sock` for readability, and for writability when `write`. `Pending` only when
/// neither is ready; the task is woken when one becomes ready.
pub fn poll_ready<S: Socket>(
    sock: &S,
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
