//! [`Publisher`]: a handle that sends media to a stream that survives reconnects and
//! failover, and the task behind it.
//!
//! The handle puts frames in a bounded queue; the task takes them only while the
//! connection's unsent bytes are under the builder's `high_water`, so a slow link fills
//! the queue and `send_*` waits (or `try_send_*` says `Full`): backpressure reaches the
//! caller. Every decision (when and where to dial, what to resend, where a frame goes
//! during a handover) is made by [`PublishTask`] and the pieces below it; this file only
//! waits on sockets, timers and the queue. Each wake-up polls every source and handles
//! all that are ready, so a busy socket cannot starve the queue (nor the other way round).

use std::future::{Future, poll_fn};
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;

use async_channel::{Receiver, Sender, TrySendError};
use bytes::Bytes;
use rtmp_proto::client::{
    ClientError, ClientStatus, ConnectionState, LinkRole, PublishLoop, PublishTask, Supervisor,
};
use rtmp_proto::media::caps::EnhancedCaps;
use rtmp_proto::session::{Media, MediaKind, Metadata};

use super::builder::ClientBuilder;
use super::link_io::{Dialing, LinkIo, dial};
use super::watched::Watched;
use crate::io::Deadline;
use crate::runtime::Runtime;
use crate::sync::{StatusCell, StatusWatch};

/// What the handle sends its task.
enum Cmd {
    Media(Media),
    Metadata(Metadata),
    Close(Sender<()>),
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

/// A publishing stream; see the module docs. Dropping it ends the stream politely (the
/// task sees its queue close).
#[derive(Debug)]
pub struct Publisher<R: Runtime> {
    tx: Sender<Cmd>,
    watched: Watched<R>,
    /// Dropping a task handle lets the task run on.
    _task: R::Task,
}

impl<R: Runtime> Publisher<R> {
    pub(crate) async fn start(builder: ClientBuilder<R>) -> Result<Self, ClientError> {
        let p = Publisher::spawn(builder)?;
        p.wait_until(|s| s.starts > 0).await?;
        Ok(p)
    }

    /// Starts the task without waiting for the first publish (a fleet's session whose
    /// server may be down at start).
    pub(crate) fn spawn(builder: ClientBuilder<R>) -> Result<Self, ClientError> {
        let sup = builder.supervisor()?;
        let (tx, rx) = async_channel::bounded(builder.options().queue_frames);
        let status = StatusCell::new();
        let rt = builder.rt().clone();
        let task = rt.spawn(run(builder, sup, rx, status.clone()));
        Ok(Publisher {
            tx,
            watched: Watched::new(rt, status),
            _task: task,
        })
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

    /// Sends a frame; waits while the queue is full.
    pub async fn send_media(&self, media: Media) -> Result<(), ClientError> {
        self.tx
            .send(Cmd::Media(media))
            .await
            .map_err(|_| self.ended())
    }

    /// Sends `onMetaData` (remembered and resent after every reconnect): a [`Metadata`],
    /// or a [`Value`](rtmp_proto::amf::Value) it is built from ([`Metadata::new`]).
    pub async fn send_metadata(&self, metadata: impl Into<Metadata>) -> Result<(), ClientError> {
        self.tx
            .send(Cmd::Metadata(metadata.into()))
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

    /// Queues `onMetaData` without waiting: [`ClientError::Full`] when the link is behind.
    pub fn try_send_metadata(&self, metadata: impl Into<Metadata>) -> Result<(), ClientError> {
        self.tx
            .try_send(Cmd::Metadata(metadata.into()))
            .map_err(|e| match e {
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
        self.watched.status()
    }

    /// The connection state.
    pub fn state(&self) -> ConnectionState {
        self.watched.state()
    }

    /// What the server of the current (or last) connection answered of our Enhanced RTMP
    /// capabilities (`None`: a legacy server, or not connected yet); refreshed at every
    /// (re)connect, so a caller can pick the codec it sends (see
    /// [`CodecPreference`](rtmp_proto::client::CodecPreference)).
    pub fn server_caps(&self) -> Option<EnhancedCaps> {
        self.watched.status().server_caps
    }

    /// A receiver of status changes (state, URL, counters).
    pub fn subscribe(&self) -> StatusWatch {
        self.watched.subscribe()
    }

    /// Waits until `pred` holds for the status; fails when the publisher finishes first.
    /// State changes wake it at once; counters (which change with every frame and do not
    /// notify) are looked at every 50 ms.
    pub async fn wait_until(
        &self,
        pred: impl FnMut(&ClientStatus) -> bool,
    ) -> Result<ClientStatus, ClientError> {
        self.watched.wait_until(pred).await
    }

    /// Ends the stream (FCUnpublish, deleteStream), flushes and closes.
    pub async fn close(self) -> Result<(), ClientError> {
        self.stop().await;
        Ok(())
    }

    /// [`close`](Self::close) through a shared handle (a fleet's session, which the
    /// application's feeding task holds too): its later sends fail with `Closed`.
    pub(crate) async fn stop(&self) {
        let (ack, done) = async_channel::bounded(1);
        if self.tx.send(Cmd::Close(ack)).await.is_ok() {
            let _ = done.recv().await;
        }
        let _ = self.watched.wait_until(|s| s.finished).await;
    }

    fn ended(&self) -> ClientError {
        self.watched.ended()
    }

    /// The runtime the publisher's task runs on.
    pub(super) fn runtime(&self) -> &R {
        self.watched.runtime()
    }
}

/// Everything that was ready at one wake-up of the publisher's task.
struct Woken<R: Runtime> {
    current: Option<io::Result<()>>,
    incoming: Option<io::Result<()>>,
    dialed: Option<io::Result<LinkIo<R>>>,
    handover_dialed: Option<io::Result<LinkIo<R>>>,
    dial_time: bool,
    health_time: bool,
    cmd: Option<Option<Cmd>>,
}

impl<R: Runtime> Default for Woken<R> {
    fn default() -> Self {
        Woken {
            current: None,
            incoming: None,
            dialed: None,
            handover_dialed: None,
            dial_time: false,
            health_time: false,
            cmd: None,
        }
    }
}

impl<R: Runtime> Woken<R> {
    fn any(&self) -> bool {
        self.current.is_some()
            || self.incoming.is_some()
            || self.dialed.is_some()
            || self.handover_dialed.is_some()
            || self.dial_time
            || self.health_time
            || self.cmd.is_some()
    }
}

/// Polls a dial in progress; its result once it ends.
pub(super) fn poll_dial<R: Runtime>(
    d: &mut Option<Dialing<R>>,
    cx: &mut std::task::Context<'_>,
) -> Option<io::Result<LinkIo<R>>> {
    match d.as_mut()?.as_mut().poll(cx) {
        Poll::Ready(r) => {
            *d = None;
            Some(r)
        }
        Poll::Pending => None,
    }
}

/// The publisher's task: one loop over the connection, a handover connection, dials,
/// timers and the queue. The steps are `PublishTask`'s; this only waits.
async fn run<R: Runtime>(
    builder: ClientBuilder<R>,
    sup: Supervisor,
    rx: Receiver<Cmd>,
    status: Arc<StatusCell>,
) {
    let rt = builder.rt().clone();
    let opts = builder.options().clone();
    let dial = |url| dial(&rt, url, &opts, LinkRole::Publish);
    let mut task: PublishTask<LinkIo<R>, Dialing<R>> = PublishTask::new(sup, opts.high_water);
    if let Some(codec) = opts.codec {
        task.publish_loop().set_codec_preference(codec);
    }
    let (mut dial_timer, mut health_timer) = (Deadline::<R>::new(), Deadline::<R>::new());
    let mut close_ack: Option<Option<Sender<()>>> = None;
    loop {
        task.settle(rt.now(), &mut |url| dial(url));
        publish_status(&status, task.publish_loop());
        let Some(plan) = task.plan(close_ack.is_some()) else {
            break;
        };
        dial_timer.set(&rt, plan.dial_at);
        health_timer.set(&rt, plan.healthy_at);
        let woken = {
            let mut recv = pin!(rx.recv());
            poll_fn(|cx| {
                let mut w = Woken::<R>::default();
                if let Some(cur) = task.current.as_mut() {
                    w.current = match cur.poll_drive(&rt, cx) {
                        Poll::Ready(r) => Some(r),
                        Poll::Pending => None,
                    };
                }
                if let Some(inc) = task.incoming.as_mut() {
                    w.incoming = match inc.poll_drive(&rt, cx) {
                        Poll::Ready(r) => Some(r),
                        Poll::Pending => None,
                    };
                }
                w.dialed = poll_dial(&mut task.dialing, cx);
                w.handover_dialed = poll_dial(&mut task.handover_dial, cx);
                w.dial_time = dial_timer.poll(cx).is_ready();
                w.health_time = health_timer.poll(cx).is_ready();
                if plan.accept
                    && let Poll::Ready(cmd) = recv.as_mut().poll(cx)
                {
                    w.cmd = Some(cmd.ok());
                }
                if w.any() {
                    Poll::Ready(w)
                } else {
                    Poll::Pending
                }
            })
            .await
        };
        if let Some(r) = woken.current {
            task.on_current_driven(rt.now(), r);
        }
        if let Some(r) = woken.incoming {
            task.on_incoming_driven(r);
        }
        if let Some(r) = woken.dialed {
            task.on_dialed(rt.now(), r);
        }
        if let Some(r) = woken.handover_dialed {
            task.on_handover_dialed(r);
        }
        if woken.dial_time {
            task.on_dial_time(rt.now(), dial);
        }
        if woken.health_time {
            task.on_health_time(rt.now());
        }
        match woken.cmd {
            Some(Some(Cmd::Media(m))) => {
                if let Some(old) = task.on_media(rt.now(), m) {
                    drop(rt.spawn(old.finish(rt.clone())));
                }
            }
            Some(Some(Cmd::Metadata(v))) => task.on_metadata(v),
            Some(Some(Cmd::Close(ack))) => close_ack = Some(Some(ack)),
            Some(None) => close_ack = Some(None),
            None => {}
        }
    }
    if let Some(cur) = task.take_current() {
        cur.finish(rt.clone()).await;
    }
    task.stopped(rt.now());
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
