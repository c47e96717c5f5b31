//! Typed ids for the decisions a session asks its application to make.
//!
//! A request id is `Copy + Send` so an async auth service can hold it and answer later; ids
//! are never reused within a session, so a late answer to a request that already timed out
//! is a [`UsageError::UnknownRequest`](crate::UsageError), not a wrong decision.

use std::fmt;

use crate::message::status::StatusCode;

macro_rules! request_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub(crate) u64);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }
    };
}

request_id!(
    /// Identifies a `connect` waiting for `accept_connect`, `reject` or `redirect`.
    ConnectId
);
request_id!(
    /// Identifies a `publish` waiting for `accept_publish` or `reject`.
    PublishId
);
request_id!(
    /// Identifies a `play` waiting for `accept_play` or `reject`.
    PlayId
);
request_id!(
    /// Identifies an application-defined call. On a server: a peer's call waiting for
    /// `answer_call`. On a client: a call `ClientSession::call` sent, whose answer
    /// `ClientEvent::CallResult` names.
    CallId
);

/// Any pending decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestId {
    /// A pending `connect`.
    Connect(ConnectId),
    /// A pending `publish`.
    Publish(PublishId),
    /// A pending `play`.
    Play(PlayId),
    /// A pending application-defined call.
    Call(CallId),
}

impl From<ConnectId> for RequestId {
    fn from(id: ConnectId) -> Self {
        RequestId::Connect(id)
    }
}
impl From<PublishId> for RequestId {
    fn from(id: PublishId) -> Self {
        RequestId::Publish(id)
    }
}
impl From<PlayId> for RequestId {
    fn from(id: PlayId) -> Self {
        RequestId::Play(id)
    }
}
impl From<CallId> for RequestId {
    fn from(id: CallId) -> Self {
        RequestId::Call(id)
    }
}

/// A message stream id: the `stream_id` field of the chunk header, allocated by `createStream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamId(pub u32);

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "stream {}", self.0)
    }
}

/// Why the application refused a request; becomes the `description` (and optionally the
/// `code`) of the `_error` or `onStatus` the peer receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Overrides the status code (e.g. [`StatusCode::PublishBadName`]); `None` uses the
    /// default for the request kind: `NetConnection.Connect.Rejected`,
    /// `NetStream.Publish.BadName`, `NetStream.Play.Failed` or `NetConnection.Call.Failed`.
    pub code: Option<StatusCode>,
    /// The human-readable reason the peer sees (and most clients log).
    pub description: String,
}

impl Rejection {
    /// A rejection with the default code for the request kind.
    pub fn new(description: impl Into<String>) -> Self {
        Rejection {
            code: None,
            description: description.into(),
        }
    }

    /// A rejection with an explicit status code: a [`StatusCode`], or its text.
    pub fn with_code(code: impl Into<StatusCode>, description: impl Into<String>) -> Self {
        Rejection {
            code: Some(code.into()),
            description: description.into(),
        }
    }
}

/// Allocates ids that are unique for the lifetime of one session.
#[derive(Debug, Default)]
pub(crate) struct IdSource(u64);

impl IdSource {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}
