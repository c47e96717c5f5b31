//! Why a connection attempt or an established connection failed.

use crate::session::{ClientEvent, CloseReason, StatusCode};

/// What ended an attempt or a connection, recorded with each state transition.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FailureReason {
    /// DNS, TCP or TLS could not connect; the adapter's error text.
    Dial(String),
    /// The server refused `connect` (`redirect`: its `ex.redirect`, if any).
    ConnectRejected {
        /// The status code, e.g. [`StatusCode::ConnectRejected`].
        code: StatusCode,
        /// The server's human-readable reason.
        description: String,
        /// The tcUrl the server redirected us to, if it did.
        redirect: Option<String>,
    },
    /// The server refused `publish` or `play`.
    StreamFailed {
        /// The status code, e.g. [`StatusCode::PublishBadName`].
        code: StatusCode,
        /// The server's human-readable reason.
        description: String,
    },
    /// The session ended (peer closed, protocol error, timeout, ...).
    Closed(CloseReason),
    /// An I/O error on an established connection; the adapter's error text.
    Io(String),
    /// A dial failed in a way that dialing the same URL again cannot cure (the server's
    /// TLS certificate does not verify: unknown issuer, wrong name, expired). The
    /// [`Reconnector`](super::Reconnector) moves to the next URL and leaves this one out
    /// of later rounds; when every URL is out, it gives up. The adapter's error text.
    Permanent(String),
}

/// The error an adapter wraps in the `io::Error` of a failed dial
/// (`io::Error::new(kind, PermanentFailure::new(..))`) to say retrying the URL is
/// useless; [`Supervisor::on_dial_error`](super::Supervisor::on_dial_error) reports it as
/// [`FailureReason::Permanent`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PermanentFailure(String);

impl PermanentFailure {
    /// A permanent failure with this reason.
    pub fn new(reason: impl Into<String>) -> Self {
        PermanentFailure(reason.into())
    }

    /// Whether `error` wraps a [`PermanentFailure`].
    pub fn is_in(error: &std::io::Error) -> bool {
        error.get_ref().is_some_and(|e| e.is::<PermanentFailure>())
    }
}

impl FailureReason {
    /// The failure a client event reports, if it reports one: `ConnectRejected`,
    /// `StreamFailed` and `Closed` (a `Closed` after a local `close` is not a failure).
    ///
    /// A refused connect is followed by the session's `Closed`: report only the first
    /// failure of a connection to the [`Reconnector`](super::Reconnector). A refusal that
    /// carries a `redirect` can be followed with [`RtmpUrl::redirected`](super::RtmpUrl::redirected).
    pub fn from_event(event: &ClientEvent) -> Option<Self> {
        match event {
            ClientEvent::ConnectRejected {
                code,
                description,
                redirect,
            } => Some(FailureReason::ConnectRejected {
                code: code.clone(),
                description: description.clone(),
                redirect: redirect.clone(),
            }),
            ClientEvent::StreamFailed {
                code, description, ..
            } => Some(FailureReason::StreamFailed {
                code: code.clone(),
                description: description.clone(),
            }),
            ClientEvent::Closed(CloseReason::Local) => None,
            ClientEvent::Closed(reason) => Some(FailureReason::Closed(reason.clone())),
            _ => None,
        }
    }
}
