//! Push and pull relaying between servers: the task that carries out
//! `rtmp_proto::cluster`'s decisions.
//!
//! One task per server, when pushes or pulls are configured. The hub tells it of streams
//! published here (each is pushed to every target by a task of its own: a
//! [`Subscriber`](super::Subscriber) of the stream feeding a resilient client
//! `Publisher`) and of plays of streams that are not live here (the [`Puller`] decides
//! whether and where to pull them from; a pull is a client `Player` of the origin feeding
//! a [`LocalPublisher`](super::LocalPublisher)). Both are in-process streams of the
//! server, not loopback connections, so a pulled stream reaches players through the same
//! GOP cache and lag policy, and a push target that is down costs the stream nothing: its
//! client drops frames while offline and starts again at a keyframe with the sequence
//! headers when it is back.
//!
//! Streams pulled here are not pushed on (an edge pushing back to its origin would loop).

mod pull;
mod push;
mod views;

use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use rtmp_proto::cluster::{PullAction, PullAttempt, PullConfig, Puller, Remote};
use rtmp_proto::relay::StreamKey;

pub(crate) use views::ClusterViews;
pub use views::{PushView, StreamSource};

use super::hub::Hub;
use super::link::lock;
use super::shared::Shared;
use crate::io::Deadline;
use crate::runtime::{Runtime, Task};
use crate::sync::Signal;

/// How often the pulled streams' audiences are counted (a pull lingers after its last
/// player left; this is the granularity of noticing).
const AUDIT_EVERY: Duration = Duration::from_secs(1);

/// What a server pushes and pulls.
#[derive(Debug, Clone)]
pub(crate) struct ClusterConfig {
    /// Raised when the hub has news for the cluster task; the hub notes news from the
    /// moment the server is bound ([`ClusterConfig::watch`]), before the task first runs.
    wake: Arc<Signal>,
    /// Every stream published here goes to each of these.
    pub push: Vec<Remote>,
    /// Streams played here but not live are pulled from its origins (when it has any).
    pub pull: PullConfig,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            wake: Signal::new(),
            push: Vec::new(),
            pull: PullConfig::new(Vec::new()),
        }
    }
}

impl ClusterConfig {
    /// Makes `hub` note what the cluster task must hear of (call at bind, when active).
    pub fn watch(&self, hub: &Hub) {
        hub.watch(self.wake.clone());
    }

    /// Whether there is anything to do.
    pub fn is_active(&self) -> bool {
        !self.push.is_empty() || !self.pull.origins.is_empty()
    }
}

/// What a push or pull task tells the cluster task.
#[derive(Debug)]
enum Report {
    /// A pull attempt's first media since it started or since its origin's publisher
    /// came back.
    Media(StreamKey, PullAttempt),
    /// A pull attempt's origin lost its publisher.
    Unpublished(StreamKey, PullAttempt),
    /// A pull attempt's connection ended.
    Failed(StreamKey, PullAttempt),
    /// A pull attempt found the stream published here by someone else.
    Taken(StreamKey, PullAttempt),
    /// A push task ended (its stream ended).
    PushEnded(StreamKey, usize),
}

/// Where push and pull tasks report to, and the wake-up of the cluster task.
#[derive(Debug)]
struct Inbox {
    reports: Mutex<Vec<Report>>,
    wake: Arc<Signal>,
}

impl Inbox {
    fn send(&self, report: Report) {
        lock(&self.reports).push(report);
        self.wake.raise();
    }
}

/// Tasks by key, aborted when dropped (the cluster task ends with the server).
struct Tasks<K, T: Task>(HashMap<K, T>);

impl<K: std::hash::Hash + Eq, T: Task> Tasks<K, T> {
    fn replace(&mut self, key: K, task: T) {
        if let Some(old) = self.0.insert(key, task) {
            old.abort();
        }
    }

    fn abort(&mut self, key: &K) {
        if let Some(t) = self.0.remove(key) {
            t.abort();
        }
    }
}

impl<K, T: Task> Drop for Tasks<K, T> {
    fn drop(&mut self) {
        for (_, t) in self.0.drain() {
            t.abort();
        }
    }
}

/// The cluster task of a server; runs until the server stops (aborted with it).
pub(crate) async fn run<R: Runtime>(rt: R, shared: Arc<Shared>, config: ClusterConfig) {
    let inbox = Arc::new(Inbox {
        reports: Mutex::new(Vec::new()),
        wake: config.wake.clone(),
    });
    let seed = crate::seed::connection_seed();
    let mut puller = (!config.pull.origins.is_empty()).then(|| Puller::new(config.pull, seed));
    let mut pulls: Tasks<StreamKey, R::Task> = Tasks(HashMap::new());
    let mut pushes: Tasks<(StreamKey, usize), R::Task> = Tasks(HashMap::new());
    let mut timer = Deadline::<R>::new();
    let mut next_audit = rt.now() + AUDIT_EVERY;
    loop {
        let now = rt.now();
        let news = shared.hub.take_news();
        let mut actions = Vec::new();
        if let Some(p) = &mut puller {
            for key in &news.demanded {
                actions.extend(p.demand(now, key));
            }
        }
        let reports = std::mem::take(&mut *lock(&inbox.reports));
        for report in reports {
            match (report, &mut puller) {
                (Report::Media(key, a), Some(p)) => p.on_media(&key, a),
                (Report::Unpublished(key, a), Some(p)) => p.on_unpublished(now, &key, a),
                (Report::Failed(key, a), Some(p)) => actions.extend(p.on_failed(now, &key, a)),
                (Report::Taken(key, a), Some(p)) => {
                    if p.view(&key).is_some() && !shared.hub.is_live(&key) {
                        // Taken and already gone again: treat as a failed attempt.
                        actions.extend(p.on_failed(now, &key, a));
                    } else {
                        actions.extend(p.cancel(&key));
                    }
                }
                (Report::PushEnded(key, i), _) => {
                    pushes.0.remove(&(key.clone(), i));
                    shared.cluster.push_ended(&key, i);
                }
                _ => {}
            }
        }
        for key in news.published {
            let pulled = puller.as_ref().is_some_and(|p| p.view(&key).is_some());
            if pulled {
                continue;
            }
            for (i, target) in config.push.iter().enumerate() {
                if pushes.0.contains_key(&(key.clone(), i)) {
                    continue;
                }
                let urls = target.urls(&key);
                if urls.is_empty() {
                    tracing::warn!(stream = %key, target = %target, "push: no valid URL");
                    continue;
                }
                let task = rt.spawn(push::push(
                    rt.clone(),
                    shared.clone(),
                    push::Target {
                        key: key.clone(),
                        index: i,
                        remote: target.clone(),
                        urls,
                    },
                    inbox.clone(),
                ));
                pushes.replace((key.clone(), i), task);
            }
        }
        if let Some(p) = &mut puller {
            if now >= next_audit {
                let keys: Vec<StreamKey> = p.keys().cloned().collect();
                for key in keys {
                    p.on_audience(now, &key, shared.hub.audience(&key));
                }
                next_audit = now + AUDIT_EVERY;
            }
            actions.extend(p.handle_timeout(now));
            for action in actions {
                apply(&rt, &shared, &inbox, &mut pulls, action);
            }
            shared.cluster.set_pulls(p);
        }
        let at = puller
            .as_ref()
            .map(|p| p.poll_timeout().map_or(next_audit, |t| t.min(next_audit)));
        timer.set(&rt, at);
        poll_fn(|cx| {
            if inbox.wake.poll_wait(cx).is_ready() || timer.poll(cx).is_ready() {
                return Poll::Ready(());
            }
            Poll::Pending
        })
        .await;
    }
}

/// Carries out one of the puller's actions.
fn apply<R: Runtime>(
    rt: &R,
    shared: &Arc<Shared>,
    inbox: &Arc<Inbox>,
    pulls: &mut Tasks<StreamKey, R::Task>,
    action: PullAction,
) {
    match action {
        PullAction::Dial { key, url, attempt } => {
            tracing::info!(stream = %key, origin = %url, "pulling");
            let task = rt.spawn(pull::pull(
                rt.clone(),
                shared.clone(),
                key.clone(),
                url,
                attempt,
                inbox.clone(),
            ));
            pulls.replace(key, task);
        }
        PullAction::Close { key } => {
            tracing::info!(stream = %key, "pull closed");
            pulls.abort(&key);
        }
        // An action this driver does not know yet.
        _ => {}
    }
}
