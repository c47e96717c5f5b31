//! INTERIM: shape of the fan-out until `rtmp_proto::relay` lands. Not final.

use std::sync::Arc;

use rtmp_proto::session::{Media, Metadata, Rejection, ServerSession, StreamId};

use crate::portable::Signal;

#[derive(Debug, Clone, Default)]
pub struct HubConfig {}

#[derive(Debug, Clone, Default)]
pub struct HubStats {}

#[derive(Debug)]
pub(crate) struct Hub {}

#[derive(Debug)]
pub(crate) struct PublisherKey;
#[derive(Debug)]
pub(crate) struct PlayerKey;

impl Hub {
    pub(crate) fn new(_c: HubConfig) -> Self {
        Hub {}
    }
    pub(crate) fn stats(&self) -> HubStats {
        HubStats {}
    }
    pub(crate) fn publish(&self, _app: &str, _name: &str) -> Result<PublisherKey, Rejection> {
        Ok(PublisherKey)
    }
    pub(crate) fn unpublish(&self, _k: PublisherKey) {}
    pub(crate) fn media(&self, _k: &PublisherKey, _m: Media) {}
    pub(crate) fn metadata(&self, _k: &PublisherKey, _m: Metadata) {}
    pub(crate) fn play(&self, _app: &str, _name: &str, _s: Arc<Signal>) -> PlayerKey {
        PlayerKey
    }
    pub(crate) fn leave(&self, _k: PlayerKey) {}
    pub(crate) fn pause(&self, _k: &PlayerKey, _p: bool) {}
    pub(crate) fn pull(&self, _k: &PlayerKey, _s: StreamId, _b: usize, _sess: &mut ServerSession) {}
}
