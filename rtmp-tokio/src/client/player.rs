//! [`Player`]: a stream of media events from a stream that survives reconnects and
//! failover, and the task behind it.
//!
//! The task reads the connection and hands events to a bounded queue; when the caller
//! falls behind, the task waits, stops reading, and TCP pushes back on the server.

use std::time::Instant;

use rtmp_driver::client_link::LinkRole;
use rtmp_driver::client_loop::{PlayLoop, PlayStep};
use rtmp_driver::supervisor::Supervisor;
use rtmp_proto::client::ConnectionState;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::builder::{ClientBuilder, ClientError, ClientStatus};
use super::link_io::LinkIo;
use super::publisher::{drive, poll_dial};
use super::sleep_until;

pub use rtmp_driver::client_loop::PlayerEvent;

/// A playing stream; see the module docs. Dropping it closes the connection.
#[derive(Debug)]
pub struct Player {
    rx: mpsc::Receiver<PlayerEvent>,
    status: watch::Receiver<ClientStatus>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Player {
    pub(crate) fn start(builder: ClientBuilder) -> Result<Player, ClientError> {
        let sup = builder.supervisor()?;
        let (tx, rx) = mpsc::channel(builder.options().queue_frames);
        let (status_tx, status) = watch::channel(ClientStatus::new());
        let (stop, stop_rx) = oneshot::channel();
        let task = tokio::spawn(run(builder, sup, tx, status_tx, stop_rx));
        Ok(Player {
            rx,
            status,
            stop: Some(stop),
            task,
        })
    }

    /// The next event; `None` once the player stopped for good (closed, or the reconnect
    /// policy gave up: see [`status`](Self::status)).
    pub async fn next(&mut self) -> Option<PlayerEvent> {
        self.rx.recv().await
    }

    pub fn status(&self) -> ClientStatus {
        self.status.borrow().clone()
    }

    pub fn state(&self) -> ConnectionState {
        self.status.borrow().state
    }

    /// A receiver of status changes.
    pub fn subscribe(&self) -> watch::Receiver<ClientStatus> {
        self.status.clone()
    }

    /// Stops playing and closes the connection.
    pub async fn close(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.rx.close();
        let _ = self.task.await;
    }
}

async fn run(
    builder: ClientBuilder,
    sup: Supervisor,
    tx: mpsc::Sender<PlayerEvent>,
    status: watch::Sender<ClientStatus>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut pl = PlayLoop::new(sup);
    let mut current: Option<LinkIo> = None;
    let mut dialing = None;
    'run: loop {
        let now = Instant::now();
        while let Some(ev) = current.as_mut().and_then(LinkIo::poll_event) {
            let Some(url) = current.as_ref().map(|c| c.url().clone()) else {
                break;
            };
            let (event, lost) = match pl.on_event(now, ev, &url) {
                PlayStep::Deliver(e) => (e, false),
                PlayStep::Lost(e) => (e, true),
                _ => continue,
            };
            if lost {
                current = None;
            }
            if tx.send(event).await.is_err() {
                break 'run;
            }
        }
        if let Some(cur) = current.as_mut()
            && let Err(e) = cur.pump_out()
        {
            current = None;
            if tx.send(pl.on_io_error(now, &e)).await.is_err() {
                break 'run;
            }
        }
        update_status(&status, &mut pl);
        if current.is_none() && dialing.is_none() && pl.supervisor().next_dial().is_none() {
            break;
        }
        let dial_at = match (&current, &dialing) {
            (None, None) => pl.supervisor().next_dial().map(|d| d.at),
            _ => None,
        };
        let healthy_at = pl.supervisor().healthy_deadline();
        tokio::select! {
            r = drive(&mut current) => if let Err(e) = r {
                current = None;
                if tx.send(pl.on_io_error(Instant::now(), &e)).await.is_err() {
                    break 'run;
                }
            },
            r = poll_dial(&mut dialing) => {
                dialing = None;
                match r {
                    Ok(link) => {
                        pl.supervisor().on_tcp_connected(Instant::now());
                        current = Some(link);
                    }
                    Err(e) => pl.supervisor().on_dial_error(Instant::now(), &e),
                }
            },
            () = sleep_until(dial_at) => {
                let url = pl.supervisor().dialing(Instant::now());
                dialing = Some(Box::pin(LinkIo::dial(
                    url,
                    builder.options().session.clone(),
                    LinkRole::Play,
                    builder.options().connect_timeout,
                )));
            },
            () = sleep_until(healthy_at) => pl.supervisor().tick(Instant::now()),
            _ = &mut stop => break,
            () = tx.closed() => break,
        }
    }
    if let Some(cur) = current.take() {
        cur.finish().await;
    }
    pl.supervisor().stop(Instant::now());
    update_status(&status, &mut pl);
    status.send_modify(|s| s.finished = true);
}

fn update_status(status: &watch::Sender<ClientStatus>, pl: &mut PlayLoop) {
    if let Some(s) = pl.status_update() {
        let s = s.clone();
        status.send_modify(|cur| {
            let finished = cur.finished;
            *cur = s;
            cur.finished |= finished;
        });
    }
}
