//! [`ClientStatus`]: what a publisher or player is doing, as the application sees it, and
//! [`ClientError`], the errors of a client API. Both are runtime-agnostic so every
//! adapter's client API reports the same types.

use std::fmt;
use std::time::Instant;

use super::error::{PolicyError, TemplateError, UrlError};
use super::failure::FailureReason;
use super::resend::PublisherCounters;
use super::state::ConnectionState;
use super::supervisor::Supervisor;
use super::url::RtmpUrl;
use crate::media::caps::EnhancedCaps;

/// A snapshot of a publisher or player, kept up to date by
/// [`PublishLoop::status_update`](super::PublishLoop::status_update) and
/// [`PlayLoop::status_update`](super::PlayLoop::status_update).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ClientStatus {
    /// The connection state.
    pub state: ConnectionState,
    /// When the state last changed (the `now` of that step): how long a stream has been
    /// up is `now - since` while it publishes or plays.
    pub since: Option<Instant>,
    /// What the server of the current (or last) connection answered of our Enhanced RTMP
    /// capabilities in `connect` (`None`: a legacy server, or not connected yet). A
    /// publisher picks its codec from it after each (re)connect.
    pub server_caps: Option<EnhancedCaps>,
    /// The URL of the current (or last) connection.
    pub url: Option<RtmpUrl>,
    /// Times the stream started (publish or play); 2 means one reconnect.
    pub starts: u64,
    /// The latest failure that counted toward the backoff.
    pub last_failure: Option<FailureReason>,
    /// The client stopped for good (closed, or the policy gave up).
    pub finished: bool,
    /// The reconnect policy gave up (`last_failure` says why).
    pub gave_up: bool,
    /// Publisher counters (all zero for a player).
    pub counters: PublisherCounters,
}

impl Default for ClientStatus {
    fn default() -> Self {
        ClientStatus::new()
    }
}

impl ClientStatus {
    /// The status before the first dial: disconnected, nothing started.
    pub fn new() -> Self {
        ClientStatus {
            state: ConnectionState::Disconnected,
            since: None,
            server_caps: None,
            url: None,
            starts: 0,
            last_failure: None,
            finished: false,
            gave_up: false,
            counters: PublisherCounters::default(),
        }
    }

    /// Logs the supervisor's new transitions (as `who`) and copies its state. Returns
    /// whether anything changed. Cheap when nothing did: no clone happens then. Call after
    /// every step that reported something to the supervisor.
    pub fn refresh(&mut self, sup: &mut Supervisor, who: &str) -> bool {
        let mut changed = false;
        while let Some(t) = sup.poll_transition() {
            tracing::info!(from = ?t.from, to = ?t.to, reason = ?t.reason, "{who} state");
            self.since = Some(t.at);
            changed = true;
        }
        if !changed {
            return false;
        }
        self.state = sup.state();
        self.url = sup.current_url().cloned();
        self.gave_up = sup.has_given_up();
        self.last_failure = sup.last_failure().cloned();
        self.finished |= self.gave_up;
        true
    }
}

/// Errors of the client API.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientError {
    /// A URL did not parse.
    Url(UrlError),
    /// A URL template could not be expanded.
    Template(TemplateError),
    /// The reconnect settings are unusable (an empty failover list, a bad policy).
    Policy(PolicyError),
    /// The reconnect policy gave up; the last failure, if any.
    GaveUp(Option<FailureReason>),
    /// The publisher or player was closed (or its task ended).
    Closed,
    /// A non-waiting send: the queue is full (the link is slower than the caller).
    Full,
    /// A local file could not be read (for example an FLV file to push).
    Io(String),
    /// A fleet already has a session for this `camera/stream`.
    DuplicateStream(String),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Url(e) => write!(f, "bad URL: {e}"),
            ClientError::Template(e) => write!(f, "bad URL template: {e}"),
            ClientError::Policy(e) => write!(f, "bad reconnect settings: {e}"),
            ClientError::GaveUp(Some(r)) => write!(f, "gave up connecting; last failure: {r:?}"),
            ClientError::GaveUp(None) => write!(f, "gave up connecting"),
            ClientError::Closed => write!(f, "the client is closed"),
            ClientError::Full => write!(f, "the send queue is full"),
            ClientError::Io(e) => write!(f, "file error: {e}"),
            ClientError::DuplicateStream(k) => write!(f, "the fleet already publishes {k}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<UrlError> for ClientError {
    fn from(e: UrlError) -> Self {
        ClientError::Url(e)
    }
}

impl From<TemplateError> for ClientError {
    fn from(e: TemplateError) -> Self {
        ClientError::Template(e)
    }
}

impl From<PolicyError> for ClientError {
    fn from(e: PolicyError) -> Self {
        ClientError::Policy(e)
    }
}
