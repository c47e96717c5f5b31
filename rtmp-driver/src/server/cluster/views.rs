//! What the stats say of pushes and pulls: where each stream comes from and where it goes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use rtmp_proto::client::ConnectionState;
use rtmp_proto::cluster::{PullPhase, Puller, Remote};
use rtmp_proto::relay::StreamKey;

use crate::server::link::lock;
use crate::sync::StatusWatch;

/// Where a stream comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamSource {
    /// A publisher connected from this address.
    Peer(SocketAddr),
    /// The application's own code (`ServerHandle::publish`).
    InProcess,
    /// Pulled from an origin (this server is an edge for it).
    Pulled {
        /// The origin's URL of the stream.
        url: String,
        /// Where the pull stands.
        phase: PullPhase,
    },
    /// Nobody: the publisher left and its players are held for a new one.
    Nobody,
}

/// One push of a stream to one target.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushView {
    /// The target as configured (a template, `|`-separated alternatives).
    pub target: String,
    /// The URL of the current (or last) connection, once there was one.
    pub url: Option<String>,
    /// The push's connection state.
    pub state: ConnectionState,
    /// Times it started publishing there (2: it reconnected once).
    pub starts: u64,
}

#[derive(Debug)]
struct Push {
    index: usize,
    target: String,
    status: StatusWatch,
}

/// The cluster task's latest pulls and every running push, read by `ServerHandle::streams`.
#[derive(Debug, Default)]
pub(crate) struct ClusterViews {
    pulls: Mutex<HashMap<StreamKey, (String, PullPhase)>>,
    pushes: Mutex<HashMap<StreamKey, Vec<Push>>>,
}

impl ClusterViews {
    /// Records the puller's streams.
    pub fn set_pulls(&self, puller: &Puller) {
        let mut pulls = lock(&self.pulls);
        pulls.clear();
        for key in puller.keys() {
            if let Some(v) = puller.view(key) {
                pulls.insert(key.clone(), (v.url.to_string(), v.phase));
            }
        }
    }

    /// A push of `key` to target `index` began; its client's status is `status`.
    pub fn push_started(
        &self,
        key: &StreamKey,
        index: usize,
        target: &Remote,
        status: StatusWatch,
    ) {
        let mut pushes = lock(&self.pushes);
        let list = pushes.entry(key.clone()).or_default();
        list.retain(|p| p.index != index);
        list.push(Push {
            index,
            target: target.to_string(),
            status,
        });
        list.sort_by_key(|p| p.index);
    }

    /// The push of `key` to target `index` ended.
    pub fn push_ended(&self, key: &StreamKey, index: usize) {
        let mut pushes = lock(&self.pushes);
        if let Some(list) = pushes.get_mut(key) {
            list.retain(|p| p.index != index);
            if list.is_empty() {
                pushes.remove(key);
            }
        }
    }

    /// Where `key` comes from, if pulled.
    pub fn pulled(&self, key: &StreamKey) -> Option<StreamSource> {
        lock(&self.pulls)
            .get(key)
            .map(|(url, phase)| StreamSource::Pulled {
                url: url.clone(),
                phase: *phase,
            })
    }

    /// `key`'s pushes.
    pub fn pushes(&self, key: &StreamKey) -> Vec<PushView> {
        lock(&self.pushes).get(key).map_or_else(Vec::new, |list| {
            list.iter()
                .map(|p| {
                    let s = p.status.get();
                    PushView {
                        target: p.target.clone(),
                        url: s.url.map(|u| u.to_string()),
                        state: s.state,
                        starts: s.starts,
                    }
                })
                .collect()
        })
    }
}
