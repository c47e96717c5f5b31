//! One server connection's task: the socket loop around a [`ConnCore`], the same under
//! every runtime.
//!
//! The task waits on four things at once: the socket (readable, or writable while output
//! waits), the session's next deadline, answers from auth hooks, and the connection's
//! fan-out signal (frames queued for one of its players; also raised for a shutdown).
//! Every wake-up ends the same way: `process` (events, player frames), spawn hook futures,
//! write. Each poll of the wait looks at every source and reports all that are ready, so a
//! source that is always ready (a player's signal under a busy publisher) cannot starve
//! the others (its socket, its timers).
//!
//! The connection's state lives in a [`ConnCell`] so that a publisher's task can write
//! relayed frames to this connection's socket itself; the task locks it for each turn and
//! never across an await.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rtmp_proto::relay::ConnId;
use tracing::Instrument;

use super::Shared;
use super::cell::{ConnCell, ConnState, Turn};
use super::core::{Answer, ConnCore, End};
use super::events::EventKind;
use crate::io::{Deadline, Readiness, Wire, wire::poll_ready};
use crate::runtime::{Runtime, Socket, timeout_at};

/// Releases the connection's publish slots and players however the task ends (even by
/// panic or cancellation), as the registry requires.
struct Registered {
    shared: Arc<Shared>,
    id: ConnId,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.shared.hub.close_connection(self.id);
    }
}

/// Serves one accepted socket to the end, logging open and close.
pub(super) async fn serve<R: Runtime, S: Socket>(
    rt: R,
    sock: S,
    peer: SocketAddr,
    shared: Arc<Shared>,
) {
    let (id, link) = shared.hub.open_connection(peer);
    let registered = Registered {
        shared: shared.clone(),
        id,
    };
    let span = tracing::info_span!("conn", id = id.0, %peer);
    async move {
        tracing::info!("connection opened");
        shared.events.emit(id, peer, || EventKind::Opened);
        let wire = Wire::new(sock);
        let sock = wire.socket();
        let core = ConnCore::new(id, link, peer, shared.clone(), rt.now());
        let cell = ConnCell::new(core, wire);
        let end = run(&rt, &cell, &*sock).await;
        let cause = end.cause();
        let (bytes_in, bytes_out) = {
            let mut state = cell.lock();
            state.core.leave_all(cause.stop_reason());
            state.wire.bytes()
        };
        drop(registered);
        tracing::info!(reason = %end, "connection closed");
        shared.events.emit(id, peer, || EventKind::Closed {
            reason: cause,
            bytes_in,
            bytes_out,
        });
    }
    .instrument(span)
    .await
}

/// Everything that was ready at one wake-up.
#[derive(Debug, Default)]
struct Woken {
    answer: Option<Answer>,
    io: Option<io::Result<Readiness>>,
    timer: bool,
    /// The fan-out signal: nothing to carry, the next turn picks up what it announced.
    signal: bool,
}

/// The socket loop; see the module docs.
async fn run<R: Runtime, S: Socket>(rt: &R, cell: &ConnCell<Wire<S>>, sock: &S) -> End {
    let mut stopping = false;
    let mut deadline = Deadline::<R>::new();
    let (answers, link, shared) = {
        let state = cell.lock();
        (
            state.core.answers(),
            state.core.link().clone(),
            state.core.shared().clone(),
        )
    };
    loop {
        let write = match cell.turn(rt.now(), shared.is_stopping(), &mut stopping, |fut| {
            drop(rt.spawn(fut));
        }) {
            Err(e) => return End::Io(e),
            Ok(Turn::Again) => continue,
            Ok(Turn::Flush(limit)) => {
                if let Err(e) = flush_all(rt, cell, sock, limit).await {
                    tracing::debug!(error = %e, "final flush incomplete");
                }
                sock.shutdown_write();
                return cell.lock().core.end_reason(stopping);
            }
            Ok(Turn::Wait { write, at }) => {
                deadline.set(rt, at);
                write
            }
        };
        let woken = poll_fn(|cx| {
            let mut w = Woken::default();
            if let Poll::Ready(a) = answers.poll_recv(cx) {
                w.answer = Some(a);
            }
            if let Poll::Ready(r) = poll_ready(sock, write, cx) {
                w.io = Some(r);
            }
            w.timer = deadline.poll(cx).is_ready();
            w.signal = link.signal.poll_wait(cx).is_ready();
            if w.answer.is_some() || w.io.is_some() || w.timer || w.signal {
                Poll::Ready(w)
            } else {
                Poll::Pending
            }
        })
        .await;
        {
            let mut state = cell.lock();
            let ConnState { core, wire } = &mut *state;
            if let Some(answer) = woken.answer {
                core.apply(rt.now(), answer);
            }
            match woken.io {
                Some(Ok(r)) if r.readable => {
                    if let Err(e) = wire.pump_in(rt.now(), core.session()) {
                        return End::Io(e);
                    }
                }
                Some(Ok(_)) | None => {}
                Some(Err(e)) => return End::Io(e),
            }
        }
        cell.check_timers(rt.now(), woken.timer);
    }
}

/// Writes everything the session has queued, waiting for the socket, for at most `limit`
/// (the last flush before a close must not hang on a dead peer).
async fn flush_all<R: Runtime, S: Socket>(
    rt: &R,
    cell: &ConnCell<Wire<S>>,
    sock: &S,
    limit: Duration,
) -> io::Result<()> {
    let flush = async {
        while !cell.flush_step()? {
            poll_fn(|cx| sock.poll_writable(cx)).await?;
        }
        Ok(())
    };
    timeout_at(rt, rt.now() + limit, flush)
        .await
        .unwrap_or_else(|| Err(io::ErrorKind::TimedOut.into()))
}
