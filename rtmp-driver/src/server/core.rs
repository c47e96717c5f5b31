//! The logic of one server connection, independent of the async runtime.
//!
//! [`ConnCore`] owns the `ServerSession` and reacts to its events: asks the hooks, claims
//! and releases publish slots, feeds the relay, records, and owns its players' `Playback`s,
//! which put relayed frames into the session. The driver (tokio or smol) owns the socket and the waiting: it calls
//! [`ConnCore::process`] after every wake-up, spawns the futures in
//! [`ConnCore::take_spawns`], writes `poll_transmit` and waits on the socket, the session
//! deadline, [`ConnCore::answers`], the link's signal and shutdown.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use rtmp_proto::media::flv::FlvTagType;
use rtmp_proto::media::{AudioTag, VideoTag};
use rtmp_proto::relay::{
    ConnId, Delivery, Encodings, Frame, FrameClass, LagReason, Playback, PlayerRef, PlayerStats,
    StreamKey,
};
use rtmp_proto::session::{
    CloseReason, ConnectId, ConnectReply, Media, PlayId, PlayRequest, PublishId, PublishRequest,
    Rejection, RequestId, ServerEvent, ServerSession, StreamId,
};

use super::counters::{Phase, Refused};
use super::events::{CloseCause, EventKind, Request, StopReason};
use super::hooks::{
    BoxFuture, ConnectContext, ConnectDecision, PlayContext, PublishContext, StreamDecision,
};
use super::hub::{Fanout, Joined};
use super::link::{ConnLink, Work};
use super::record::Recorder;
use super::shared::Shared;
use crate::seed::connection_seed;
use crate::sync::Mailbox;

/// A hook's answer, delivered back to the connection task.
#[derive(Debug)]
pub enum Answer {
    Connect(ConnectId, ConnectDecision),
    Publish(PublishId, StreamDecision),
    Play(PlayId, StreamDecision),
}

#[derive(Debug)]
struct Publishing {
    key: StreamKey,
    recorder: Option<Recorder>,
    /// Frames of the current read, handed to the fan-out together (one lock and one wake
    /// per player for the run) at the end of the event drain. Emptied, never shrunk.
    pending: Vec<Frame>,
    /// Reused by every run of this stream, so relaying a frame allocates nothing here and
    /// the stream's players are collected only when they change.
    fanout: Fanout,
}

#[derive(Debug)]
struct Playing {
    key: StreamKey,
    playback: Playback,
    /// When to look at the registry again: the end of the bounded wait for a publisher,
    /// or of the grace the stream is held for after its publisher left.
    deadline: Option<Instant>,
}

/// Why the connection task ended, for the "connection closed" log line.
#[derive(Debug)]
pub enum End {
    Session(CloseReason),
    Io(std::io::Error),
    Shutdown,
    Replaced,
    /// Picked to close by the server's memory budget, holding this many bytes.
    OverBudget(usize),
    /// One of its players was cut for lag.
    TooSlow(LagReason),
}

impl End {
    /// The reason as the application's events tell it.
    pub fn cause(&self) -> CloseCause {
        match self {
            End::Session(r) => CloseCause::Session(r.clone()),
            End::Io(e) => CloseCause::Io(e.to_string()),
            End::Shutdown => CloseCause::Shutdown,
            End::Replaced => CloseCause::Replaced,
            End::OverBudget(held) => CloseCause::OverBudget(*held),
            End::TooSlow(why) => CloseCause::TooSlow(*why),
        }
    }
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Session(CloseReason::PeerClosed) => f.write_str("peer closed"),
            End::Session(CloseReason::Protocol(e)) => write!(f, "protocol error: {e}"),
            End::Session(CloseReason::Timeout(k)) => write!(f, "timeout: {k:?}"),
            End::Session(CloseReason::Rejected) => f.write_str("rejected"),
            End::Session(CloseReason::Local) => f.write_str("closed by server"),
            End::Session(other) => write!(f, "{other:?}"),
            End::Io(e) => write!(f, "io error: {e}"),
            End::Shutdown => f.write_str("server shutdown"),
            End::Replaced => f.write_str("publish taken over by another connection"),
            End::OverBudget(held) => write!(
                f,
                "server memory budget exceeded: this connection held {held} bytes, the most"
            ),
            End::TooSlow(why) => write!(f, "player too slow ({why:?})"),
        }
    }
}

/// One connection's state and decisions; see the module docs.
pub struct ConnCore {
    id: ConnId,
    link: Arc<ConnLink>,
    peer: SocketAddr,
    shared: Arc<Shared>,
    session: ServerSession,
    /// The app accepted at connect.
    app: String,
    /// The tcUrl of the connect, for the `Connected` event.
    tc_url: Option<String>,
    /// Shared with the driver, which waits on it outside the connection's state lock.
    answers: Arc<Mailbox<Answer>>,
    /// Hook futures for the driver to spawn.
    spawns: Vec<BoxFuture<()>>,
    pending_publish: HashMap<PublishId, PublishRequest>,
    pending_play: HashMap<PlayId, PlayRequest>,
    publishing: HashMap<StreamId, Publishing>,
    /// Our players, by message stream: one or two, so a scan beats a hash (and touches
    /// one cold line less per relayed frame).
    playing: Vec<Playing>,
    end: Option<End>,
    /// Reused for frames the fan-out queued on our link (chunked for us alone).
    encodings: Encodings,
    /// Cut for lag: what is still queued would only keep a slow socket busy, so the final
    /// flush is skipped.
    abandon_output: bool,
    /// A drain asked this connection's publisher to move (once).
    drain_asked: bool,
    /// Under a write-merge window (`Shared::write_merge`): since when this player's
    /// output has been held.
    held_since: Option<Instant>,
    /// Under a write-merge window: when this publisher's players get their held output
    /// written if no further frame comes first (a window after the last frame).
    flush_at: Option<Instant>,
    /// Its `connect` was accepted.
    connected: bool,
    /// The state the server's connection gauges count it in.
    phase: Phase,
    /// The span its task runs in (`conn` with its id and peer), made current when it was
    /// created. What it logs while a publisher's task delivers to it (a player lagging, cut
    /// or ended) runs in that publisher's span, so those lines name this span as their
    /// parent: else they would carry the publisher's id and address.
    span: tracing::Span,
}

/// Payloads up to this size are copied once at ingest.
const OWN_PAYLOAD_MAX: usize = 4096;

/// A frame that arrived in a single chunk is a slice of the publisher's whole read buffer
/// (up to 64 KiB). Queued for a lagging player, a run of small audio frames would pin many
/// such buffers while the relay's lag policy counts only their payload bytes. One short copy
/// per published frame (never per player) makes what a player's queue holds exactly what the
/// policy counts; fan-out stays zero-copy.
fn own_small_payload(mut media: Media) -> Media {
    if media.payload.len() <= OWN_PAYLOAD_MAX {
        media.payload = bytes::Bytes::copy_from_slice(&media.payload);
    }
    media
}

impl fmt::Debug for ConnCore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnCore")
            .field("id", &self.id)
            .field("peer", &self.peer)
            .field("app", &self.app)
            .field("publishing", &self.publishing.len())
            .field("playing", &self.playing.len())
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl Drop for ConnCore {
    /// The connection is gone from the state gauges however its task ended.
    fn drop(&mut self) {
        self.shared.counters.moved(Some(self.phase), None);
    }
}

impl ConnCore {
    /// A connection accepted at `now` from `peer`.
    pub(crate) fn new(
        id: ConnId,
        link: Arc<ConnLink>,
        peer: SocketAddr,
        shared: Arc<Shared>,
        now: Instant,
    ) -> Self {
        let session = ServerSession::with_rng_seed(shared.session.clone(), connection_seed(), now);
        let capacity = shared.session.max_pending_requests.saturating_add(1);
        shared.counters.moved(None, Some(Phase::Handshaking));
        ConnCore {
            id,
            link,
            peer,
            session,
            spawns: Vec::new(),
            app: String::new(),
            tc_url: None,
            answers: Arc::new(Mailbox::new(capacity)),
            pending_publish: HashMap::new(),
            pending_play: HashMap::new(),
            publishing: HashMap::new(),
            playing: Vec::new(),
            end: None,
            encodings: Encodings::new(),
            abandon_output: false,
            drain_asked: false,
            held_since: None,
            flush_at: None,
            connected: false,
            phase: Phase::Handshaking,
            shared,
            span: tracing::Span::current(),
        }
    }

    /// Moves the connection's count to the state it is in now.
    fn sync_phase(&mut self) {
        let now = if !self.publishing.is_empty() {
            Phase::Publishing
        } else if !self.playing.is_empty() {
            Phase::Playing
        } else if self.connected {
            Phase::Idle
        } else {
            Phase::Handshaking
        };
        if now != self.phase {
            self.shared.counters.moved(Some(self.phase), Some(now));
            self.phase = now;
        }
    }

    /// The connection's session, for its wire.
    pub fn session(&mut self) -> &mut ServerSession {
        &mut self.session
    }

    /// How other tasks reach this connection.
    pub(crate) fn link(&self) -> &Arc<ConnLink> {
        &self.link
    }

    /// What every connection of the server reads.
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Where hook answers arrive; the task waits on it outside the connection's lock.
    pub(crate) fn answers(&self) -> Arc<Mailbox<Answer>> {
        self.answers.clone()
    }

    /// Everything that follows a wake-up, before writing: session events, then the frames
    /// the relay queued for our players (which may close the session), then the events
    /// that caused.
    /// `unsent`: bytes the wire took from the session and has not written yet.
    pub fn process(&mut self, now: Instant, unsent: usize) {
        self.flush_players_if_due(now);
        self.expire_players(now);
        self.ask_to_move();
        self.drain_events(now);
        self.take_work(now, unsent);
        self.drain_events(now);
        if self.link.kicked.swap(false, Ordering::AcqRel) {
            self.end = Some(End::Replaced);
            self.leave_all(StopReason::Disconnected);
            self.session.close();
            self.drain_events(now);
        }
        if self.link.holding.is_evicted() && !self.session.is_closed() {
            self.end = Some(End::OverBudget(self.link.holding.held()));
            self.abandon_output = true;
            self.leave_all(StopReason::Disconnected);
            self.session.close();
            self.drain_events(now);
        }
        let held = self.session.buffered_input_bytes();
        if held != self.link.holding.held() {
            self.shared.hub.report_held(&self.link, held);
        }
        self.sync_phase();
    }

    /// Hook futures to run as tasks; each delivers its answer to [`Self::answers`].
    pub fn take_spawns(&mut self) -> impl Iterator<Item = BoxFuture<()>> + '_ {
        self.spawns.drain(..)
    }

    /// The server's write-merge window (zero: none).
    pub fn write_merge(&self) -> std::time::Duration {
        self.shared.write_merge
    }

    /// How long the final flush may take: the server's grace period, or nothing for a
    /// player cut for lag (its backlog would only keep a slow socket busy).
    pub fn final_flush_limit(&self) -> std::time::Duration {
        if self.abandon_output {
            std::time::Duration::ZERO
        } else {
            self.shared.grace
        }
    }

    /// Why the connection ended; `shutting_down` when the server asked it to.
    pub fn end_reason(&mut self, shutting_down: bool) -> End {
        match self.end.take() {
            Some(End::Session(_)) if shutting_down => End::Shutdown,
            Some(end) => end,
            None => End::Shutdown,
        }
    }

    /// Ends our streams toward players and publishers, then closes the session; the loop
    /// flushes what that queued and exits.
    pub fn begin_shutdown(&mut self) {
        self.end.get_or_insert(End::Shutdown);
        for mut p in std::mem::take(&mut self.playing) {
            let stream = p.playback.stream();
            tracing::info!(stream = %p.key, "play stop (shutdown)");
            self.emit_play_stopped(&p.key, StopReason::Shutdown);
            let player = PlayerRef {
                conn: self.id,
                stream,
            };
            self.shared
                .hub
                .leave(&p.key, player, &p.playback.take_stats());
            let _ = self.session.end_stream(stream);
        }
        self.leave_all(StopReason::Disconnected);
        self.session.close();
    }

    /// Unregisters everything this connection publishes or plays; `reason`: why they
    /// stop, when the connection has not said so itself (its end, if set, says more).
    pub fn leave_all(&mut self, reason: StopReason) {
        let reason = self
            .end
            .as_ref()
            .map_or(reason, |e| e.cause().stop_reason());
        let publishing: Vec<Publishing> = self.publishing.drain().map(|(_, p)| p).collect();
        for p in publishing {
            self.stop_publishing(p, reason);
        }
        for mut p in std::mem::take(&mut self.playing) {
            let stream = p.playback.stream();
            tracing::info!(stream = %p.key, "play stop");
            self.emit_play_stopped(&p.key, reason);
            let player = PlayerRef {
                conn: self.id,
                stream,
            };
            self.shared
                .hub
                .leave(&p.key, player, &p.playback.take_stats());
        }
    }

    fn drain_events(&mut self, now: Instant) {
        while let Some(event) = self.session.poll_event() {
            self.on_event(now, event);
        }
        let mut handed = false;
        for p in self.publishing.values_mut() {
            handed |= Self::hand_off(&self.shared, self.id, p);
        }
        if handed && !self.shared.write_merge.is_zero() {
            self.flush_at = Some(Instant::now() + self.shared.write_merge);
        }
    }

    /// Gives the fan-out the frames gathered from this read; no latency is added (it runs
    /// before the task waits again), only the per-frame locking and waking is shared.
    fn hand_off(shared: &Shared, id: ConnId, p: &mut Publishing) -> bool {
        if p.pending.is_empty() {
            return false;
        }
        shared.hub.ingest_all(&p.key, id, &p.pending, &mut p.fanout);
        p.pending.clear();
        true
    }

    /// Stops publishing one stream: what this read brought still reaches the players, then
    /// their end of stream.
    fn stop_publishing(&mut self, mut p: Publishing, reason: StopReason) {
        Self::hand_off(&self.shared, self.id, &mut p);
        tracing::info!(stream = %p.key, "publish stop");
        self.shared.hub.unpublish(&p.key, self.id);
        self.emit(|| EventKind::PublishStopped { key: p.key, reason });
    }

    /// Tells the application's `on_event` (if any) what `make` builds.
    fn emit(&self, make: impl FnOnce() -> EventKind) {
        self.shared.events.emit(self.id, self.peer, make);
    }

    fn emit_play_stopped(&self, key: &StreamKey, reason: StopReason) {
        self.emit(|| EventKind::PlayStopped {
            key: key.clone(),
            reason,
        });
    }

    fn emit_rejected(&self, request: Request, name: &str, description: &str) {
        self.emit(|| EventKind::Rejected {
            request,
            name: name.to_owned(),
            description: description.to_owned(),
        });
    }

    fn on_event(&mut self, now: Instant, event: ServerEvent) {
        match event {
            ServerEvent::HandshakeDone => {
                tracing::debug!("handshake done");
                self.emit(|| EventKind::HandshakeDone);
            }
            ServerEvent::FcPublish { name } => self.emit(|| EventKind::FcPublish { name }),
            ServerEvent::ConnectRequested { id, request } => {
                tracing::debug!(app = %request.app, tc_url = ?request.tc_url, "connect");
                self.app = request.app.clone();
                if self.shared.events.on() {
                    self.tc_url = request.tc_url.clone();
                }
                let ctx = ConnectContext {
                    peer: self.peer,
                    request: *request,
                };
                match self.shared.hooks.on_connect(ctx) {
                    Some(fut) => self.ask(fut, move |d| Answer::Connect(id, d)),
                    None => self.apply(now, Answer::Connect(id, ConnectDecision::Accept)),
                }
            }
            ServerEvent::PublishRequested { id, request } => {
                let ctx = PublishContext {
                    peer: self.peer,
                    app: self.app.clone(),
                    request: request.clone(),
                };
                self.pending_publish.insert(id, request);
                match self.shared.hooks.on_publish(ctx) {
                    Some(fut) => self.ask(fut, move |d| Answer::Publish(id, d)),
                    None => self.apply(now, Answer::Publish(id, StreamDecision::Accept)),
                }
            }
            ServerEvent::PlayRequested { id, request } => {
                let ctx = PlayContext {
                    peer: self.peer,
                    app: self.app.clone(),
                    request: request.clone(),
                };
                self.pending_play.insert(id, request);
                match self.shared.hooks.on_play(ctx) {
                    Some(fut) => self.ask(fut, move |d| Answer::Play(id, d)),
                    None => self.apply(now, Answer::Play(id, StreamDecision::Accept)),
                }
            }
            ServerEvent::Media { stream, media } => {
                let Some(p) = self.publishing.get_mut(&stream) else {
                    return;
                };
                if let Some(r) = &mut p.recorder {
                    let tag = FlvTagType::from_u8(media.kind.type_id());
                    r.write(tag, media.timestamp, media.payload.clone());
                }
                let frame = Frame::media(own_small_payload(media));
                log_codec(&p.key, &frame);
                p.pending.push(frame);
            }
            ServerEvent::Metadata { stream, metadata } => {
                let Some(p) = self.publishing.get_mut(&stream) else {
                    return;
                };
                if let Some(r) = &mut p.recorder {
                    let payload = metadata.payload.clone();
                    r.write(FlvTagType::Script, metadata.timestamp, payload);
                }
                tracing::debug!(stream = %p.key, metadata = %metadata.values, "metadata");
                let key = &p.key;
                self.shared
                    .events
                    .emit(self.id, self.peer, || EventKind::Metadata {
                        key: key.clone(),
                    });
                self.shared.hub.on_metadata(&p.key, &metadata.values);
                p.pending.push(Frame::metadata(&metadata));
            }
            ServerEvent::PublishStopped { stream } => {
                if let Some(p) = self.publishing.remove(&stream) {
                    self.stop_publishing(p, StopReason::Client);
                }
            }
            ServerEvent::PlayStopped { stream } => {
                if let Some(mut p) = self.take_player(stream) {
                    tracing::info!(stream = %p.key, "play stop");
                    self.emit_play_stopped(&p.key, StopReason::Client);
                    let player = PlayerRef {
                        conn: self.id,
                        stream,
                    };
                    self.shared
                        .hub
                        .leave(&p.key, player, &p.playback.take_stats());
                }
            }
            ServerEvent::Paused { stream, paused, .. } => {
                if let Some(p) = player_on(&mut self.playing, stream) {
                    tracing::debug!(stream = %p.key, paused, "pause");
                    let key = &p.key;
                    self.shared.events.emit(self.id, self.peer, || {
                        let key = key.clone();
                        if paused {
                            EventKind::Paused { key }
                        } else {
                            EventKind::Unpaused { key }
                        }
                    });
                    if paused {
                        p.playback.pause();
                    } else {
                        self.shared
                            .hub
                            .unpause(&p.key, &mut p.playback, &mut self.session);
                    }
                }
            }
            ServerEvent::Closed(reason) => {
                // A reason of ours (replaced, over budget) came first and says more.
                self.end.get_or_insert(End::Session(reason));
                self.leave_all(StopReason::Disconnected);
            }
            other => tracing::trace!(event = ?other, "event"),
        }
    }

    /// Queues a hook future for the driver to spawn; the answer comes back through the
    /// mailbox.
    fn ask<D: Send + 'static>(
        &mut self,
        fut: BoxFuture<D>,
        wrap: impl FnOnce(D) -> Answer + Send + 'static,
    ) {
        let tx = self.answers.sender();
        self.spawns.push(Box::pin(async move {
            let decision = fut.await;
            // A full or closed mailbox means the connection is gone or flooded; the
            // session's decision timeout answers the request.
            let _ = tx.try_send(wrap(decision));
        }));
    }

    /// Applies a hook's answer to its request. `now`: the connection task's clock when the
    /// answer arrived (the session's decisions take it like any input).
    pub fn apply(&mut self, now: Instant, answer: Answer) {
        match answer {
            Answer::Connect(id, ConnectDecision::Accept) => {
                let accepted = self
                    .session
                    .accept_connect(now, id, ConnectReply::default());
                self.connected |= accepted.is_ok();
                if accepted.is_ok() {
                    let tc_url = self.tc_url.take();
                    self.emit(|| EventKind::Connected {
                        app: self.app.clone(),
                        tc_url,
                    });
                }
            }
            Answer::Connect(id, ConnectDecision::Redirect(url)) => {
                tracing::info!(%url, "connect redirected");
                self.emit_rejected(Request::Connect, &self.app, &format!("redirect to {url}"));
                let _ = self.session.redirect(now, id, &url);
            }
            Answer::Connect(id, ConnectDecision::Reject(why)) => {
                tracing::info!(reason = %why.description, "connect rejected");
                self.emit_rejected(Request::Connect, &self.app, &why.description);
                self.shared.counters.refused(Refused::ConnectByHook);
                let _ = self.session.reject(now, id, why);
            }
            Answer::Publish(id, decision) => {
                let Some(request) = self.pending_publish.remove(&id) else {
                    return;
                };
                match decision {
                    StreamDecision::Accept => self.start_publish(now, id, request),
                    StreamDecision::Reject(why) => {
                        self.emit_rejected(Request::Publish, &request.name, &why.description);
                        self.shared.counters.refused(Refused::PublishByHook);
                        self.refuse(now, id.into(), &request.name, "publish", why)
                    }
                }
            }
            Answer::Play(id, decision) => {
                let Some(request) = self.pending_play.remove(&id) else {
                    return;
                };
                match decision {
                    StreamDecision::Accept => self.start_play(now, id, request),
                    StreamDecision::Reject(why) => {
                        self.emit_rejected(Request::Play, &request.name, &why.description);
                        self.shared.counters.refused(Refused::PlayByHook);
                        self.refuse(now, id.into(), &request.name, "play", why)
                    }
                }
            }
        }
    }

    fn refuse(&mut self, now: Instant, id: RequestId, name: &str, what: &str, why: Rejection) {
        tracing::info!(stream = %name, reason = %why.description, "{what} rejected");
        let _ = self.session.reject(now, id, why);
    }

    fn start_publish(&mut self, now: Instant, id: PublishId, request: PublishRequest) {
        let key = StreamKey::new(&self.app, &request.name);
        if let Err(why) = self.shared.hub.publish(&key, self.id) {
            tracing::info!(stream = %key, reason = %why.description, "publish rejected");
            self.emit_rejected(Request::Publish, &request.name, &why.description);
            let _ = self.session.reject(now, id, why);
            return;
        }
        if self.session.accept_publish(now, id).is_err() {
            // The session already answered (decision timeout): give the slot back.
            self.shared.hub.unpublish(&key, self.id);
            return;
        }
        let recorder = self.shared.record_dir.as_deref().and_then(|dir| {
            Recorder::start(dir, key.app(), key.name())
                .inspect(|r| tracing::info!(path = %r.path().display(), "recording"))
                .inspect_err(|e| tracing::warn!(error = %e, "recording not started"))
                .ok()
        });
        tracing::info!(stream = %key, "publish start");
        self.emit(|| EventKind::PublishStarted { key: key.clone() });
        self.publishing.insert(
            request.stream,
            Publishing {
                key,
                recorder,
                pending: Vec::new(),
                fanout: self.shared.hub.fanout(),
            },
        );
    }

    fn start_play(&mut self, now: Instant, id: PlayId, request: PlayRequest) {
        let key = StreamKey::new(&self.app, &request.name);
        let player = PlayerRef {
            conn: self.id,
            stream: request.stream,
        };
        let Joined {
            mut playback,
            initial,
            deadline,
        } = match self.shared.hub.join(&key, player) {
            Ok(joined) => joined,
            Err(why) => {
                tracing::info!(stream = %key, reason = %why.description, "play rejected");
                self.emit_rejected(Request::Play, &request.name, &why.description);
                let _ = self.session.reject(now, id, why);
                return;
            }
        };
        if self.session.accept_play(now, id).is_err() {
            self.shared.hub.leave(&key, player, &playback.take_stats());
            return;
        }
        tracing::info!(stream = %key, "play start");
        self.emit(|| EventKind::PlayStarted { key: key.clone() });
        // The late-joiner burst; live frames that came meanwhile wait on our link.
        playback.start(&mut self.session, initial);
        let _ = self.take_player(request.stream);
        self.playing.push(Playing {
            key,
            playback,
            deadline,
        });
    }

    /// A publisher's run of live frames for our player on `stream` (through `cell.rs`,
    /// from the publisher's task): what the fan-out queued for us earlier goes first.
    /// `unsent`: bytes the wire holds, not yet written. The payload bytes the run sent.
    pub fn offer(
        &mut self,
        now: Instant,
        stream: StreamId,
        frames: &[Frame],
        encodings: &mut Encodings,
        unsent: usize,
    ) -> u64 {
        self.take_work(now, unsent);
        let sent = self.offer_run(now, stream, frames, encodings, unsent);
        self.sync_phase();
        sent
    }

    fn offer_run(
        &mut self,
        now: Instant,
        stream: StreamId,
        frames: &[Frame],
        encodings: &mut Encodings,
        unsent: usize,
    ) -> u64 {
        if self.session.is_closed() {
            return 0;
        }
        let span = &self.span;
        let Some(p) = player_on(&mut self.playing, stream) else {
            // It stopped playing; the hub learns that on its own.
            return 0;
        };
        let before = p.playback.policy().stats().bytes_sent;
        let delivery = p
            .playback
            .offer(now, frames, encodings, &mut self.session, unsent);
        let sent = p
            .playback
            .policy()
            .stats()
            .bytes_sent
            .saturating_sub(before);
        match delivery {
            Delivery::Playing { discarded: 0 } => {}
            Delivery::Playing { discarded } => {
                tracing::info!(parent: span, stream = %p.key, discarded,
                    "player lagging: frames dropped until the next keyframe");
            }
            Delivery::Ended => self.end_play(stream, "a new publisher changed the codec"),
            Delivery::Disconnect(why) => {
                tracing::warn!(parent: span, stream = %p.key, reason = ?why,
                    "player too slow: disconnecting");
                self.end.get_or_insert(End::TooSlow(why));
                self.abandon_output = true;
                self.session.close();
                // Our task ends the connection.
                self.link.signal.raise();
            }
            _ => {}
        }
        sent
    }

    /// What the fan-out queued on our link while our state was busy, in order: frames
    /// for our players and the hub's notices.
    fn take_work(&mut self, now: Instant, unsent: usize) {
        let Some(queued) = self.link.take_work() else {
            return;
        };
        if queued.overflowed && !self.session.is_closed() {
            tracing::warn!(parent: &self.span, "player too slow to take its frames: disconnecting");
            self.end.get_or_insert(End::TooSlow(LagReason::HardBytes));
            self.abandon_output = true;
            self.session.close();
        }
        let mut encodings = std::mem::take(&mut self.encodings);
        for (stream, work) in queued.items {
            match work {
                Work::Frame(frame) => {
                    encodings.clear();
                    let run = std::slice::from_ref(&frame);
                    let _ = self.offer_run(now, stream, run, &mut encodings, unsent);
                }
                Work::Ended => self.end_play(stream, "stream ended"),
                Work::Republished => {
                    if let Some(p) = player_on(&mut self.playing, stream) {
                        p.playback.on_republish();
                        p.deadline = None;
                    }
                }
                Work::Deadline(at) => {
                    if let Some(p) = player_on(&mut self.playing, stream) {
                        p.deadline = at;
                    }
                }
            }
        }
        encodings.clear();
        self.encodings = encodings;
    }

    /// Our player on `stream` is done: the end of its stream is queued behind its media,
    /// and it leaves the registry.
    fn end_play(&mut self, stream: StreamId, why: &str) {
        let Some(mut p) = self.take_player(stream) else {
            return;
        };
        tracing::info!(parent: &self.span, stream = %p.key, "play stop ({why})");
        self.emit_play_stopped(&p.key, StopReason::StreamEnded);
        let _ = self.session.end_stream(stream);
        let player = PlayerRef {
            conn: self.id,
            stream,
        };
        self.shared
            .hub
            .leave(&p.key, player, &p.playback.take_stats());
    }

    /// Our player on `stream`, no longer ours.
    fn take_player(&mut self, stream: StreamId) -> Option<Playing> {
        let at = self
            .playing
            .iter()
            .position(|p| p.playback.stream() == stream)?;
        Some(self.playing.swap_remove(at))
    }

    /// Our players' stats since the last call, by stream, added to `into`.
    pub fn take_stats(&mut self, into: &mut Vec<(StreamKey, PlayerStats)>) {
        for p in &mut self.playing {
            into.push((p.key.clone(), p.playback.take_stats()));
        }
    }

    /// The next instant the driver must run a turn: the session's deadline, or for a
    /// publisher under a write-merge window the flush of its players' held output.
    pub fn next_deadline(&self) -> Option<Instant> {
        let players = self.playing.iter().filter_map(|p| p.deadline);
        [self.session.poll_timeout(), self.flush_at]
            .into_iter()
            .flatten()
            .chain(players)
            .min()
    }

    /// During a drain: a publisher that speaks Enhanced RTMP is asked, once, to reconnect
    /// to the drain's target (or its own URL); others are closed by the shutdown after.
    fn ask_to_move(&mut self) {
        if self.drain_asked || self.publishing.is_empty() {
            return;
        }
        let Some(target) = self.shared.drain_target() else {
            return;
        };
        self.drain_asked = true;
        match self
            .session
            .request_reconnect(target.as_deref(), Some("server draining"))
        {
            Ok(()) => tracing::info!(target = ?target, "publisher asked to reconnect (drain)"),
            Err(e) => {
                tracing::info!(reason = %e, "publisher cannot be asked to move: closed at shutdown")
            }
        }
    }

    /// Players whose wait for a publisher, or whose stream's grace, is over at `now`: the
    /// hub ends them (their stream end is then drained like any other).
    fn expire_players(&mut self, now: Instant) {
        for p in &mut self.playing {
            if p.deadline.is_some_and(|t| t <= now) {
                let player = PlayerRef {
                    conn: self.id,
                    stream: p.playback.stream(),
                };
                p.deadline = self.shared.hub.expire(now, &p.key, player);
            }
        }
    }

    /// Under a write-merge window, for the fan-out's direct delivery: whether this player's
    /// output stays held at `now` (it is written once its oldest part is a window old, by
    /// the next delivery or by the publisher's flush).
    pub fn hold(&mut self, now: Instant) -> bool {
        if self.session.is_closed() {
            return false;
        }
        let since = *self.held_since.get_or_insert(now);
        now < since + self.shared.write_merge
    }

    /// After a write: nothing is held any more once everything went out. The drivers call
    /// it after every write of theirs too (a task's turn writes whatever is held).
    /// It also records, for the server's memory budget, what this connection still has
    /// to write (`unsent` plus its session's queue).
    pub fn wrote(&mut self, unsent: usize) {
        let pending = self.session.pending_transmit_bytes();
        if unsent == 0 && pending == 0 {
            self.held_since = None;
        }
        self.link.holding.set_output(pending.saturating_add(unsent));
    }

    /// Under a write-merge window, once the last frame is a window old: the players' held
    /// output goes out now (a paused or ended stream must not keep it).
    fn flush_players_if_due(&mut self, now: Instant) {
        let Some(at) = self.flush_at else {
            return;
        };
        if now < at {
            return;
        }
        self.flush_at = None;
        for p in self.publishing.values() {
            self.shared.hub.flush_players(&p.key);
        }
    }
}

/// Our player on `stream` (a free function, so the session can be borrowed beside it).
fn player_on(playing: &mut [Playing], stream: StreamId) -> Option<&mut Playing> {
    playing.iter_mut().find(|p| p.playback.stream() == stream)
}

/// Logs the codec of sequence headers (the relay classifies, we only report).
fn log_codec(key: &StreamKey, frame: &Frame) {
    let Some(media) = frame.as_media() else {
        return;
    };
    match frame.class() {
        FrameClass::VideoConfig => {
            let codec = VideoTag::parse(media.payload.clone())
                .ok()
                .and_then(|t| t.codec());
            tracing::info!(stream = %key, codec = ?codec, "video codec detected");
        }
        FrameClass::AudioConfig => {
            let codec = AudioTag::parse(media.payload.clone())
                .ok()
                .and_then(|t| t.codec());
            tracing::info!(stream = %key, codec = ?codec, "audio codec detected");
        }
        _ => {}
    }
}
