//! The status codes and levels of `onStatus`, `_result` and `_error` info objects (NOTES
//! 14-19), spelled once so sessions and tests cannot disagree on a letter.
//!
//! The constants are the text; [`StatusLevel`] and [`StatusCode`] are the typed values both
//! sessions use: the server writes them into the statuses it sends (and a
//! [`Rejection`](crate::session::Rejection) names one), the client reports them in its
//! events.

/// `level` of a normal outcome.
pub const LEVEL_STATUS: &str = "status";
/// `level` of a failure.
pub const LEVEL_ERROR: &str = "error";
/// `level` of a warning.
pub const LEVEL_WARNING: &str = "warning";

/// connect accepted (NOTES 14).
pub const CONNECT_SUCCESS: &str = "NetConnection.Connect.Success";
/// connect refused, also used for redirects (NOTES 19).
pub const CONNECT_REJECTED: &str = "NetConnection.Connect.Rejected";
/// The connection was closed.
pub const CONNECT_CLOSED: &str = "NetConnection.Connect.Closed";
/// Enhanced RTMP: the server asks the client to reconnect (NOTES 25).
pub const CONNECT_RECONNECT_REQUEST: &str = "NetConnection.Connect.ReconnectRequest";
/// An unknown or failed call (NOTES 18).
pub const CALL_FAILED: &str = "NetConnection.Call.Failed";

/// publish accepted (NOTES 15).
pub const PUBLISH_START: &str = "NetStream.Publish.Start";
/// publish refused: the name is in use or not allowed (NOTES 15).
pub const PUBLISH_BAD_NAME: &str = "NetStream.Publish.BadName";
/// The publisher stopped.
pub const UNPUBLISH_SUCCESS: &str = "NetStream.Unpublish.Success";

/// play: the playlist was reset (NOTES 16).
pub const PLAY_RESET: &str = "NetStream.Play.Reset";
/// play started (NOTES 16).
pub const PLAY_START: &str = "NetStream.Play.Start";
/// play stopped (NOTES 17).
pub const PLAY_STOP: &str = "NetStream.Play.Stop";
/// The stream being played lost its publisher (NOTES 17).
pub const PLAY_UNPUBLISH_NOTIFY: &str = "NetStream.Play.UnpublishNotify";
/// The stream being played began being published.
pub const PLAY_PUBLISH_NOTIFY: &str = "NetStream.Play.PublishNotify";
/// play of a stream that does not exist.
pub const PLAY_STREAM_NOT_FOUND: &str = "NetStream.Play.StreamNotFound";
/// play failed for another reason.
pub const PLAY_FAILED: &str = "NetStream.Play.Failed";

/// pause(true) accepted (NOTES 17).
pub const PAUSE_NOTIFY: &str = "NetStream.Pause.Notify";
/// pause(false) accepted (NOTES 17).
pub const UNPAUSE_NOTIFY: &str = "NetStream.Unpause.Notify";
/// seek accepted.
pub const SEEK_NOTIFY: &str = "NetStream.Seek.Notify";

/// The `level` of an information object: how a peer rates an `onStatus`, `_result` or
/// `_error`.
///
/// Sessions send it ([`ServerSession`](crate::session::ServerSession) in every status it
/// writes) and report it ([`ClientEvent::Status`](crate::session::ClientEvent::Status)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusLevel {
    /// `status`: a normal outcome.
    Status,
    /// `warning`: something the peer should know, nothing failed.
    Warning,
    /// `error`: the operation failed.
    Error,
}

impl StatusLevel {
    /// The level as it is written on the wire: `status`, `warning` or `error`.
    pub const fn as_str(self) -> &'static str {
        match self {
            StatusLevel::Status => LEVEL_STATUS,
            StatusLevel::Warning => LEVEL_WARNING,
            StatusLevel::Error => LEVEL_ERROR,
        }
    }

    /// The level a peer wrote, ignoring ASCII case; `None` for any other word.
    pub fn parse(level: &str) -> Option<Self> {
        [
            StatusLevel::Status,
            StatusLevel::Warning,
            StatusLevel::Error,
        ]
        .into_iter()
        .find(|l| l.as_str().eq_ignore_ascii_case(level))
    }
}

impl std::fmt::Display for StatusLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! status_codes {
    ($($(#[$doc:meta])* $variant:ident => $code:expr,)*) => {
        /// The `code` of an information object (`NetStream.Play.Start`, ...): the
        /// well-known `NetConnection` and `NetStream` codes by name, any other code as the
        /// peer wrote it.
        ///
        /// Sessions send it (a [`Rejection`](crate::session::Rejection)'s code) and report
        /// it ([`ClientEvent::Status`](crate::session::ClientEvent::Status),
        /// [`StreamFailed`](crate::session::ClientEvent::StreamFailed),
        /// [`ConnectRejected`](crate::session::ClientEvent::ConnectRejected)). Build one
        /// from text with `From<&str>` / `From<String>` (or `parse`), which picks the named
        /// variant for a well-known code: two codes are equal when their text is, so
        /// `StatusCode::Other("NetStream.Play.Start".into())` still equals
        /// [`StatusCode::PlayStart`]. A code also compares equal to its text (`code ==
        /// "NetStream.Play.Start"`).
        #[derive(Debug, Clone)]
        #[non_exhaustive]
        pub enum StatusCode {
            $($(#[$doc])* $variant,)*
            /// Any other code, as the peer wrote it (application codes, vendor extensions).
            Other(String),
        }

        impl StatusCode {
            /// The code as it is written on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(StatusCode::$variant => $code,)*
                    StatusCode::Other(code) => code,
                }
            }

            /// The named variant for a well-known code.
            fn known(code: &str) -> Option<Self> {
                match code {
                    $(c if c == $code => Some(StatusCode::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

status_codes! {
    /// `NetConnection.Connect.Success`: connect accepted (NOTES 14).
    ConnectSuccess => CONNECT_SUCCESS,
    /// `NetConnection.Connect.Rejected`: connect refused, also for redirects (NOTES 19).
    ConnectRejected => CONNECT_REJECTED,
    /// `NetConnection.Connect.Closed`: the connection was closed.
    ConnectClosed => CONNECT_CLOSED,
    /// `NetConnection.Connect.Failed`: the connection attempt failed.
    ConnectFailed => "NetConnection.Connect.Failed",
    /// `NetConnection.Connect.InvalidApp`: the application name is not known.
    ConnectInvalidApp => "NetConnection.Connect.InvalidApp",
    /// `NetConnection.Connect.AppShutdown`: the application is shutting down.
    ConnectAppShutdown => "NetConnection.Connect.AppShutdown",
    /// `NetConnection.Connect.IdleTimeout`: the server closed an idle connection.
    ConnectIdleTimeout => "NetConnection.Connect.IdleTimeout",
    /// `NetConnection.Connect.ReconnectRequest`: Enhanced RTMP, the server asks the client
    /// to reconnect (NOTES 25).
    ConnectReconnectRequest => CONNECT_RECONNECT_REQUEST,
    /// `NetConnection.Call.Failed`: an unknown or failed call (NOTES 18).
    CallFailed => CALL_FAILED,
    /// `NetConnection.Call.BadVersion`: a packet the server could not understand.
    CallBadVersion => "NetConnection.Call.BadVersion",
    /// `NetConnection.Call.Prohibited`: the call is not allowed.
    CallProhibited => "NetConnection.Call.Prohibited",
    /// `NetStream.Create.Failed`: `createStream` refused (too many streams).
    CreateFailed => "NetStream.Create.Failed",
    /// `NetStream.Failed`: a stream operation failed for another reason.
    Failed => "NetStream.Failed",
    /// `NetStream.Publish.Start`: publish accepted (NOTES 15).
    PublishStart => PUBLISH_START,
    /// `NetStream.Publish.BadName`: publish refused, the name is in use or not allowed
    /// (NOTES 15).
    PublishBadName => PUBLISH_BAD_NAME,
    /// `NetStream.Publish.BadConnection`: publish on a stream that is not idle.
    PublishBadConnection => "NetStream.Publish.BadConnection",
    /// `NetStream.Publish.Idle`: the publisher has been idle too long.
    PublishIdle => "NetStream.Publish.Idle",
    /// `NetStream.Unpublish.Success`: the publisher stopped.
    UnpublishSuccess => UNPUBLISH_SUCCESS,
    /// `NetStream.Play.Start`: play started (NOTES 16).
    PlayStart => PLAY_START,
    /// `NetStream.Play.Reset`: the playlist was reset (NOTES 16).
    PlayReset => PLAY_RESET,
    /// `NetStream.Play.Stop`: play stopped (NOTES 17).
    PlayStop => PLAY_STOP,
    /// `NetStream.Play.Failed`: play failed for a reason without its own code.
    PlayFailed => PLAY_FAILED,
    /// `NetStream.Play.StreamNotFound`: play of a stream that does not exist.
    PlayStreamNotFound => PLAY_STREAM_NOT_FOUND,
    /// `NetStream.Play.PublishNotify`: the stream being played began being published.
    PlayPublishNotify => PLAY_PUBLISH_NOTIFY,
    /// `NetStream.Play.UnpublishNotify`: the stream being played lost its publisher
    /// (NOTES 17).
    PlayUnpublishNotify => PLAY_UNPUBLISH_NOTIFY,
    /// `NetStream.Play.InsufficientBW`: the client's bandwidth is too low for the data.
    PlayInsufficientBw => "NetStream.Play.InsufficientBW",
    /// `NetStream.Play.Complete`: playback of a recorded stream reached its end.
    PlayComplete => "NetStream.Play.Complete",
    /// `NetStream.Play.Switch`: playback switched from one stream to another.
    PlaySwitch => "NetStream.Play.Switch",
    /// `NetStream.Play.Transition`: a stream switch the client asked for is under way.
    PlayTransition => "NetStream.Play.Transition",
    /// `NetStream.Pause.Notify`: pause(true) accepted (NOTES 17).
    PauseNotify => PAUSE_NOTIFY,
    /// `NetStream.Unpause.Notify`: pause(false) accepted (NOTES 17).
    UnpauseNotify => UNPAUSE_NOTIFY,
    /// `NetStream.Seek.Notify`: seek accepted.
    SeekNotify => SEEK_NOTIFY,
    /// `NetStream.Seek.Failed`: the stream cannot seek.
    SeekFailed => "NetStream.Seek.Failed",
    /// `NetStream.Seek.InvalidTime`: seek beyond the data received so far.
    SeekInvalidTime => "NetStream.Seek.InvalidTime",
    /// `NetStream.Record.Start`: recording started.
    RecordStart => "NetStream.Record.Start",
    /// `NetStream.Record.Stop`: recording stopped.
    RecordStop => "NetStream.Record.Stop",
    /// `NetStream.Record.Failed`: recording failed.
    RecordFailed => "NetStream.Record.Failed",
    /// `NetStream.Record.NoAccess`: recording a stream that is playing or not allowed.
    RecordNoAccess => "NetStream.Record.NoAccess",
    /// `NetStream.Data.Start`: data messages follow (sent by some servers on play).
    DataStart => "NetStream.Data.Start",
}

impl PartialEq for StatusCode {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for StatusCode {}

impl std::hash::Hash for StatusCode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialEq<str> for StatusCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for StatusCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl From<&str> for StatusCode {
    fn from(code: &str) -> Self {
        StatusCode::known(code).unwrap_or_else(|| StatusCode::Other(code.to_owned()))
    }
}

impl From<String> for StatusCode {
    fn from(code: String) -> Self {
        StatusCode::known(&code).unwrap_or(StatusCode::Other(code))
    }
}

impl std::str::FromStr for StatusCode {
    type Err = std::convert::Infallible;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Ok(code.into())
    }
}

impl AsRef<str> for StatusCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::fmt::Display for StatusCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_codes_get_their_variant_and_others_are_kept() {
        assert_eq!(StatusCode::from(PLAY_START), StatusCode::PlayStart);
        assert!(matches!(
            StatusCode::from("NetStream.Play.Start".to_owned()),
            StatusCode::PlayStart
        ));
        let other = StatusCode::from("App.Custom.Thing");
        assert_eq!(other, StatusCode::Other("App.Custom.Thing".into()));
        assert_eq!(other.as_str(), "App.Custom.Thing");
        // Equality is on the text, whichever way the code was built.
        assert_eq!(
            StatusCode::Other(PUBLISH_BAD_NAME.into()),
            StatusCode::PublishBadName
        );
        assert_eq!(StatusCode::SeekNotify, "NetStream.Seek.Notify");
        assert_eq!(
            StatusCode::PlayInsufficientBw.to_string(),
            "NetStream.Play.InsufficientBW"
        );
    }

    #[test]
    fn levels_parse_without_regard_to_case() {
        assert_eq!(StatusLevel::parse("status"), Some(StatusLevel::Status));
        assert_eq!(StatusLevel::parse("Warning"), Some(StatusLevel::Warning));
        assert_eq!(StatusLevel::parse("ERROR"), Some(StatusLevel::Error));
        assert_eq!(StatusLevel::parse("fatal"), None);
        assert_eq!(StatusLevel::Error.as_str(), LEVEL_ERROR);
    }
}
