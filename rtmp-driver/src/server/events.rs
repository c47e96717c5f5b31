//! Lifecycle notifications: every step of every connection, told to the application
//! without ever holding a connection up.
//!
//! The decision hooks ([`hooks`](super::hooks)) answer questions; these only report. Each
//! connection puts its [`Event`]s, in the order they happen, into one bounded queue per
//! server; a dedicated thread takes them out and calls the
//! [`on_event`](super::ServerBuilder::on_event) callback. So a callback that blocks (a
//! database write, a sleep) or panics delays or loses only other notifications, never media:
//! a full queue drops the newest notifications (counted, logged), a panic is caught and
//! logged, a call that takes longer than a second is logged. One thread and one FIFO keep
//! each connection's events in order.
//!
//! ```
//! use rtmp_driver::server::{EventKind, ServerBuilder};
//!
//! fn audit<R: rtmp_driver::Runtime>(b: ServerBuilder<R>) -> ServerBuilder<R> {
//!     b.on_accept(|peer| !peer.ip().is_unspecified())
//!         .on_event(|e| {
//!             if let EventKind::PublishStarted { key } = &e.kind {
//!                 println!("conn {} publishes {key}", e.conn.0);
//!             }
//!         })
//! }
//! ```

use std::fmt;
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use rtmp_proto::relay::{ConnId, LagReason, StreamKey};
use rtmp_proto::session::CloseReason;

/// The default of [`ServerBuilder::event_queue`](super::ServerBuilder::event_queue).
pub const DEFAULT_EVENT_QUEUE: usize = 4096;

/// A callback call longer than this is logged as slow.
const SLOW_CALL: Duration = Duration::from_secs(1);

/// One step of one connection: which connection, its peer, and what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The connection, as numbered in the server's logs (`conn{id=..}`).
    pub conn: ConnId,
    /// Its peer.
    pub peer: SocketAddr,
    /// What happened.
    pub kind: EventKind,
}

/// What happened to a connection; see [`Event`]. A connection's events come in this
/// order: `Opened`, `HandshakeDone`, `Connected`, then any streams' events, then `Closed`,
/// each exactly once (unless the queue overflowed, which is logged).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum EventKind {
    /// The connection was accepted (and the [`on_accept`](super::ServerBuilder::on_accept)
    /// filter let it through); nothing was read or written yet.
    Opened,
    /// The RTMP handshake finished.
    HandshakeDone,
    /// The connect was accepted for `app`.
    Connected {
        /// The application name the client connected to.
        app: String,
        /// The tcUrl it sent, if any.
        tc_url: Option<String>,
    },
    /// A connect, publish or play was refused (by a hook, the relay or a timeout).
    Rejected {
        /// Which request.
        request: Request,
        /// The app (connect) or stream name (publish, play) asked for.
        name: String,
        /// The rejection's description, as sent to the peer.
        description: String,
    },
    /// The client announced a publish (`FCPublish`, sent by OBS and ffmpeg before
    /// `publish`).
    FcPublish {
        /// The stream name it announced.
        name: String,
    },
    /// A publish was accepted: the stream is live.
    PublishStarted {
        /// The stream.
        key: StreamKey,
    },
    /// The publisher sent metadata (`onMetaData`).
    Metadata {
        /// The stream.
        key: StreamKey,
    },
    /// A publish ended.
    PublishStopped {
        /// The stream.
        key: StreamKey,
        /// Why.
        reason: StopReason,
    },
    /// A play was accepted (the player may still be waiting for a publisher).
    PlayStarted {
        /// The stream.
        key: StreamKey,
    },
    /// A player paused.
    Paused {
        /// The stream.
        key: StreamKey,
    },
    /// A paused player resumed.
    Unpaused {
        /// The stream.
        key: StreamKey,
    },
    /// A play ended.
    PlayStopped {
        /// The stream.
        key: StreamKey,
        /// Why.
        reason: StopReason,
    },
    /// The connection ended; always its last event.
    Closed {
        /// Why.
        reason: CloseCause,
        /// Bytes read from the socket (TLS records included).
        bytes_in: u64,
        /// Bytes written to the socket.
        bytes_out: u64,
    },
}

/// The request a [`EventKind::Rejected`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Request {
    /// `connect` (rejected or redirected).
    Connect,
    /// `publish`.
    Publish,
    /// `play`.
    Play,
}

/// Why a publish or play stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// The client asked (`FCUnpublish`, `closeStream`, `deleteStream`).
    Client,
    /// The connection closed without a stop (the peer went away: killed, crashed,
    /// network gone).
    Disconnected,
    /// The peer broke the protocol, or the socket failed.
    Error,
    /// A deadline passed (the peer went silent).
    Timeout,
    /// Another publisher took the stream over.
    Replaced,
    /// The player did not keep up and was cut (the lag policy's last step).
    TooSlow,
    /// The stream the player played ended (its publisher left for good, or a new one
    /// changed a codec the player cannot follow).
    StreamEnded,
    /// The server memory budget was exceeded and this connection held the most.
    OverBudget,
    /// The server shut down.
    Shutdown,
}

/// Why a connection closed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CloseCause {
    /// The session ended (peer closed, protocol error, timeout, rejected connect, closed
    /// by the server).
    Session(CloseReason),
    /// The socket failed (the error's text).
    Io(String),
    /// The server shut down.
    Shutdown,
    /// Its publish was taken over by another connection.
    Replaced,
    /// One of its players was too slow and was cut.
    TooSlow(LagReason),
    /// The server memory budget was exceeded; it held this many bytes, the most.
    OverBudget(usize),
}

impl CloseCause {
    /// What a stream still open at this close stopped for.
    pub fn stop_reason(&self) -> StopReason {
        match self {
            CloseCause::Session(CloseReason::Timeout(_)) => StopReason::Timeout,
            CloseCause::Session(CloseReason::Protocol(_)) | CloseCause::Io(_) => StopReason::Error,
            CloseCause::Session(_) => StopReason::Disconnected,
            CloseCause::Shutdown => StopReason::Shutdown,
            CloseCause::Replaced => StopReason::Replaced,
            CloseCause::TooSlow(_) => StopReason::TooSlow,
            CloseCause::OverBudget(_) => StopReason::OverBudget,
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopReason::Client => "client",
            StopReason::Disconnected => "disconnected",
            StopReason::Error => "error",
            StopReason::Timeout => "timeout",
            StopReason::Replaced => "replaced",
            StopReason::TooSlow => "too slow",
            StopReason::StreamEnded => "stream ended",
            StopReason::OverBudget => "over memory budget",
            StopReason::Shutdown => "shutdown",
        })
    }
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseCause::Session(CloseReason::PeerClosed) => f.write_str("peer closed"),
            CloseCause::Session(CloseReason::Protocol(e)) => write!(f, "protocol error: {e}"),
            CloseCause::Session(CloseReason::Timeout(k)) => write!(f, "timeout: {k:?}"),
            CloseCause::Session(CloseReason::Rejected) => f.write_str("rejected"),
            CloseCause::Session(CloseReason::Local) => f.write_str("closed by server"),
            CloseCause::Session(other) => write!(f, "{other:?}"),
            CloseCause::Io(e) => write!(f, "io error: {e}"),
            CloseCause::Shutdown => f.write_str("server shutdown"),
            CloseCause::Replaced => f.write_str("publish taken over by another connection"),
            CloseCause::TooSlow(why) => write!(f, "player too slow ({why:?})"),
            CloseCause::OverBudget(held) => write!(
                f,
                "server memory budget exceeded: this connection held {held} bytes, the most"
            ),
        }
    }
}

/// One line per event, as the relay's `--log-events` prints it.
impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn={} peer={} ", self.conn.0, self.peer)?;
        match &self.kind {
            EventKind::Opened => f.write_str("opened"),
            EventKind::HandshakeDone => f.write_str("handshake done"),
            EventKind::Connected { app, tc_url } => {
                write!(f, "connected app={app}")?;
                match tc_url {
                    Some(url) => write!(f, " tc_url={url}"),
                    None => Ok(()),
                }
            }
            EventKind::Rejected {
                request,
                name,
                description,
            } => write!(f, "{request:?} rejected name={name} reason={description:?}"),
            EventKind::FcPublish { name } => write!(f, "fcpublish name={name}"),
            EventKind::PublishStarted { key } => write!(f, "publish start stream={key}"),
            EventKind::Metadata { key } => write!(f, "metadata stream={key}"),
            EventKind::PublishStopped { key, reason } => {
                write!(f, "publish stop stream={key} reason={reason}")
            }
            EventKind::PlayStarted { key } => write!(f, "play start stream={key}"),
            EventKind::Paused { key } => write!(f, "pause stream={key}"),
            EventKind::Unpaused { key } => write!(f, "unpause stream={key}"),
            EventKind::PlayStopped { key, reason } => {
                write!(f, "play stop stream={key} reason={reason}")
            }
            EventKind::Closed {
                reason,
                bytes_in,
                bytes_out,
            } => write!(
                f,
                "closed reason={reason:?} bytes_in={bytes_in} bytes_out={bytes_out}",
                reason = reason.to_string()
            ),
        }
    }
}

/// The application's event callback.
pub(crate) type EventHook = Arc<dyn Fn(Event) + Send + Sync>;

/// The sending side every connection emits through: nothing at all without a callback.
pub(crate) struct Events {
    tx: Option<SyncSender<Event>>,
    dropped: AtomicU64,
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("on", &self.tx.is_some())
            .field("dropped", &self.dropped.load(Ordering::Relaxed))
            .finish()
    }
}

impl Events {
    /// No callback: emitting costs a branch.
    pub(crate) fn off() -> Self {
        Events {
            tx: None,
            dropped: AtomicU64::new(0),
        }
    }

    /// Starts the dispatcher thread for `hook`, with a queue of `capacity` events.
    pub(crate) fn start(hook: EventHook, capacity: usize) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(capacity.max(1));
        std::thread::Builder::new()
            .name("rtmp-events".into())
            .spawn(move || dispatch(rx, hook))?;
        Ok(Events {
            tx: Some(tx),
            dropped: AtomicU64::new(0),
        })
    }

    /// Whether anyone listens (so callers skip building events).
    pub(crate) fn on(&self) -> bool {
        self.tx.is_some()
    }

    /// Queues the event `make` builds, never waiting: a full queue drops it.
    pub(crate) fn emit(&self, conn: ConnId, peer: SocketAddr, make: impl FnOnce() -> EventKind) {
        let Some(tx) = &self.tx else {
            return;
        };
        let event = Event {
            conn,
            peer,
            kind: make(),
        };
        match tx.try_send(event) {
            Ok(()) => {}
            Err(TrySendError::Full(e)) => {
                let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if n.is_power_of_two() {
                    tracing::warn!(dropped = n, lost = ?e.kind,
                        "event queue full (the on_event callback is too slow): events dropped");
                }
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// Events dropped because the queue was full.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The dispatcher thread: every event to the callback, in order; a panic or a slow call
/// is logged and the next event goes on.
fn dispatch(rx: Receiver<Event>, hook: EventHook) {
    for event in rx {
        let (conn, what) = (event.conn, kind_name(&event.kind));
        let start = Instant::now();
        if catch_unwind(AssertUnwindSafe(|| hook(event))).is_err() {
            tracing::error!(conn = conn.0, event = what, "on_event callback panicked");
        }
        let took = start.elapsed();
        if took > SLOW_CALL {
            tracing::warn!(
                conn = conn.0,
                event = what,
                took_ms = took.as_millis() as u64,
                "on_event callback slow: later notifications wait (media does not)"
            );
        }
    }
}

fn kind_name(kind: &EventKind) -> &'static str {
    match kind {
        EventKind::Opened => "opened",
        EventKind::HandshakeDone => "handshake_done",
        EventKind::Connected { .. } => "connected",
        EventKind::Rejected { .. } => "rejected",
        EventKind::FcPublish { .. } => "fcpublish",
        EventKind::PublishStarted { .. } => "publish_started",
        EventKind::Metadata { .. } => "metadata",
        EventKind::PublishStopped { .. } => "publish_stopped",
        EventKind::PlayStarted { .. } => "play_started",
        EventKind::Paused { .. } => "paused",
        EventKind::Unpaused { .. } => "unpaused",
        EventKind::PlayStopped { .. } => "play_stopped",
        EventKind::Closed { .. } => "closed",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::mpsc::channel;

    fn ev(n: u64) -> (ConnId, SocketAddr) {
        (ConnId(n), SocketAddr::from(([127, 0, 0, 1], 1)))
    }

    /// Held by the tests whose dispatcher logs: tracing caches per call site whether
    /// anyone listens, and a site first hit on another test's thread without a subscriber
    /// could be cached as unheard while the logging test's subscriber is in place.
    static LOGGING: Mutex<()> = Mutex::new(());

    #[test]
    fn a_panicking_callback_does_not_stop_later_events() {
        let _serial = LOGGING.lock().unwrap_or_else(|e| e.into_inner());
        let (tx, rx) = channel();
        let tx = Mutex::new(tx);
        let hook: EventHook = Arc::new(move |e: Event| {
            if e.kind == EventKind::HandshakeDone {
                panic!("boom");
            }
            let _ = tx.lock().unwrap().send(e.kind);
        });
        let events = Events::start(hook, 8).unwrap();
        let (c, p) = ev(1);
        events.emit(c, p, || EventKind::Opened);
        events.emit(c, p, || EventKind::HandshakeDone);
        events.emit(c, p, || EventKind::Paused {
            key: StreamKey::new("live", "a"),
        });
        let got: Vec<_> = (0..2)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(got[0], EventKind::Opened);
        assert!(matches!(got[1], EventKind::Paused { .. }));
    }

    #[test]
    fn a_full_queue_drops_without_waiting() {
        let (gate_tx, gate_rx) = channel::<()>();
        let gate = Mutex::new(gate_rx);
        let hook: EventHook = Arc::new(move |_| {
            let _ = gate.lock().unwrap().recv();
        });
        let events = Events::start(hook, 2).unwrap();
        let (c, p) = ev(2);
        let start = Instant::now();
        for _ in 0..100 {
            events.emit(c, p, || EventKind::Opened);
        }
        assert!(start.elapsed() < Duration::from_secs(1));
        // One in the callback, two queued at most.
        assert!(events.dropped() >= 97, "{}", events.dropped());
        drop(gate_tx);
    }

    /// What a test's subscriber writes, shared with the test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_panicking_or_slow_callback_is_logged() {
        let _serial = LOGGING.lock().unwrap_or_else(|e| e.into_inner());
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let hook: EventHook = Arc::new(|e: Event| match e.kind {
            EventKind::Opened => panic!("a buggy callback"),
            _ => std::thread::sleep(SLOW_CALL + Duration::from_millis(50)),
        });
        let (tx, rx) = sync_channel(4);
        let (c, p) = ev(3);
        for kind in [EventKind::Opened, EventKind::HandshakeDone] {
            tx.send(Event {
                conn: c,
                peer: p,
                kind,
            })
            .unwrap();
        }
        drop(tx);
        // The dispatcher's loop, on this thread, under the capturing subscriber.
        tracing::subscriber::with_default(subscriber, || dispatch(rx, hook));
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(
            log.contains("ERROR")
                && log.contains("on_event callback panicked")
                && log.contains("event=\"opened\""),
            "{log}"
        );
        assert!(
            log.contains("WARN")
                && log.contains("on_event callback slow")
                && log.contains("event=\"handshake_done\""),
            "{log}"
        );
    }
}
