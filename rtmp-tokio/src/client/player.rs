//! [`Player`]: a stream of media events from a stream that survives reconnects and
//! failover, and the task behind it.
//!
//! The task reads the connection and hands events to a bounded queue; when the caller
//! falls behind, the task waits, stops reading, and TCP pushes back on the server.

use std::time::Instant;

use rtmp_driver::client_link::LinkRole;
use rtmp_driver::client_loop::PlayLoop;
use rtmp_driver::play_task::PlayTask;
use rtmp_driver::supervisor::Supervisor;
use rtmp_proto::client::ConnectionState;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::builder::{ClientBuilder, ClientError, ClientStatus};
use super::link_io::LinkIo;
use super::publisher::{Dialing, dial, drive, poll_dial};
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
        tokio::select! {
            r = drive(&mut task.current) => if let Some(event) = task.on_current_driven(r)
                && tx.send(event).await.is_err()
            {
                break;
            },
            r = poll_dial(&mut task.dialing) => task.on_dialed(r),
            () = sleep_until(plan.dial_at) => task.on_dial_time(|url| dial(&builder, url, LinkRole::Play)),
            () = sleep_until(plan.healthy_at) => task.on_health_time(),
            _ = &mut stop => break,
            () = tx.closed() => break,
        }
    }
    if let Some(cur) = task.take_current() {
        cur.finish().await;
    }
    task.stopped(Instant::now());
    update_status(&status, task.play_loop());
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
