//! [`Player`]: a stream of media events from a stream that survives reconnects and
//! failover, and the task behind it.
//!
//! The task reads the connection and hands events to a bounded queue; when the caller
//! falls behind, the task waits, stops reading, and TCP pushes back on the server.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use rtmp_driver::client_link::LinkRole;
use rtmp_driver::client_loop::PlayLoop;
use rtmp_driver::play_task::PlayTask;
use rtmp_driver::supervisor::Supervisor;
use rtmp_proto::client::ConnectionState;
use smol::channel::{self, Receiver, Sender};
use smol::{Task, future};

use super::builder::{ClientBuilder, ClientError, ClientStatus};
use super::link_io::{LinkIo, sleep_until};
use super::publisher::{Dialing, dial, drive, poll_dial, wait_until};
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
    let mut task: PlayTask<LinkIo, Dialing> = PlayTask::new(sup);
    'run: loop {
        let now = Instant::now();
        while let Some(event) = task.next_event(now) {
            if tx.send(event).await.is_err() {
                break 'run;
            }
        }
        if let Some(event) = task.pump_out(now)
            && tx.send(event).await.is_err()
        {
            break;
        }
        update_status(&status, task.play_loop());
        let Some(plan) = task.plan() else {
            break;
        };
        let wake = {
            let cur = async { Wake::Current(drive(&mut task.current).await) };
            let dialed = async { Wake::Dialed(poll_dial(&mut task.dialing).await.map(Box::new)) };
            let dial_time = async {
                sleep_until(plan.dial_at).await;
                Wake::DialTime
            };
            let health = async {
                sleep_until(plan.healthy_at).await;
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
            Wake::Current(r) => {
                if let Some(event) = task.on_current_driven(r)
                    && tx.send(event).await.is_err()
                {
                    break;
                }
            }
            Wake::Dialed(r) => task.on_dialed(r.map(|l| *l)),
            Wake::DialTime => task.on_dial_time(|url| dial(&builder, url, LinkRole::Play)),
            Wake::HealthTime => task.on_health_time(),
            Wake::Stop => break,
        }
        if tx.is_closed() {
            break;
        }
    }
    if let Some(cur) = task.take_current() {
        cur.finish().await;
    }
    task.stopped(Instant::now());
    update_status(&status, task.play_loop());
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
