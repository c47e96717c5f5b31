//! One server connection under tokio: the socket loop around a
//! [`ConnCore`](rtmp_driver::conn_core::ConnCore).
//!
//! The task waits on five things at once: the socket (readable, or writable while output
//! waits), the session's next deadline, answers from auth hooks, the fan-out signal (frames
//! queued for one of its players) and server shutdown. Every wake-up ends the same way:
//! `process` (events, player frames), spawn hook futures, write.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use rtmp_proto::relay::ConnId;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tracing::Instrument;

use crate::deadline::Deadline;
use crate::wire::Wire;
use rtmp_driver::conn_core::{ConnCore, End};
use rtmp_driver::shared::Shared;

/// Releases the connection's publish slots and players however the task ends (even by
/// panic or abort), as the registry requires.
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
pub(crate) async fn serve(
    sock: TcpStream,
    peer: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Receiver<bool>,
) {
    let (id, link) = shared.hub.open_connection();
    let registered = Registered {
        shared: shared.clone(),
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
        let mut core = ConnCore::new(id, link, peer, shared);
        let end = run(&mut core, wire, stop).await;
        core.leave_all();
        drop(registered);
        tracing::info!(reason = %end, "connection closed");
    }
    .instrument(span)
    .await
}

/// The socket loop: one task, no locks held across awaits.
async fn run(core: &mut ConnCore, mut wire: Wire, mut stop: watch::Receiver<bool>) -> End {
    let mut stopping = false;
    let mut deadline = Deadline::new();
    loop {
        core.process();
        for fut in core.take_spawns() {
            tokio::spawn(fut);
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
            wire.shutdown().await;
            return core.end_reason(stopping);
        }
        if !stopping && *stop.borrow() {
            stopping = true;
            core.begin_shutdown();
            continue;
        }
        deadline.set(core.session.poll_timeout());
        tokio::select! {
            changed = stop.changed(), if !stopping => {
                if changed.is_err() {
                    // The server is gone without a shutdown call: treat it as one.
                    stopping = true;
                    core.begin_shutdown();
                }
            }
            answer = core.answers.recv() => core.apply(answer),
            () = core.link.signal.wait() => {}
            ready = wire.ready() => match ready {
                Ok(r) if r.is_readable() || r.is_read_closed() => {
                    if let Err(e) = wire.pump_in(&mut core.session) {
                        return End::Io(e);
                    }
                }
                Ok(_) => {}
                Err(e) => return End::Io(e),
            },
            () = deadline.wait() => core.session.handle_timeout(Instant::now()),
        }
        let now = Instant::now();
        if core.session.poll_timeout().is_some_and(|t| t <= now) {
            core.session.handle_timeout(now);
        }
    }
}
