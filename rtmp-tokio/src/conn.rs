//! One server connection under tokio: the socket loop around a
//! [`ConnCore`](rtmp_driver::conn_core::ConnCore).
//!
//! The task waits on five things at once: the socket (readable, or writable while output
//! waits), the session's next deadline, answers from auth hooks, the fan-out signal (frames
//! queued for one of its players) and server shutdown. Every wake-up ends the same way:
//! `process` (events, player frames), spawn hook futures, write.
//!
//! The connection's state lives in a [`ConnCell`] so that a publisher's task can write
//! relayed frames to this connection's socket itself; the task locks it for each turn.

use std::net::SocketAddr;
use std::sync::Arc;

use rtmp_proto::relay::ConnId;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tracing::Instrument;

use crate::deadline::Deadline;
use crate::wire::{self, Wire};
use rtmp_driver::conn_cell::{ConnCell, ConnState, Turn};
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
        let sock = wire.socket();
        let core = ConnCore::new(id, link, peer, shared);
        let cell = ConnCell::new(core, wire);
        let end = run(&cell, &sock, stop).await;
        cell.lock().core.leave_all();
        drop(registered);
        tracing::info!(reason = %end, "connection closed");
    }
    .instrument(span)
    .await
}

/// The socket loop: one task; the state is locked for each turn, never across an await.
async fn run(cell: &ConnCell<Wire>, sock: &TcpStream, mut stop: watch::Receiver<bool>) -> End {
    let mut stopping = false;
    let mut deadline = Deadline::new();
    let (answers, link) = {
        let state = cell.lock();
        (state.core.answers.clone(), state.core.link.clone())
    };
    loop {
        let shutdown = *stop.borrow();
        let write = match cell.turn(shutdown, &mut stopping, |fut| {
            tokio::spawn(fut);
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
        let mut fired = false;
        tokio::select! {
            changed = stop.changed(), if !stopping => {
                if changed.is_err() {
                    // The server is gone without a shutdown call: treat it as one.
                    stopping = true;
                    cell.lock().core.begin_shutdown();
                }
            }
            answer = answers.recv() => cell.lock().core.apply(answer),
            () = link.signal.wait() => {}
            ready = wire::ready(sock, write) => match ready {
                Ok(r) if r.is_readable() || r.is_read_closed() => {
                    let mut state = cell.lock();
                    let ConnState { core, wire } = &mut *state;
                    if let Err(e) = wire.pump_in(&mut core.session) {
                        return End::Io(e);
                    }
                }
                Ok(_) => {}
                Err(e) => return End::Io(e),
            },
            () = deadline.wait() => fired = true,
        }
        cell.check_timers(fired);
    }
}

/// Writes everything the session has queued, waiting for the socket, for at most `limit`
/// (the last flush before a close must not hang on a dead peer).
async fn flush_all(
    cell: &ConnCell<Wire>,
    sock: &TcpStream,
    limit: std::time::Duration,
) -> std::io::Result<()> {
    let flush = async {
        while !cell.flush_step()? {
            sock.writable().await?;
        }
        Ok(())
    };
    match tokio::time::timeout(limit, flush).await {
        Ok(r) => r,
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}
