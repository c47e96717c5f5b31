//! [`Player`]: a stream of media events from a stream that survives reconnects and
//! failover, and the task behind it.
//!
//! The task reads the connection and hands events to a bounded queue; when the caller
//! falls behind, the task waits, stops reading, and TCP pushes back on the server.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use rtmp_driver::client_link::LinkRole;
use rtmp_driver::client_loop::{PlayLoop, PlayStep};
use rtmp_driver::supervisor::Supervisor;
use rtmp_proto::client::ConnectionState;
use smol::channel::{self, Receiver, Sender};
use smol::{Task, future};

use super::builder::{ClientBuilder, ClientError, ClientStatus};
use super::link_io::{LinkIo, sleep_until};
use super::publisher::{Dialing, drive, poll_dial, wait_until};
use super::status_cell::{StatusCell, StatusWatch};

pub use rtmp_driver::client_loop::PlayerEvent;

/// A playing stream; see the module docs. Dropping it closes the connection.
#[derive(Debug)]
pub struct Player {
    rx: Receiver<PlayerEvent>,
    status: Arc<StatusCell>,
    /// Dropping (or sending on) it tells the task to stop.
    stop: Option<Sender<()>>,
    task: Option<Task<()>>,
}

impl Drop for Player {
    /// A smol task is cancelled when its handle drops; detaching lets it see the stop
    /// signal and close the connection politely instead.
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl Player {
    pub(crate) fn start(builder: ClientBuilder) -> Result<Player, ClientError> {
        let sup = builder.supervisor()?;
        let (tx, rx) = channel::bounded(builder.options().queue_frames);
        let status = StatusCell::new();
        let (stop, stop_rx) = channel::bounded(1);
        let task = smol::spawn(run(builder, sup, tx, status.clone(), stop_rx));
        Ok(Player {
            rx,
            status,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The next event; `None` once the player stopped for good (closed, or the reconnect
    /// policy gave up: see [`status`](Self::status)).
    pub async fn next(&mut self) -> Option<PlayerEvent> {
        self.rx.recv().await.ok()
    }

    pub fn status(&self) -> ClientStatus {
        self.status.get()
    }

    pub fn state(&self) -> ConnectionState {
        self.status.with(|s, _| s.state)
    }

    /// A receiver of status changes.
    pub fn subscribe(&self) -> StatusWatch {
        StatusWatch::new(self.status.clone())
    }

    /// Waits until `pred` holds for the status; fails when the player finishes first.
    pub async fn wait_until(
        &self,
        pred: impl FnMut(&ClientStatus) -> bool,
    ) -> Result<ClientStatus, ClientError> {
        wait_until(&self.status, pred).await
    }

    /// Stops playing and closes the connection.
    pub async fn close(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.try_send(());
        }
        self.rx.close();
        if let Some(task) = self.task.take() {
            task.await;
        }
    }
}

/// What woke the player's task.
enum Wake {
    Current(io::Result<()>),
    Dialed(io::Result<Box<LinkIo>>),
    DialTime,
    HealthTime,
    Stop,
}

async fn run(
    builder: ClientBuilder,
    sup: Supervisor,
    tx: Sender<PlayerEvent>,
    status: Arc<StatusCell>,
    stop: Receiver<()>,
) {
    let mut pl = PlayLoop::new(sup);
    let mut current: Option<LinkIo> = None;
    let mut dialing: Option<Dialing> = None;
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
        let wake = {
            let cur = async { Wake::Current(drive(&mut current).await) };
            let dialed = async { Wake::Dialed(poll_dial(&mut dialing).await.map(Box::new)) };
            let dial_time = async {
                sleep_until(dial_at).await;
                Wake::DialTime
            };
            let health = async {
                sleep_until(healthy_at).await;
                Wake::HealthTime
            };
            // A stop message, the handle dropped, or the event queue closed.
            let stopped = async {
                let _ = stop.recv().await;
                Wake::Stop
            };
            // `race` picks the first source to poll at random, as `select!` does.
            future::race(
                future::race(cur, dialed),
                future::race(future::race(dial_time, health), stopped),
            )
            .await
        };
        match wake {
            Wake::Current(Ok(())) => {}
            Wake::Current(Err(e)) => {
                current = None;
                if tx.send(pl.on_io_error(Instant::now(), &e)).await.is_err() {
                    break 'run;
                }
            }
            Wake::Dialed(r) => {
                dialing = None;
                match r {
                    Ok(link) => {
                        pl.supervisor().on_tcp_connected(Instant::now());
                        current = Some(*link);
                    }
                    Err(e) => pl.supervisor().on_dial_error(Instant::now(), &e),
                }
            }
            Wake::DialTime => {
                let url = pl.supervisor().dialing(Instant::now());
                dialing = Some(Box::pin(LinkIo::dial(
                    url,
                    builder.options().session.clone(),
                    LinkRole::Play,
                    builder.options().connect_timeout,
                )));
            }
            Wake::HealthTime => pl.supervisor().tick(Instant::now()),
            Wake::Stop => break,
        }
        if tx.is_closed() {
            break;
        }
    }
    if let Some(cur) = current.take() {
        cur.finish().await;
    }
    pl.supervisor().stop(Instant::now());
    update_status(&status, &mut pl);
    status.modify(true, |s| s.finished = true);
}

fn update_status(status: &StatusCell, pl: &mut PlayLoop) {
    if let Some(s) = pl.status_update() {
        let s = s.clone();
        status.modify(true, |cur| {
            let finished = cur.finished;
            *cur = s;
            cur.finished |= finished;
        });
    }
}
