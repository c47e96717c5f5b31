//! [`Publisher`]: a handle that sends media to a stream that survives reconnects and
//! failover, and the task behind it.
//!
//! The handle puts frames in a bounded queue; the task takes them only while the
//! connection's unsent bytes are under the builder's `high_water`, so a slow link fills
//! the queue and `send_*` waits (or `try_send_*` says `Full`): backpressure reaches the
//! caller. Every decision (when and where to dial, what to resend, where a frame goes
//! during a handover) is made by `rtmp_driver::{supervisor, publisher}`; this file only
//! waits on sockets, timers and the queue. smol has no `select!`: the task races its
//! sources with `future::race`, each source cancel-safe (see [`LinkIo::drive`]).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtmp_driver::client_link::LinkRole;
use rtmp_driver::client_loop::{LinkStep, PublishLoop};
use rtmp_driver::publisher::{Outgoing, Sent, Target};
use rtmp_driver::supervisor::Supervisor;
use rtmp_proto::amf::Value;
use rtmp_proto::client::{ConnectionState, RtmpUrl};
use rtmp_proto::session::{Media, MediaKind};
use smol::channel::{self, Receiver, Sender, TrySendError};
use smol::{Task, Timer, future};

use super::builder::{ClientBuilder, ClientError, ClientStatus};
use super::link_io::{LinkIo, sleep_until};
use super::status_cell::{StatusCell, StatusWatch};

enum Cmd {
    Media(Media),
    Metadata(Value),
    Close(Sender<()>),
}

/// A publishing stream; see the module docs. Dropping it closes the stream.
#[derive(Debug)]
pub struct Publisher {
    tx: Sender<Cmd>,
    status: Arc<StatusCell>,
    task: Option<Task<()>>,
}

impl std::fmt::Debug for Cmd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Cmd::Media(_) => "Media",
            Cmd::Metadata(_) => "Metadata",
            Cmd::Close(_) => "Close",
        })
    }
}

impl Drop for Publisher {
    /// A smol task is cancelled when its handle drops; detaching lets it see the queue
    /// close and end the stream politely instead.
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl Publisher {
    pub(crate) async fn start(builder: ClientBuilder) -> Result<Publisher, ClientError> {
        let sup = builder.supervisor()?;
        let (tx, rx) = channel::bounded(builder.options().queue_frames);
        let status = StatusCell::new();
        let task = smol::spawn(run(builder, sup, rx, status.clone()));
        let p = Publisher {
            tx,
            status,
            task: Some(task),
        };
        p.wait_until(|s| s.starts > 0).await?;
        Ok(p)
    }

    /// Sends a video frame (an FLV video tag body); waits while the queue is full.
    pub async fn send_video(&self, timestamp: u32, payload: Bytes) -> Result<(), ClientError> {
        self.send_media(Media {
            kind: MediaKind::Video,
            timestamp,
            payload,
        })
        .await
    }

    /// Sends an audio frame (an FLV audio tag body); waits while the queue is full.
    pub async fn send_audio(&self, timestamp: u32, payload: Bytes) -> Result<(), ClientError> {
        self.send_media(Media {
            kind: MediaKind::Audio,
            timestamp,
            payload,
        })
        .await
    }

    pub async fn send_media(&self, media: Media) -> Result<(), ClientError> {
        self.tx
            .send(Cmd::Media(media))
            .await
            .map_err(|_| self.ended())
    }

    /// Sends `onMetaData` (remembered and resent after every reconnect).
    pub async fn send_metadata(&self, metadata: Value) -> Result<(), ClientError> {
        self.tx
            .send(Cmd::Metadata(metadata))
            .await
            .map_err(|_| self.ended())
    }

    /// Queues a frame without waiting: [`ClientError::Full`] when the link is behind.
    pub fn try_send_media(&self, media: Media) -> Result<(), ClientError> {
        self.tx.try_send(Cmd::Media(media)).map_err(|e| match e {
            TrySendError::Full(_) => ClientError::Full,
            TrySendError::Closed(_) => self.ended(),
        })
    }

    /// Frames the queue can take before `send_*` waits.
    pub fn queue_room(&self) -> usize {
        self.tx
            .capacity()
            .unwrap_or(usize::MAX)
            .saturating_sub(self.tx.len())
    }

    /// The latest status.
    pub fn status(&self) -> ClientStatus {
        self.status.get()
    }

    pub fn state(&self) -> ConnectionState {
        self.status.with(|s, _| s.state)
    }

    /// A receiver of status changes (state, URL, counters).
    pub fn subscribe(&self) -> StatusWatch {
        StatusWatch::new(self.status.clone())
    }

    /// Waits until `pred` holds for the status; fails when the publisher finishes first.
    /// State changes wake it at once; counters (which change with every frame and do not
    /// notify) are looked at every 50 ms.
    pub async fn wait_until(
        &self,
        pred: impl FnMut(&ClientStatus) -> bool,
    ) -> Result<ClientStatus, ClientError> {
        wait_until(&self.status, pred).await
    }

    /// Ends the stream (FCUnpublish, deleteStream), flushes and closes.
    pub async fn close(mut self) -> Result<(), ClientError> {
        let (ack, done) = channel::bounded(1);
        if self.tx.send(Cmd::Close(ack)).await.is_ok() {
            let _ = done.recv().await;
        }
        if let Some(task) = self.task.take() {
            task.await;
        }
        Ok(())
    }

    fn ended(&self) -> ClientError {
        self.status.with(|s, _| ended(s))
    }
}

/// The error a finished publisher or player reports.
pub(super) fn ended(s: &ClientStatus) -> ClientError {
    if s.gave_up {
        ClientError::GaveUp(s.last_failure.clone())
    } else {
        ClientError::Closed
    }
}

/// Waits until `pred` holds for the status in `cell`; fails when the task finishes first.
pub(super) async fn wait_until(
    cell: &StatusCell,
    mut pred: impl FnMut(&ClientStatus) -> bool,
) -> Result<ClientStatus, ClientError> {
    loop {
        let (done, seen) = cell.with(|s, v| {
            let done = if pred(s) {
                Some(Ok(s.clone()))
            } else if s.finished {
                Some(Err(ended(s)))
            } else {
                None
            };
            (done, v)
        });
        if let Some(r) = done {
            return r;
        }
        future::or(
            async {
                cell.changed_since(seen).await;
            },
            async {
                Timer::after(COUNTER_POLL).await;
            },
        )
        .await;
    }
}

/// How often [`Publisher::wait_until`] looks at counters.
const COUNTER_POLL: Duration = Duration::from_millis(50);

pub(super) type Dialing = Pin<Box<dyn Future<Output = io::Result<LinkIo>> + Send>>;

fn dial(builder: &ClientBuilder, url: RtmpUrl) -> Dialing {
    Box::pin(LinkIo::dial(
        url,
        builder.options().session.clone(),
        LinkRole::Publish,
        builder.options().connect_timeout,
    ))
}

/// What woke the publisher's task.
enum Wake {
    Current(io::Result<()>),
    Incoming(io::Result<()>),
    Dialed(io::Result<Box<LinkIo>>),
    HandoverDialed(io::Result<Box<LinkIo>>),
    DialTime,
    HealthTime,
    Cmd(Option<Cmd>),
}

/// The publisher's task: one loop over the connection, a handover connection, dials,
/// timers and the queue. The decisions are `PublishLoop`'s.
async fn run(builder: ClientBuilder, sup: Supervisor, rx: Receiver<Cmd>, status: Arc<StatusCell>) {
    let mut pl = PublishLoop::new(sup);
    let mut current: Option<LinkIo> = None;
    let mut incoming: Option<LinkIo> = None;
    let mut dialing: Option<Dialing> = None;
    let mut handover_dial: Option<Dialing> = None;
    let mut close_ack: Option<Option<Sender<()>>> = None;
    loop {
        let now = Instant::now();
        while let Some(ev) = current.as_mut().and_then(LinkIo::poll_event) {
            let Some(url) = current.as_ref().map(|c| c.url().clone()) else {
                break;
            };
            let step = pl.on_current_event(now, &ev, &url, &mut |t, o| {
                emit(t, o, &mut current, &mut incoming)
            });
            match step {
                LinkStep::Lost => {
                    current = None;
                    incoming = None;
                    handover_dial = None;
                }
                LinkStep::DialIncoming(to) => handover_dial = Some(dial(&builder, to)),
                _ => {}
            }
        }
        while let Some(ev) = incoming.as_mut().and_then(LinkIo::poll_event) {
            if pl.on_incoming_event(&ev) {
                incoming = None;
            }
        }
        if let Some(cur) = current.as_mut()
            && let Err(e) = cur.pump_out()
        {
            pl.on_current_io_error(now, &e);
            current = None;
            incoming = None;
            handover_dial = None;
        }
        if let Some(inc) = incoming.as_mut()
            && inc.pump_out().is_err()
        {
            pl.on_incoming_failed();
            incoming = None;
        }
        publish_status(&status, &mut pl);
        if close_ack.is_some()
            || (current.is_none() && dialing.is_none() && pl.supervisor().next_dial().is_none())
        {
            break;
        }

        let accept = [&current, &incoming]
            .into_iter()
            .flatten()
            .all(|l| l.pending() < builder.options().high_water);
        let dial_at = match (&current, &dialing) {
            (None, None) => pl.supervisor().next_dial().map(|d| d.at),
            _ => None,
        };
        let healthy_at = pl.supervisor().healthy_deadline();
        let wake = {
            let cur = async { Wake::Current(drive(&mut current).await) };
            let inc = async { Wake::Incoming(drive(&mut incoming).await) };
            let dialed = async { Wake::Dialed(poll_dial(&mut dialing).await.map(Box::new)) };
            let handover =
                async { Wake::HandoverDialed(poll_dial(&mut handover_dial).await.map(Box::new)) };
            let dial_time = async {
                sleep_until(dial_at).await;
                Wake::DialTime
            };
            let health = async {
                sleep_until(healthy_at).await;
                Wake::HealthTime
            };
            let cmd = async {
                if accept {
                    Wake::Cmd(rx.recv().await.ok())
                } else {
                    future::pending().await
                }
            };
            // `race` picks the first source to poll at random, as `select!` does: a busy
            // socket must not starve the queue (nor the other way round).
            future::race(
                future::race(future::race(cur, inc), future::race(dialed, handover)),
                future::race(future::race(dial_time, health), cmd),
            )
            .await
        };
        match wake {
            Wake::Current(Err(e)) => {
                pl.on_current_io_error(Instant::now(), &e);
                current = None;
                incoming = None;
                handover_dial = None;
            }
            Wake::Incoming(Err(_)) => {
                pl.on_incoming_failed();
                incoming = None;
            }
            Wake::Current(Ok(())) | Wake::Incoming(Ok(())) => {}
            Wake::Dialed(r) => {
                dialing = None;
                match r {
                    Ok(link) => {
                        pl.supervisor().on_tcp_connected(Instant::now());
                        current = Some(*link);
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "dial failed");
                        pl.supervisor().on_dial_error(Instant::now(), &e);
                    }
                }
            }
            Wake::HandoverDialed(r) => {
                handover_dial = None;
                match r {
                    Ok(link) => incoming = Some(*link),
                    Err(e) => {
                        tracing::info!(error = %e, "reconnect-request dial failed");
                        pl.on_incoming_failed();
                    }
                }
            }
            Wake::DialTime => {
                let url = pl.supervisor().dialing(Instant::now());
                tracing::debug!(url = %url, "dialing");
                dialing = Some(dial(&builder, url));
            }
            Wake::HealthTime => pl.supervisor().tick(Instant::now()),
            Wake::Cmd(Some(Cmd::Media(m))) => {
                let sent = pl
                    .core()
                    .on_media(m, &mut |t, o| emit(t, o, &mut current, &mut incoming));
                if sent == Sent::Switched
                    && let Some(new) = incoming.take()
                {
                    let url = new.url().clone();
                    if let Some(old) = current.replace(new) {
                        smol::spawn(old.finish()).detach();
                    }
                    pl.on_switched(Instant::now(), url);
                }
            }
            Wake::Cmd(Some(Cmd::Metadata(v))) => {
                pl.core()
                    .on_metadata(v, &mut |t, o| emit(t, o, &mut current, &mut incoming));
            }
            Wake::Cmd(Some(Cmd::Close(ack))) => close_ack = Some(Some(ack)),
            Wake::Cmd(None) => close_ack = Some(None),
        }
    }
    if let Some(cur) = current.take() {
        cur.finish().await;
    }
    pl.supervisor().stop(Instant::now());
    publish_status(&status, &mut pl);
    status.modify(true, |s| s.finished = true);
    if let Some(Some(ack)) = close_ack {
        let _ = ack.try_send(());
    }
}

/// Applies one send decision of the core to the connection it names.
fn emit(t: Target, o: Outgoing, current: &mut Option<LinkIo>, incoming: &mut Option<LinkIo>) {
    let link = match t {
        Target::Incoming => incoming.as_mut(),
        _ => current.as_mut(),
    };
    let Some(link) = link else { return };
    let r = match o {
        Outgoing::Media(m) => link.link().send_media(m),
        Outgoing::Metadata(v) => link.link().send_metadata(&v),
        _ => Ok(()),
    };
    if let Err(e) = r {
        tracing::debug!(error = %e, "frame not sent");
    }
}

/// Forwards the status: state changes wake watchers; counters (which change with every
/// frame) are stored without waking them and read with [`Publisher::status`].
fn publish_status(status: &StatusCell, pl: &mut PublishLoop) {
    match pl.status_update() {
        Some(s) => {
            let s = s.clone();
            status.modify(true, |cur| {
                let finished = cur.finished;
                *cur = s;
                cur.finished |= finished;
            });
        }
        None => {
            let counters = pl.status().counters;
            status.modify(false, |cur| cur.counters = counters);
        }
    }
}

/// Drives a connection, or waits forever when there is none.
pub(super) async fn drive(link: &mut Option<LinkIo>) -> io::Result<()> {
    match link {
        Some(l) => l.drive().await,
        None => future::pending().await,
    }
}

/// Completes a dial in progress, or waits forever when there is none.
pub(super) async fn poll_dial(d: &mut Option<Dialing>) -> io::Result<LinkIo> {
    match d {
        Some(f) => f.await,
        None => future::pending().await,
    }
}
