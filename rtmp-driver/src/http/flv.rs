//! `GET /{app}/{stream}.flv`: HTTP-FLV playback, the same FLV tags a recorder writes, as
//! the response body, for browsers (mpegts.js, flv.js), ffplay and VLC.
//!
//! The body is a [`Subscriber`]: the stream's GOP cache first, then live frames through
//! the same lag policy as an RTMP player (a reader that stops reading loses inter frames,
//! then its response). Frames stay zero-copy: each tag goes out as a 15-byte head (the
//! previous tag's size and this tag's header) and the shared payload, and the tags that
//! are ready when hyper asks go out together as one body frame ([`Segments`]): one chunk
//! of the chunked response and one vectored write, as an RTMP player gets a run of frames.

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use hyper::body::{Body, Frame as BodyFrame};
use rtmp_proto::media::flv::{FLV_HEADER_LEN, FlvHeader, FlvTag};

use super::segments::Segments;
use crate::server::{Subscriber, SubscriptionEnd};

/// An HTTP-FLV response body; see the module docs.
#[derive(Debug)]
pub struct FlvBody {
    subscriber: Subscriber,
    started: bool,
    /// The size of the last tag sent (written before the next tag, and at the end).
    previous: u32,
    ended: bool,
    /// Where tag heads are written: one block serves a few hundred of them, so a tag costs
    /// no allocation of its own.
    heads: BytesMut,
}

/// A tag's head: the previous tag's size, then this tag's header.
const HEAD_LEN: usize = 4 + 11;

/// Room reserved for heads at a time.
const HEAD_BLOCK: usize = 4096;

/// Most tags in one body frame: two buffers each, plus the chunk's size line and its end,
/// within the 16 buffers hyper hands one vectored write.
const MAX_TAGS: usize = 7;

impl FlvBody {
    /// The body for `subscriber`'s stream.
    pub fn new(subscriber: Subscriber) -> Self {
        FlvBody {
            subscriber,
            started: false,
            previous: 0,
            ended: false,
            heads: BytesMut::new(),
        }
    }
}

impl FlvBody {
    /// Appends the next tag to `out`; `false` when none is ready (or the stream ended,
    /// which appends the last tag's size and sets `ended`).
    fn next_tag(&mut self, cx: &mut Context<'_>, out: &mut Segments) -> bool {
        loop {
            match self.subscriber.poll_next(cx) {
                Poll::Pending => return false,
                Poll::Ready(Err(end)) => {
                    if end != SubscriptionEnd::StreamEnded {
                        tracing::info!(stream = %self.subscriber.key(), reason = ?end,
                            "http-flv player ended");
                    }
                    self.ended = true;
                    out.push(Bytes::copy_from_slice(&self.previous.to_be_bytes()));
                    return false;
                }
                Poll::Ready(Ok(sub)) => {
                    let tag = FlvTag {
                        tag_type: sub.frame.flv_tag_type(),
                        timestamp: sub.timestamp,
                        stream_id: 0,
                        data: sub.frame.payload().clone(),
                    };
                    // A payload over the tag's 24-bit length cannot be relayed to start with.
                    let Ok(header) = tag.header_bytes() else {
                        continue;
                    };
                    if self.heads.capacity() - self.heads.len() < HEAD_LEN {
                        self.heads.reserve(HEAD_BLOCK);
                    }
                    self.heads.put_u32(self.previous);
                    self.heads.put_slice(&header);
                    out.push(self.heads.split().freeze());
                    self.previous = (header.len() + tag.data.len()) as u32;
                    out.push(tag.data);
                    return true;
                }
            }
        }
    }
}

impl Body for FlvBody {
    type Data = Segments;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<BodyFrame<Segments>, Infallible>>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        let mut out = Segments::default();
        if !this.started {
            this.started = true;
            let mut head = BytesMut::with_capacity(13);
            FlvHeader::new(true, true).write_to(&mut head);
            // `PreviousTagSize0` goes out in front of the first tag, like every other one.
            head.truncate(FLV_HEADER_LEN);
            out.push(head.freeze());
        }
        let mut tags = 0;
        while tags < MAX_TAGS && this.next_tag(cx, &mut out) {
            tags += 1;
        }
        if out.is_empty() {
            return Poll::Pending;
        }
        Poll::Ready(Some(Ok(BodyFrame::data(out))))
    }
}
