//! [`Fleet`]: many resilient publishers, one per `(camera, stream)`, added and removed
//! while running, with a snapshot of every session and a stream of their state changes.
//!
//! The decisions are `rtmp-proto`'s ([`rtmp_proto::client::fleet`](rtmp_proto::client)):
//! a [`StreamSpec`] says where a session publishes (its failover list, from templates or
//! a static list) and which codec it prefers; each session is a [`Publisher`] with the
//! builder's reconnect policy (by default 1 s doubling to 60 s, 10 attempts, primary →
//! backups → wait → primary). This file keeps the sessions and watches them.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_channel::{Receiver, Sender};
use rtmp_proto::client::{
    ClientError, ClientStatus, FleetEvent, RateMeter, SessionSnapshot, StreamKey, StreamSpec,
};

use super::builder::ClientBuilder;
use super::publisher::Publisher;
use crate::runtime::Runtime;

/// Events a fleet holds for the application before it drops new ones.
const EVENT_QUEUE: usize = 4096;

/// The window a session's bitrate is averaged over.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// One session: its spec, its publisher and its bitrate meter.
#[derive(Debug)]
struct Session<R: Runtime> {
    spec: StreamSpec,
    publisher: Arc<Publisher<R>>,
    meter: RateMeter,
}

/// A fleet of publishers; see the module docs.
///
/// ```no_run
/// # async fn f<R: rtmp_driver::runtime::Runtime + Default>() -> Result<(), Box<dyn std::error::Error>> {
/// use rtmp_driver::client::Fleet;
/// use rtmp_proto::client::{CameraConfig, FleetConfig, StreamConfig};
///
/// let config = FleetConfig::new()
///     .url_template("rtmp://primary/live/cam{camera_id}_{stream_name}")
///     .fallback_template("rtmp://backup/live/cam{camera_id}_{stream_name}")
///     .camera(CameraConfig::new("1").stream(StreamConfig::new("main")));
/// let fleet = Fleet::<R>::default();
/// for spec in config.streams()? {
///     let publisher = fleet.add(spec)?; // feed it frames from the camera's encoder
/// #   drop(publisher);
/// }
/// for s in fleet.snapshot() {
///     println!("{} {:?} {:?} reconnects={}", s.key, s.state, s.url, s.reconnects);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Fleet<R: Runtime> {
    settings: ClientBuilder<R>,
    sessions: Mutex<BTreeMap<StreamKey, Session<R>>>,
    events_tx: Sender<FleetEvent>,
    events_rx: Receiver<FleetEvent>,
}

impl<R: Runtime + Default> Default for Fleet<R> {
    fn default() -> Self {
        Fleet::new(ClientBuilder::default())
    }
}

impl<R: Runtime> Fleet<R> {
    /// A fleet whose sessions take `settings`' reconnect policy (unless their spec has
    /// its own), timeouts, queue sizes and runtime (its URLs are not used: each session
    /// has its own).
    pub fn new(settings: ClientBuilder<R>) -> Self {
        let (events_tx, events_rx) = async_channel::bounded(EVENT_QUEUE);
        Fleet {
            settings,
            sessions: Mutex::new(BTreeMap::new()),
            events_tx,
            events_rx,
        }
    }

    /// Starts publishing `spec`'s stream and returns its publisher at once (it dials in
    /// the background: send frames into it; they are dropped and counted while no
    /// server takes them). Fails when the fleet already has the key.
    pub fn add(&self, spec: StreamSpec) -> Result<Arc<Publisher<R>>, ClientError> {
        let mut sessions = self.lock();
        if sessions.contains_key(spec.key()) {
            return Err(ClientError::DuplicateStream(spec.key().to_string()));
        }
        let builder = self.settings.for_session(&spec);
        let publisher = Arc::new(Publisher::spawn(builder)?);
        let key = spec.key().clone();
        self.emit(FleetEvent::Added(key.clone()));
        let watch = watch_session(key.clone(), &publisher, self.events_tx.clone());
        drop(publisher.runtime().spawn(watch));
        sessions.insert(
            key,
            Session {
                spec,
                publisher: publisher.clone(),
                meter: RateMeter::new(RATE_WINDOW),
            },
        );
        Ok(publisher)
    }

    /// Ends `key`'s stream politely (the server's players get the end of stream) and
    /// forgets it; `false` when there was no such session. Sends through other handles
    /// of its publisher fail with `Closed` from then on.
    pub async fn remove(&self, key: &StreamKey) -> bool {
        let Some(session) = self.lock().remove(key) else {
            return false;
        };
        session.publisher.stop().await;
        self.emit(FleetEvent::Removed(key.clone()));
        true
    }

    /// Removes every session.
    pub async fn close(&self) {
        for key in self.keys() {
            self.remove(&key).await;
        }
    }

    /// The publisher of `key`'s session.
    pub fn publisher(&self, key: &StreamKey) -> Option<Arc<Publisher<R>>> {
        self.lock().get(key).map(|s| s.publisher.clone())
    }

    /// The spec `key`'s session was added with.
    pub fn spec(&self, key: &StreamKey) -> Option<StreamSpec> {
        self.lock().get(key).map(|s| s.spec.clone())
    }

    /// The sessions' keys, in order (camera, then stream).
    pub fn keys(&self) -> Vec<StreamKey> {
        self.lock().keys().cloned().collect()
    }

    /// How many sessions the fleet has.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the fleet has no sessions.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Every session's state and figures now, in key order. Each call also feeds the
    /// sessions' bitrate meters: call it every few seconds (as a status table does).
    pub fn snapshot(&self) -> Vec<SessionSnapshot> {
        let now = self.settings.rt().now();
        self.lock()
            .iter_mut()
            .map(|(key, s)| {
                let status = s.publisher.status();
                SessionSnapshot::new(key.clone(), &status, s.spec.codec(), now, &mut s.meter)
            })
            .collect()
    }

    /// The fleet's events: sessions added and removed, and every state change of each
    /// session. One stream per fleet: clones of it share the events (each goes to one of
    /// them). Past 4096 events not taken, new ones are dropped.
    pub fn events(&self) -> FleetEvents {
        FleetEvents(self.events_rx.clone())
    }

    fn emit(&self, event: FleetEvent) {
        emit(&self.events_tx, event);
    }

    /// A poisoned lock still holds a usable map (a panic cannot leave a half-inserted
    /// session behind).
    fn lock(&self) -> MutexGuard<'_, BTreeMap<StreamKey, Session<R>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The receiving end of a fleet's events ([`Fleet::events`]).
#[derive(Debug, Clone)]
pub struct FleetEvents(Receiver<FleetEvent>);

impl FleetEvents {
    /// The next event; `None` once the fleet is gone and every event was taken.
    pub async fn next(&mut self) -> Option<FleetEvent> {
        self.0.recv().await.ok()
    }

    /// The next event if one is waiting.
    pub fn try_next(&mut self) -> Option<FleetEvent> {
        self.0.try_recv().ok()
    }
}

fn emit(tx: &Sender<FleetEvent>, event: FleetEvent) {
    if tx.try_send(event).is_err() {
        tracing::debug!("fleet event dropped: nobody takes them");
    }
}

/// Turns a session's status changes into events until its publisher finished.
fn watch_session<R: Runtime>(
    key: StreamKey,
    publisher: &Publisher<R>,
    tx: Sender<FleetEvent>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut watch = publisher.subscribe();
    async move {
        let mut last = ClientStatus::new();
        while watch.changed().await {
            let now = watch.get_and_update();
            if let Some(ev) = FleetEvent::from_change(&key, &last, &now) {
                emit(&tx, ev);
            }
            last = now;
        }
    }
}
