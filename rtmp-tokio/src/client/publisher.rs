//! [`Publisher`]: a handle that sends media to a stream that survives reconnects and
//! failover, and the task behind it.
//!
//! The handle puts frames in a bounded queue; the task takes them only while the
//! connection's unsent bytes are under the builder's `high_water`, so a slow link fills
//! the queue and `send_*` waits (or `try_send_*` says `Full`): backpressure reaches the
//! caller. Every decision (when and where to dial, what to resend, where a frame goes
//! during a handover) is made by `rtmp_driver::{supervisor, publisher}`; this file only
//! waits on sockets, timers and the queue.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtmp_driver::client_link::LinkRole;
use rtmp_driver::client_loop::PublishLoop;
use rtmp_driver::publish_task::PublishTask;
use rtmp_driver::supervisor::Supervisor;
use rtmp_proto::amf::Value;
use rtmp_proto::client::{ConnectionState, RtmpUrl};
use rtmp_proto::session::{Media, MediaKind};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::builder::{ClientBuilder, ClientError, ClientStatus};
use super::link_io::LinkIo;
use super::sleep_until;

enum Cmd {
    Media(Media),
    Metadata(Value),
    Close(oneshot::Sender<()>),
}

/// A publishing stream; see the module docs. Dropping it closes the stream.
#[derive(Debug)]
pub struct Publisher {
    tx: mpsc::Sender<Cmd>,
    status: watch::Receiver<ClientStatus>,
    task: JoinHandle<()>,
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

impl Publisher {
    pub(crate) async fn start(builder: ClientBuilder) -> Result<Publisher, ClientError> {
        let sup = builder.supervisor()?;
        let (tx, rx) = mpsc::channel(builder.options().queue_frames);
        let (status_tx, status) = watch::channel(ClientStatus::new());
        let task = tokio::spawn(run(builder, sup, rx, status_tx));
        let p = Publisher { tx, status, task };
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
            mpsc::error::TrySendError::Full(_) => ClientError::Full,
            mpsc::error::TrySendError::Closed(_) => self.ended(),
        })
    }

    /// Frames the queue can take before `send_*` waits.
    pub fn queue_room(&self) -> usize {
        self.tx.capacity()
    }

    /// The latest status.
    pub fn status(&self) -> ClientStatus {
        self.status.borrow().clone()
    }

    pub fn state(&self) -> ConnectionState {
        self.status.borrow().state
    }

    /// A receiver of status changes (state, URL, counters).
    pub fn subscribe(&self) -> watch::Receiver<ClientStatus> {
        self.status.clone()
    }

    /// Waits until `pred` holds for the status; fails when the publisher finishes first.
    /// State changes wake it at once; counters (which change with every frame and do not
    /// notify) are looked at every 50 ms.
    pub async fn wait_until(
        &self,
        mut pred: impl FnMut(&ClientStatus) -> bool,
    ) -> Result<ClientStatus, ClientError> {
        let mut rx = self.status.clone();
        loop {
            {
                let s = rx.borrow_and_update();
                if pred(&s) {
                    return Ok(s.clone());
                }
                if s.finished {
                    return Err(if s.gave_up {
                        ClientError::GaveUp(s.last_failure.clone())
                    } else {
                        ClientError::Closed
                    });
                }
            }
            tokio::select! {
                r = rx.changed() => if r.is_err() {
                    return Err(self.ended());
                },
                () = tokio::time::sleep(COUNTER_POLL) => {}
            }
        }
    }

    /// Ends the stream (FCUnpublish, deleteStream), flushes and closes.
    pub async fn close(self) -> Result<(), ClientError> {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Cmd::Close(ack)).await.is_ok() {
            let _ = done.await;
        }
        let _ = self.task.await;
        Ok(())
    }

    fn ended(&self) -> ClientError {
        let s = self.status.borrow();
        if s.gave_up {
            ClientError::GaveUp(s.last_failure.clone())
        } else {
            ClientError::Closed
        }
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

/// The publisher's task: one loop over the connection, a handover connection, dials,
/// timers and the queue. The steps are `PublishTask`'s; this only waits.
async fn run(
    builder: ClientBuilder,
    sup: Supervisor,
    mut rx: mpsc::Receiver<Cmd>,
    status: watch::Sender<ClientStatus>,
) {
    let mut task = PublishTask::new(sup, builder.options().high_water);
    let mut close_ack = None;
    loop {
        task.settle(Instant::now(), &mut |url| {
            dial(&builder, url, LinkRole::Publish)
        });
        publish_status(&status, task.publish_loop());
        let Some(plan) = task.plan(close_ack.is_some()) else {
            break;
        };
        tokio::select! {
            r = drive(&mut task.current) => task.on_current_driven(r),
            r = drive(&mut task.incoming) => task.on_incoming_driven(r),
            r = poll_dial(&mut task.dialing) => task.on_dialed(r),
            r = poll_dial(&mut task.handover_dial) => task.on_handover_dialed(r),
            () = sleep_until(plan.dial_at) => task.on_dial_time(|url| dial(&builder, url, LinkRole::Publish)),
            () = sleep_until(plan.healthy_at) => task.on_health_time(),
            cmd = rx.recv(), if plan.accept => match cmd {
                Some(Cmd::Media(m)) => {
                    if let Some(old) = task.on_media(m) {
                        tokio::spawn(old.finish());
                    }
                }
                Some(Cmd::Metadata(v)) => task.on_metadata(v),
                Some(Cmd::Close(ack)) => close_ack = Some(ack),
                None => close_ack = Some(oneshot::channel().0),
            },
        }
    }
    if let Some(cur) = task.take_current() {
        cur.finish().await;
    }
    task.stopped(Instant::now());
    publish_status(&status, task.publish_loop());
    status.send_modify(|s| s.finished = true);
    if let Some(ack) = close_ack {
        let _ = ack.send(());
    }
}

/// Forwards the status: state changes wake watchers; counters (which change with every
/// frame) are stored without waking them and read with [`Publisher::status`].
fn publish_status(status: &watch::Sender<ClientStatus>, pl: &mut PublishLoop) {
    match pl.status_update() {
        Some(s) => {
            let s = s.clone();
            status.send_modify(|cur| {
                let finished = cur.finished;
                *cur = s;
                cur.finished |= finished;
            });
        }
        None => {
            let counters = pl.status().counters;
            status.send_if_modified(|cur| {
                cur.counters = counters;
                false
            });
        }
    }
}

/// Drives a connection, or waits forever when there is none.
pub(super) async fn drive(link: &mut Option<LinkIo>) -> io::Result<()> {
    match link {
        Some(l) => l.drive().await,
        None => std::future::pending().await,
    }
}

/// Completes a dial in progress, or waits forever when there is none.
pub(super) async fn poll_dial(d: &mut Option<Dialing>) -> io::Result<LinkIo> {
    match d {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}
