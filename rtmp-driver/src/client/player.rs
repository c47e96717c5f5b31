//! [`Player`]: a stream of media events from a stream that survives reconnects and
//! failover, and the task behind it.
//!
//! The task reads the connection and hands events to a bounded queue; when the caller
//! falls behind, the task waits, stops reading, and TCP pushes back on the server. The
//! decisions are [`PlayTask`]'s; this file only waits.

use std::future::poll_fn;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use async_channel::{Receiver, Sender};
use rtmp_proto::client::{
    ClientError, ClientStatus, ConnectionState, LinkRole, PlayLoop, PlayTask, PlayerEvent,
    Supervisor,
};

use super::builder::ClientBuilder;
use super::link_io::{Dialing, LinkIo, dial};
use super::publisher::poll_dial;
use super::watched::Watched;
use crate::io::Deadline;
use crate::runtime::Runtime;
use crate::sync::{StatusCell, StatusWatch};

/// A playing stream; see the module docs. Dropping it closes the connection.
#[derive(Debug)]
pub struct Player<R: Runtime> {
    rx: Receiver<PlayerEvent>,
    watched: Watched<R>,
    stop: Sender<()>,
    /// Dropping a task handle lets the task run on.
    _task: R::Task,
}

impl<R: Runtime> Player<R> {
    pub(crate) fn start(builder: ClientBuilder<R>) -> Result<Self, ClientError> {
        let sup = builder.supervisor()?;
        let (tx, rx) = async_channel::bounded(builder.options().queue_frames);
        let status = StatusCell::new();
        let (stop, stop_rx) = async_channel::bounded(1);
        let rt = builder.rt().clone();
        let task = rt.spawn(run(builder, sup, tx, status.clone(), stop_rx));
        Ok(Player {
            rx,
            watched: Watched::new(rt, status),
            stop,
            _task: task,
        })
    }

    /// The next event; `None` once the player stopped for good (closed, or the reconnect
    /// policy gave up: see [`status`](Self::status)).
    pub async fn next(&mut self) -> Option<PlayerEvent> {
        self.rx.recv().await.ok()
    }

    /// The latest status.
    pub fn status(&self) -> ClientStatus {
        self.watched.status()
    }

    /// The connection state.
    pub fn state(&self) -> ConnectionState {
        self.watched.state()
    }

    /// A receiver of status changes.
    pub fn subscribe(&self) -> StatusWatch {
        self.watched.subscribe()
    }

    /// Waits until `pred` holds for the status; fails when the player finishes first.
    pub async fn wait_until(
        &self,
        pred: impl FnMut(&ClientStatus) -> bool,
    ) -> Result<ClientStatus, ClientError> {
        self.watched.wait_until(pred).await
    }

    /// Stops playing, closes the connection and waits for the task to end.
    pub async fn close(self) {
        let _ = self.stop.try_send(());
        self.rx.close();
        let _ = self.watched.wait_until(|s| s.finished).await;
    }
}

impl<R: Runtime> Drop for Player<R> {
    fn drop(&mut self) {
        // The task sees the stop and its event queue closed, and ends.
        self.stop.close();
        self.rx.close();
    }
}

/// What woke the player's task.
enum Wake<R: Runtime> {
    Current(io::Result<()>),
    Dialed(io::Result<Box<LinkIo<R>>>),
    DialTime,
    HealthTime,
    Stop,
}

async fn run<R: Runtime>(
    builder: ClientBuilder<R>,
    sup: Supervisor,
    tx: Sender<PlayerEvent>,
    status: Arc<StatusCell>,
    stop: Receiver<()>,
) {
    let rt = builder.rt().clone();
    let opts = builder.options().clone();
    let dial = |url| dial(&rt, url, &opts, LinkRole::Play);
    let mut task: PlayTask<LinkIo<R>, Dialing<R>> = PlayTask::new(sup);
    let (mut dial_timer, mut health_timer) = (Deadline::<R>::new(), Deadline::<R>::new());
    'run: loop {
        let now = rt.now();
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
        dial_timer.set(&rt, plan.dial_at);
        health_timer.set(&rt, plan.healthy_at);
        let wake = {
            let mut stopped = pin!(stop.recv());
            poll_fn(|cx| {
                // A stop message, the handle dropped, or the event queue closed.
                if stopped.as_mut().poll(cx).is_ready() || tx.is_closed() {
                    return Poll::Ready(Wake::Stop);
                }
                // Timers first: they are rarely ready, and a socket that always is must
                // not starve them.
                if dial_timer.poll(cx).is_ready() {
                    return Poll::Ready(Wake::DialTime);
                }
                if health_timer.poll(cx).is_ready() {
                    return Poll::Ready(Wake::HealthTime);
                }
                if let Some(r) = poll_dial(&mut task.dialing, cx) {
                    return Poll::Ready(Wake::Dialed(r.map(Box::new)));
                }
                if let Some(cur) = task.current.as_mut()
                    && let Poll::Ready(r) = cur.poll_drive(&rt, cx)
                {
                    return Poll::Ready(Wake::Current(r));
                }
                Poll::Pending
            })
            .await
        };
        match wake {
            Wake::Current(r) => {
                if let Some(event) = task.on_current_driven(rt.now(), r)
                    && tx.send(event).await.is_err()
                {
                    break;
                }
            }
            Wake::Dialed(r) => task.on_dialed(rt.now(), r.map(|l| *l)),
            Wake::DialTime => task.on_dial_time(rt.now(), dial),
            Wake::HealthTime => task.on_health_time(rt.now()),
            Wake::Stop => break,
        }
    }
    if let Some(cur) = task.take_current() {
        cur.finish(rt.clone()).await;
    }
    task.stopped(rt.now());
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
