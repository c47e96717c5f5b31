//! One server connection under smol: the socket loop around a
//! [`ConnCore`](rtmp_driver::conn_core::ConnCore).
//!
//! The task waits on five things at once: the socket (readable, or writable while output
//! waits), the session's next deadline, answers from auth hooks, the fan-out signal (frames
//! queued for one of its players) and server shutdown. Every wake-up ends the same way:
//! `process` (events, player frames), spawn hook futures, write.
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
use std::time::Instant;

use rtmp_proto::relay::ConnId;
use smol::channel::Receiver;
use smol::{Async, Executor};
use tracing::Instrument;

use crate::deadline::Deadline;
use crate::wire::{Readiness, Wire};
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
        let mut core = ConnCore::new(id, link, peer, env.shared.clone());
        let end = run(&mut core, wire, &env).await;
        core.leave_all();
        drop(registered);
        tracing::info!(reason = %end, "connection closed");
    }
    .instrument(span)
    .await
}

/// The socket loop: one task, no locks held across awaits.
async fn run(core: &mut ConnCore, mut wire: Wire, env: &ConnEnv) -> End {
    let mut stopping = false;
    let mut deadline = Deadline::new();
    loop {
        core.process();
        for fut in core.take_spawns() {
            env.executor.spawn(fut).detach();
        }
        if let Err(e) = wire.pump_out(&mut core.session) {
            return End::Io(e);
        }
        core.report_backlog(wire.unsent());
        if core.session.is_closed() {
            let limit = core.final_flush_limit();
            if let Err(e) = wire.flush_all(&mut core.session, limit).await {
                tracing::debug!(error = %e, "final flush incomplete");
            }
            wire.shutdown();
            return core.end_reason(stopping);
        }
        // Closed by `ServerHandle::shutdown` (the server keeps a sender until its tasks end).
        if !stopping && env.stop.is_closed() {
            stopping = true;
            core.begin_shutdown();
            continue;
        }
        deadline.set(core.session.poll_timeout());
        let stop = (!stopping).then_some(&env.stop);
        let woken = wait(&core.answers, &core.link.signal, &wire, &mut deadline, stop).await;
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
        let now = Instant::now();
        if woken.timer || core.session.poll_timeout().is_some_and(|t| t <= now) {
            core.session.handle_timeout(now);
        }
    }
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
    wire: &Wire,
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
        if let Poll::Ready(r) = wire.poll_ready(cx) {
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
