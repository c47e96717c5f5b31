//! What every connection of one server reads: settings, hooks and the relay.

use std::path::PathBuf;
use std::time::Duration;

use rtmp_proto::session::ServerConfig;

use super::hooks::Hooks;
use super::hub::Hub;

/// Shared by all connection tasks of a server (behind an `Arc`).
#[derive(Debug)]
pub(crate) struct Shared {
    /// The template of every connection's session config.
    pub(crate) session: ServerConfig,
    pub(crate) hooks: Hooks,
    /// Where published streams are recorded, if anywhere.
    pub(crate) record_dir: Option<PathBuf>,
    pub(crate) hub: Hub,
    /// How long a closing connection may spend flushing.
    pub(crate) grace: Duration,
}
