//! One server connection under smol: the socket loop around a
//! [`ConnCore`](rtmp_driver::conn_core::ConnCore).
//!
//! The task waits on five things at once: the socket (readable, or writable while output
//! waits), the session's next deadline, answers from auth hooks, the fan-out signal (frames
//! queued for one of its players) and server shutdown. Every wake-up ends the same way:
//! `process` (events, player frames), spawn hook futures, write.
//!
//! The connection's state lives in a [`ConnCell`] so that a publisher's task can write
//! relayed frames to this connection's socket itself; the task locks it for each turn.
//!
//! smol has no `select!`; [`wait`] polls every source on each wake-up and reports all that
//! are ready, so a source that is always ready (a player's fan-out signal under a busy
//! publisher) cannot starve the others (its socket, its timers).

use std::future::{Future, poll_fn};
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rtmp_proto::relay::ConnId;
use smol::channel::Receiver;
use smol::{Async, Executor, Timer};
use tracing::Instrument;

use crate::deadline::Deadline;
use crate::wire::{self, Readiness, Wire};
use rtmp_driver::conn_cell::{ConnCell, ConnState, Turn};
use rtmp_driver::conn_core::{Answer, ConnCore, End};
use rtmp_driver::shared::Shared;
use rtmp_driver::{Mailbox, Signal};

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

/// What a connection task needs from its server besides the socket.
#[derive(Debug, Clone)]
pub(crate) struct ConnEnv {
    pub(crate) shared: Arc<Shared>,
    /// Closed (never sent on) when the server shuts down.
    pub(crate) stop: Receiver<()>,
    /// Where hook futures run: the server's executor.
    pub(crate) executor: Arc<Executor<'static>>,
}

/// Serves one accepted socket to the end, logging open and close.
pub(crate) async fn serve(sock: Async<TcpStream>, peer: SocketAddr, env: ConnEnv) {
    let (id, link) = env.shared.hub.open_connection();
    let registered = Registered {
        shared: env.shared.clone(),
        id,
    };
    let span = tracing::info_span!("conn", id = id.0, %peer);
    async move {
        tracing::info!("connection opened");
        let wire = match Wire::new(sock) {
            Ok(w) => w,
            Err(e) => {
                tracing::info!(reason = %End::Io(e), "connection closed");
                return;
            }
        };
        let sock = wire.socket();
        let core = ConnCore::new(id, link, peer, env.shared.clone());
        let cell = ConnCell::new(core, wire);
        let end = run(&cell, &sock, &env).await;
        cell.lock().core.leave_all();
        drop(registered);
        tracing::info!(reason = %end, "connection closed");
    }
    .instrument(span)
    .await
}

/// The socket loop: one task; the state is locked for each turn, never across an await.
async fn run(cell: &ConnCell<Wire>, sock: &Async<TcpStream>, env: &ConnEnv) -> End {
    let mut stopping = false;
    let mut deadline = Deadline::new();
    let (answers, link) = {
        let state = cell.lock();
        (state.core.answers.clone(), state.core.link.clone())
    };
    loop {
        // Closed by `ServerHandle::shutdown` (the server keeps a sender until its tasks
        // end).
        let shutdown = env.stop.is_closed();
        let write = match cell.turn(shutdown, &mut stopping, |fut| {
            env.executor.spawn(fut).detach();
        }) {
            Err(e) => return End::Io(e),
            Ok(Turn::Again) => continue,
            Ok(Turn::Flush(limit)) => {
                if let Err(e) = flush_all(cell, sock, limit).await {
                    tracing::debug!(error = %e, "final flush incomplete");
                }
                wire::shutdown(sock);
                return cell.lock().core.end_reason(stopping);
            }
            Ok(Turn::Wait { write, at }) => {
                deadline.set(at);
                write
            }
        };
        let stop = (!stopping).then_some(&env.stop);
        let woken = wait(&answers, &link.signal, sock, write, &mut deadline, stop).await;
        {
            let mut state = cell.lock();
            let ConnState { core, wire } = &mut *state;
            if let Some(answer) = woken.answer {
                core.apply(answer);
            }
            match woken.io {
                Some(Ok(r)) if r.readable => {
                    if let Err(e) = wire.pump_in(&mut core.session) {
                        return End::Io(e);
                    }
                }
                Some(Ok(_)) | None => {}
                Some(Err(e)) => return End::Io(e),
            }
        }
        cell.check_timers(woken.timer);
    }
}

/// Writes everything the session has queued, waiting for the socket, for at most `limit`
/// (the last flush before a close must not hang on a dead peer).
async fn flush_all(
    cell: &ConnCell<Wire>,
    sock: &Async<TcpStream>,
    limit: Duration,
) -> io::Result<()> {
    let flush = async {
        while !cell.flush_step()? {
            sock.writable().await?;
        }
        Ok(())
    };
    let expire = async {
        Timer::after(limit).await;
        Err(io::ErrorKind::TimedOut.into())
    };
    smol::future::or(flush, expire).await
}

/// Everything that was ready at one wake-up.
#[derive(Debug, Default)]
struct Woken {
    answer: Option<Answer>,
    io: Option<io::Result<Readiness>>,
    timer: bool,
    /// The fan-out signal or shutdown: nothing to carry, `process` and the loop's checks
    /// pick them up.
    other: bool,
}

/// Waits until at least one source is ready, polling all of them each time.
async fn wait(
    answers: &Mailbox<Answer>,
    signal: &Signal,
    sock: &Async<TcpStream>,
    write: bool,
    deadline: &mut Deadline,
    stop: Option<&Receiver<()>>,
) -> Woken {
    let mut answer = pin!(answers.recv());
    let mut signal = pin!(signal.wait());
    let mut stopped = pin!(async {
        match stop {
            Some(rx) => {
                let _ = rx.recv().await;
            }
            None => std::future::pending().await,
        }
    });
    poll_fn(|cx| {
        let mut w = Woken::default();
        if let Poll::Ready(a) = answer.as_mut().poll(cx) {
            w.answer = Some(a);
        }
        if let Poll::Ready(r) = wire::poll_ready(sock, write, cx) {
            w.io = Some(r);
        }
        w.timer = deadline.poll(cx).is_ready();
        w.other |= signal.as_mut().poll(cx).is_ready();
        w.other |= stopped.as_mut().poll(cx).is_ready();
        if w.answer.is_some() || w.io.is_some() || w.timer || w.other {
            Poll::Ready(w)
        } else {
            Poll::Pending
        }
    })
    .await
}
