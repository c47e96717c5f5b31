//! What every connection of one server reads: settings, hooks, the relay, and whether the
//! server is shutting down.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rtmp_proto::session::ServerConfig;

use rtmp_proto::relay::Counters;

use super::cluster::ClusterViews;
use super::counters::ServerCounters;
use super::events::Events;
use super::hooks::{BoxFuture, Hooks};
use super::hub::{Hub, StreamView};
use crate::sync::Signal;

/// Shared by all connection tasks of a server (behind an `Arc`); opaque outside this
/// crate (the in-memory player of `testing` hands it around).
#[derive(Debug)]
pub struct Shared {
    /// Every connection's session config: one allocation for all of them (each session
    /// gets its own handshake seed), so the fan-out reads one hot copy of the limits.
    pub(crate) session: Arc<ServerConfig>,
    pub(crate) hooks: Hooks,
    /// Lifecycle notifications to the application's `on_event` callback, if any.
    pub(crate) events: Events,
    /// Where published streams are recorded, if anywhere.
    pub(crate) record_dir: Option<PathBuf>,
    pub(crate) hub: Hub,
    /// The server's own counters (connection states, accepts, refusals).
    pub(crate) counters: ServerCounters,
    /// How long a closing connection may spend flushing.
    pub(crate) grace: Duration,
    /// How long a player's output may be held to be written in one go (zero: never held);
    /// see `ServerBuilder::write_merge`.
    pub(crate) write_merge: Duration,
    /// Set once by [`Shared::stop`].
    stopping: AtomicBool,
    /// Wakes the accept loop for a shutdown or a drain.
    pub(crate) accept_wake: Arc<Signal>,
    /// Set by [`Shared::drain`]: publishers are asked to move (to the tcUrl inside, when
    /// one was given), then the server shuts down.
    draining: Mutex<Option<Option<String>>>,
    /// Set with `draining`: a connection's turn looks at this, not the mutex.
    drain_begun: AtomicBool,
    /// How long a drain waits for publishers to leave before shutting down.
    pub(crate) drain_wait: Duration,
    /// The runtime's timer, for waits outside a connection task (subscribers' deadlines);
    /// set when the server is bound.
    sleeper: SleeperCell,
    /// What the push and pull task reports of its streams.
    pub(crate) cluster: ClusterViews,
}

/// Holds the [`Sleeper`] (a closure, shown as whether it is set).
#[derive(Default)]
struct SleeperCell(OnceLock<Sleeper>);

impl std::fmt::Debug for SleeperCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sleeper(set: {})", self.0.get().is_some())
    }
}

/// A future that completes at an instant, on the server's runtime.
pub(crate) type Sleeper = Arc<dyn Fn(Instant) -> BoxFuture<()> + Send + Sync>;

impl Shared {
    pub(crate) fn new(
        session: ServerConfig,
        hooks: Hooks,
        record_dir: Option<PathBuf>,
        hub: Hub,
        grace: Duration,
        write_merge: Duration,
        drain_wait: Duration,
    ) -> Self {
        Shared {
            session: Arc::new(session),
            hooks,
            events: Events::off(),
            record_dir,
            hub,
            counters: ServerCounters::default(),
            grace,
            write_merge,
            stopping: AtomicBool::new(false),
            accept_wake: Signal::new(),
            draining: Mutex::new(None),
            drain_begun: AtomicBool::new(false),
            drain_wait,
            sleeper: SleeperCell::default(),
            cluster: ClusterViews::default(),
        }
    }

    /// The same, with lifecycle notifications going through `events`.
    pub(crate) fn with_events(mut self, events: Events) -> Self {
        self.events = events;
        self
    }

    /// The relay's counters with the server's own copied in.
    pub(crate) fn stats(&self) -> Counters {
        let mut c = self.hub.stats();
        self.counters.fill(&mut c);
        c
    }

    /// Lets waits outside connection tasks use the runtime's timer (once).
    pub(crate) fn set_sleeper(&self, sleeper: Sleeper) {
        let _ = self.sleeper.0.set(sleeper);
    }

    /// A future completing at `at`, if the server's runtime is known.
    pub(crate) fn sleep_until(&self, at: Instant) -> Option<BoxFuture<()>> {
        self.sleeper.0.get().map(|s| s(at))
    }

    /// Begins a drain: every connection is woken and asks its publishers, if they speak
    /// Enhanced RTMP, to reconnect (to `target`, or to the same URL); the accept loop
    /// shuts the server down once they left, or after `drain_wait`.
    pub(crate) fn drain(&self, target: Option<String>) {
        {
            let mut d = self.draining.lock().unwrap_or_else(|e| e.into_inner());
            if d.is_some() {
                return;
            }
            *d = Some(target);
        }
        self.drain_begun.store(true, Ordering::Release);
        self.accept_wake.raise();
        self.hub.wake_all();
    }

    /// The drain's target, when a drain began (`Some(None)`: reconnect to the same URL).
    pub(crate) fn drain_target(&self) -> Option<Option<String>> {
        if !self.drain_begun.load(Ordering::Acquire) {
            return None;
        }
        self.draining
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every live stream (or one held for a new publisher) with its figures, where it
    /// comes from and where it is pushed to.
    pub(crate) fn streams(&self) -> Vec<StreamView> {
        let mut views = self.hub.streams();
        for v in &mut views {
            if let Some(source) = self.cluster.pulled(&v.key) {
                v.source = source;
            }
            v.pushes = self.cluster.pushes(&v.key);
        }
        views
    }

    /// Whether shutdown began.
    pub(crate) fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Begins shutdown: the accept loop stops and every connection task is woken to end
    /// its streams. A connection registered after the wake-up sees the flag in its first
    /// turn (the flag is set before the hub is walked).
    pub(crate) fn stop(&self) {
        if !self.stopping.swap(true, Ordering::AcqRel) {
            self.accept_wake.raise();
            self.hub.wake_all();
        }
    }
}
