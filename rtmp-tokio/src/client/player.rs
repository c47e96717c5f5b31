//! [`Player`]: a stream of media events from a stream that survives reconnects and
//! failover, and the task behind it.
//!
//! The task reads the connection and hands events to a bounded queue; when the caller
//! falls behind, the task waits, stops reading, and TCP pushes back on the server.

use std::time::Instant;

use rtmp_driver::client_link::LinkRole;
use rtmp_driver::supervisor::Supervisor;
use rtmp_proto::client::{ConnectionState, FailureReason, RtmpUrl};
use rtmp_proto::session::{ClientEvent, Media, Metadata};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::builder::{ClientBuilder, ClientError, ClientStatus};
use super::link_io::LinkIo;
use super::publisher::{drive, poll_dial};
use super::sleep_until;

/// What a [`Player`] receives.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlayerEvent {
    /// Playing started (again, after a reconnect): reset decoders; media follows
    /// (metadata and sequence headers first when the server has them).
    Started {
        url: RtmpUrl,
    },
    Media(Media),
    Metadata(Metadata),
    /// The publisher went away (StreamEOF); the connection stays and waits.
    Unpublished,
    /// The connection failed; the player reconnects per its policy.
    Interrupted {
        reason: Option<FailureReason>,
    },
}

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
        let (tx, rx) = mpsc::channel(builder.queue_frames);
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
    mut sup: Supervisor,
    tx: mpsc::Sender<PlayerEvent>,
    status: watch::Sender<ClientStatus>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut current: Option<LinkIo> = None;
    let mut dialing = None;
    let mut starts = 0u64;
    'run: loop {
        let now = Instant::now();
        let mut lost = false;
        while let Some(ev) = current.as_mut().and_then(LinkIo::poll_event) {
            if sup.on_event(now, &ev) {
                lost = true;
                let reason = FailureReason::from_event(&ev);
                if tx.send(PlayerEvent::Interrupted { reason }).await.is_err() {
                    break 'run;
                }
                break;
            }
            let out = match ev {
                ClientEvent::PlayStarted { .. } => {
                    starts += 1;
                    let Some(url) = current.as_ref().map(|c| c.url().clone()) else {
                        continue;
                    };
                    PlayerEvent::Started { url }
                }
                ClientEvent::Media { media, .. } => PlayerEvent::Media(media),
                ClientEvent::Metadata { metadata, .. } => PlayerEvent::Metadata(metadata),
                ClientEvent::StreamEof { .. } => PlayerEvent::Unpublished,
                _ => continue,
            };
            if tx.send(out).await.is_err() {
                break 'run;
            }
        }
        if let Some(cur) = current.as_mut()
            && let Err(e) = cur.pump_out()
        {
            sup.on_io_error(now, &e);
            lost = true;
            let reason = sup.last_failure().cloned();
            if tx.send(PlayerEvent::Interrupted { reason }).await.is_err() {
                break 'run;
            }
        }
        if lost {
            current = None;
        }
        update_status(&status, &mut sup, starts);
        if current.is_none() && dialing.is_none() && sup.next_dial().is_none() {
            break;
        }
        let dial_at = match (&current, &dialing) {
            (None, None) => sup.next_dial().map(|d| d.at),
            _ => None,
        };
        tokio::select! {
            r = drive(&mut current) => if let Err(e) = r {
                sup.on_io_error(Instant::now(), &e);
                current = None;
                let reason = sup.last_failure().cloned();
                if tx.send(PlayerEvent::Interrupted { reason }).await.is_err() {
                    break 'run;
                }
            },
            r = poll_dial(&mut dialing) => {
                dialing = None;
                match r {
                    Ok(link) => {
                        sup.on_tcp_connected(Instant::now());
                        current = Some(link);
                    }
                    Err(e) => sup.on_dial_error(Instant::now(), &e),
                }
            },
            () = sleep_until(dial_at) => {
                let url = sup.dialing(Instant::now());
                dialing = Some(Box::pin(LinkIo::dial(
                    url,
                    builder.session.clone(),
                    LinkRole::Play,
                    builder.connect_timeout,
                )));
            },
            () = sleep_until(sup.healthy_deadline()) => sup.tick(Instant::now()),
            _ = &mut stop => break,
            () = tx.closed() => break,
        }
    }
    if let Some(cur) = current.take() {
        cur.finish().await;
    }
    sup.stop(Instant::now());
    update_status(&status, &mut sup, starts);
    status.send_modify(|s| s.finished = true);
}

fn update_status(status: &watch::Sender<ClientStatus>, sup: &mut Supervisor, starts: u64) {
    let mut changed = false;
    while let Some(t) = sup.poll_transition() {
        tracing::info!(from = ?t.from, to = ?t.to, reason = ?t.reason, "player state");
        changed = true;
    }
    if !changed && status.borrow().starts == starts {
        return;
    }
    status.send_modify(|s| {
        s.state = sup.state();
        s.url = sup.current_url().cloned();
        s.starts = starts;
        s.gave_up = sup.has_given_up();
        s.last_failure = sup.last_failure().cloned();
        s.finished |= s.gave_up;
    });
}
