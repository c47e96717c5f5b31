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
use rtmp_driver::client_loop::PublishLoop;
use rtmp_driver::publish_task::PublishTask;
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

/// Starts dialing `url` for a publisher or a player.
pub(super) fn dial(builder: &ClientBuilder, url: RtmpUrl, role: LinkRole) -> Dialing {
    Box::pin(LinkIo::dial(
        url,
        builder.options().session.clone(),
        role,
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
/// timers and the queue. The steps are `PublishTask`'s; this only waits.
async fn run(builder: ClientBuilder, sup: Supervisor, rx: Receiver<Cmd>, status: Arc<StatusCell>) {
    let mut task: PublishTask<LinkIo, Dialing> =
        PublishTask::new(sup, builder.options().high_water);
    let mut close_ack: Option<Option<Sender<()>>> = None;
    loop {
        task.settle(Instant::now(), &mut |url| {
            dial(&builder, url, LinkRole::Publish)
        });
        publish_status(&status, task.publish_loop());
        let Some(plan) = task.plan(close_ack.is_some()) else {
            break;
        };
        let wake = {
            let cur = async { Wake::Current(drive(&mut task.current).await) };
            let inc = async { Wake::Incoming(drive(&mut task.incoming).await) };
            let dialed = async { Wake::Dialed(poll_dial(&mut task.dialing).await.map(Box::new)) };
            let handover = async {
                Wake::HandoverDialed(poll_dial(&mut task.handover_dial).await.map(Box::new))
            };
            let dial_time = async {
                sleep_until(plan.dial_at).await;
                Wake::DialTime
            };
            let health = async {
                sleep_until(plan.healthy_at).await;
                Wake::HealthTime
            };
            let cmd = async {
                if plan.accept {
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
            Wake::Current(r) => task.on_current_driven(r),
            Wake::Incoming(r) => task.on_incoming_driven(r),
            Wake::Dialed(r) => task.on_dialed(r.map(|l| *l)),
            Wake::HandoverDialed(r) => task.on_handover_dialed(r.map(|l| *l)),
            Wake::DialTime => task.on_dial_time(|url| dial(&builder, url, LinkRole::Publish)),
            Wake::HealthTime => task.on_health_time(),
            Wake::Cmd(Some(Cmd::Media(m))) => {
                if let Some(old) = task.on_media(m) {
                    smol::spawn(old.finish()).detach();
                }
            }
            Wake::Cmd(Some(Cmd::Metadata(v))) => task.on_metadata(v),
            Wake::Cmd(Some(Cmd::Close(ack))) => close_ack = Some(Some(ack)),
            Wake::Cmd(None) => close_ack = Some(None),
        }
    }
    if let Some(cur) = task.take_current() {
        cur.finish().await;
    }
    task.stopped(Instant::now());
    publish_status(&status, task.publish_loop());
    status.modify(true, |s| s.finished = true);
    if let Some(Some(ack)) = close_ack {
        let _ = ack.try_send(());
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
