//! The ordered URLs of one stream: the primary first, then its backups.

use super::error::PolicyError;
use super::url::RtmpUrl;

/// A non-empty, ordered failover list. A round tries every URL in order; after the last
/// one fails the [`Reconnector`](super::Reconnector) waits and starts again at the primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failover {
    urls: Vec<RtmpUrl>,
}

impl Failover {
    /// `urls[0]` is the primary. Fails on an empty list.
    pub fn new(urls: Vec<RtmpUrl>) -> Result<Self, PolicyError> {
        if urls.is_empty() {
            return Err(PolicyError::NoUrls);
        }
        Ok(Failover { urls })
    }

    /// A list with only a primary.
    pub fn single(url: RtmpUrl) -> Self {
        Failover { urls: vec![url] }
    }

    /// The first URL, where every round starts.
    pub fn primary(&self) -> &RtmpUrl {
        // Invariant: `new` refuses an empty list and nothing removes entries.
        self.urls.first().expect("failover list is never empty")
    }

    /// The URL at `index` (a [`Next::RetryAt`](super::Next::RetryAt) `url_index`).
    pub fn get(&self, index: usize) -> Option<&RtmpUrl> {
        self.urls.get(index)
    }

    /// Every URL, primary first.
    pub fn urls(&self) -> &[RtmpUrl] {
        &self.urls
    }

    /// How many URLs a round tries; at least 1.
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// Always false; present for API symmetry with `len`.
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }

    /// The URL to try after `index` fails within the same round, or `None` after the last.
    pub fn after(&self, index: usize) -> Option<usize> {
        let next = index.checked_add(1)?;
        (next < self.urls.len()).then_some(next)
    }
}
