//! The status codes and levels of `onStatus`, `_result` and `_error` info objects (NOTES
//! 14-19), spelled once so sessions and tests cannot disagree on a letter.

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
