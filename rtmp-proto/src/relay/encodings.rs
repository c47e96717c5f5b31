//! [`Encodings`]: each relayed frame chunked once per group of players that receive the
//! same bytes.

use std::sync::Arc;

use bytes::Bytes;

use super::frame::Frame;
use crate::chunk::EncodedMessage;
use crate::session::StreamId;

/// What makes two players' chunks of a frame byte-identical: the message stream id, the
/// chunk size and the timestamp they get it with (see
/// [`EncodedMessage`](crate::chunk::EncodedMessage)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Group {
    frame: usize,
    stream: StreamId,
    chunk_size: u32,
    timestamp: u32,
}

/// The frames of one publisher read, chunked once per group of players (see
/// [`Frame::encode`]): the first player of a group pays for the chunking, every other one
/// gets a reference to the same bytes.
///
/// Use one per fan-out run: [`clear`](Self::clear) it, then for each player and frame the
/// policy accepts, [`get`](Self::get) the frame's chunks for that player and queue them
/// with `ServerSession::send_encoded`. Players of a relay usually form a single group (same
/// server chunk size, message stream 1, no timestamp offset), so lookups are a scan of a
/// few entries; players whose timestamps were rebased after a publisher's reconnect form
/// groups of their own.
#[derive(Default)]
pub struct Encodings {
    groups: Vec<(Group, EncodedMessage)>,
    wrap: Option<Wrap>,
}

/// What [`Encodings::with_wrap`] applies to every new encoding's chunks.
pub type Wrap = Arc<dyn Fn(Bytes) -> Bytes + Send + Sync>;

impl std::fmt::Debug for Encodings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encodings")
            .field("groups", &self.groups.len())
            .field("wrap", &self.wrap.is_some())
            .finish()
    }
}

impl Encodings {
    /// An empty set.
    pub fn new() -> Self {
        Encodings::default()
    }

    /// An empty set whose encodings' chunks go through `wrap` once, when made: a server
    /// counts them against a memory budget until the last player lets go
    /// (`Bytes::from_owner`). `wrap` must return the same bytes.
    pub fn with_wrap(wrap: Wrap) -> Self {
        Encodings {
            groups: Vec::new(),
            wrap: Some(wrap),
        }
    }

    /// Forgets the previous run's encodings (keeping the allocation).
    pub fn clear(&mut self) {
        self.groups.clear();
    }

    /// `frame` (number `index` of the run) chunked for a player on `stream` whose session
    /// cuts at `chunk_size`, sent with `timestamp`: encoded on the first request of its
    /// group, shared after. `None` when it cannot be encoded (a chunk size or length the
    /// wire cannot carry): send that player the frame itself.
    pub fn get(
        &mut self,
        index: usize,
        frame: &Frame,
        stream: StreamId,
        chunk_size: u32,
        timestamp: u32,
    ) -> Option<&EncodedMessage> {
        let group = Group {
            frame: index,
            stream,
            chunk_size,
            timestamp,
        };
        let at = match self.groups.iter().position(|(g, _)| *g == group) {
            Some(at) => at,
            None => {
                let mut encoded = frame.encode(stream, chunk_size, timestamp).ok()?;
                if let Some(wrap) = &self.wrap {
                    encoded = encoded.map_wire(|w| wrap(w));
                }
                self.groups.push((group, encoded));
                self.groups.len() - 1
            }
        };
        self.groups.get(at).map(|(_, e)| e)
    }

    /// How many encodings the run made so far: frames times groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Nothing encoded yet.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::session::{Media, MediaKind};

    fn frame(len: usize) -> Frame {
        Frame::media(Media {
            kind: MediaKind::Audio,
            timestamp: 20,
            payload: Bytes::from(vec![0xAF; len]),
        })
    }

    #[test]
    fn one_encoding_per_group() {
        let mut e = Encodings::new();
        let f = frame(5000);
        let s = StreamId(1);
        let a = e.get(0, &f, s, 4096, 20).unwrap().wire().clone();
        let b = e.get(0, &f, s, 4096, 20).unwrap().wire().clone();
        assert_eq!(a.as_ptr(), b.as_ptr(), "shared, not encoded again");
        assert_eq!(e.len(), 1);
        e.get(0, &f, StreamId(2), 4096, 20).unwrap();
        e.get(0, &f, s, 128, 20).unwrap();
        e.get(0, &f, s, 4096, 1020).unwrap();
        e.get(1, &f, s, 4096, 20).unwrap();
        assert_eq!(
            e.len(),
            5,
            "stream, chunk size, timestamp and frame make a group"
        );
        assert!(e.get(0, &f, s, 0, 20).is_none(), "invalid chunk size");
        e.clear();
        assert!(e.is_empty());
    }
}
