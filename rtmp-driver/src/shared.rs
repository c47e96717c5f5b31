//! What every connection of one server reads: settings, hooks and the relay.

use std::path::PathBuf;
use std::time::Duration;

use rtmp_proto::session::ServerConfig;

use super::hooks::Hooks;
use super::hub::Hub;

/// Shared by all connection tasks of a server (behind an `Arc`).
#[derive(Debug)]
pub struct Shared {
    /// The template of every connection's session config.
    pub session: ServerConfig,
    pub hooks: Hooks,
    /// Where published streams are recorded, if anywhere.
    pub record_dir: Option<PathBuf>,
    pub hub: Hub,
    /// How long a closing connection may spend flushing.
    pub grace: Duration,
    /// How long a player's output may be held to be written in one go (zero: never held);
    /// see `ServerBuilder::write_merge`.
    pub write_merge: Duration,
}
