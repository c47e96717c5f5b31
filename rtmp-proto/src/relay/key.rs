//! Names: which stream, which connection, which player.

use std::fmt;

use crate::session::StreamId;

/// A stream of the registry: application and stream name, query strings stripped.
///
/// `rtmp://host/live?token=1/cam?key=2` and `rtmp://host/live/cam` name the same stream,
/// so credentials passed as query strings never split one stream into several.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    app: String,
    name: String,
}

impl StreamKey {
    /// The key of `name` in `app`; anything from a `?` on is dropped from both (the session
    /// already strips them, this makes keys from other sources agree).
    pub fn new(app: &str, name: &str) -> Self {
        StreamKey {
            app: strip_query(app).to_owned(),
            name: strip_query(name).to_owned(),
        }
    }

    /// The application name (`live` in `rtmp://host/live/cam`).
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The stream name (`cam` in `rtmp://host/live/cam`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.app, self.name)
    }
}

fn strip_query(s: &str) -> &str {
    s.split_once('?').map_or(s, |(head, _)| head)
}

/// One connection (publisher, player or both), allocated by
/// [`Registry::open_connection`](super::Registry::open_connection). Never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnId(pub u64);

/// One player: a connection and the message stream it plays on (a connection may play
/// several streams, each on its own [`StreamId`]). What the adapter needs to address
/// `send_media` and `end_stream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlayerRef {
    /// The player's connection.
    pub conn: ConnId,
    /// The message stream it plays on within that connection.
    pub stream: StreamId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_stripped() {
        let k = StreamKey::new("live?token=1", "cam?key=2&x=3");
        assert_eq!(k, StreamKey::new("live", "cam"));
        assert_eq!(k.to_string(), "live/cam");
        assert_ne!(
            StreamKey::new("live", "cam"),
            StreamKey::new("live", "cam2")
        );
        assert_ne!(StreamKey::new("live", "cam"), StreamKey::new("app2", "cam"));
    }
}
