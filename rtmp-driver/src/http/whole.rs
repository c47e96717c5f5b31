//! [`Whole`]: a response body known in full (a page, a JSON document, an error), in the
//! server's body type, with its exact length, so hyper sends a `Content-Length` rather than
//! chunks.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use super::segments::Segments;

/// See the module docs.
#[derive(Debug)]
pub struct Whole(Option<Bytes>);

impl Whole {
    /// The body `bytes`.
    pub fn new(bytes: Bytes) -> Self {
        Whole(Some(bytes).filter(|b| !b.is_empty()))
    }
}

impl Body for Whole {
    type Data = Segments;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Segments>, Infallible>>> {
        Poll::Ready(self.0.take().map(|b| Ok(Frame::data(Segments::one(b)))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.0.as_ref().map_or(0, |b| b.len() as u64))
    }
}
