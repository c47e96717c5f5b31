//! Splitting outbound messages into chunks, one chunk at a time.
//!
//! The session interleaves messages at chunk granularity (an acknowledgement can slip
//! between the chunks of a large keyframe) and may drop a queued frame that has not started.
//! So a message is first wrapped in an [`OutboundMessage`], which costs nothing and touches
//! no state, and its chunks are produced by [`ChunkEncoder::next_chunk`]. The header
//! compression of a message is decided when its first chunk is produced, against the last
//! header actually emitted on that csid, so dropping an unstarted message never leaves the
//! peer's idea of the previous header out of step with ours.

use std::ops::Range;

use bytes::{BufMut, Bytes, BytesMut};
use smallvec::SmallVec;

use super::header::{
    self, DEFAULT_CHUNK_SIZE, FMT_CONTINUE, FMT_DELTA_ONLY, FMT_FULL, FMT_NO_STREAM, HeaderBytes,
    MAX_CHUNK_SIZE, MAX_CSID, MAX_HEADER_LEN, MAX_WIRE_MESSAGE_LEN, MIN_CSID,
};
use crate::error::UsageError;
use crate::message::{MessageType, RawMessage};

/// How much header scratch space to reserve at a time: one allocation serves hundreds of
/// chunk headers.
const HEADER_SCRATCH: usize = 4096;

/// Splits messages into chunks and compresses their headers.
#[derive(Debug)]
pub struct ChunkEncoder {
    chunk_size: u32,
    /// The last header emitted on each csid. The caller chooses the csids, and a session
    /// uses a handful, so a linear scan is the fastest lookup; they are kept inline because
    /// a relay touches this table for every player and frame, and a separate heap buffer
    /// would be one more cold cache line each time.
    streams: SmallVec<[OutStream; STREAMS_INLINE]>,
}

/// Csids whose last headers are kept inline: a session's five (control, command, audio,
/// data, video).
const STREAMS_INLINE: usize = 5;

/// The last message header emitted on one csid.
#[derive(Debug)]
struct OutStream {
    csid: u32,
    timestamp: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    delta: u32,
    /// Whether a fmt 3 header may start a new message that repeats `delta`. False right
    /// after a fmt 0 header: peers disagree on what "the previous delta" is then.
    delta_repeatable: bool,
}

/// A message on its way out, split into chunks by [`ChunkEncoder::next_chunk`].
///
/// Until its first chunk is produced it can be dropped freely. Once started, the rest of its
/// chunks must follow on the wire (interleaving other csids is fine), or the peer must be
/// sent an Abort for its csid. Only one message may be in progress per csid.
#[derive(Debug, Clone)]
pub struct OutboundMessage {
    progress: Progress,
    message: RawMessage,
}

/// How far a message's chunking has got; kept apart from the message so that
/// [`ChunkEncoder::encode_message`] can chunk a borrowed message without cloning it.
#[derive(Debug, Clone, Copy)]
struct Progress {
    csid: u32,
    /// Payload bytes already produced.
    sent: usize,
    started: bool,
    /// The extended timestamp of the first chunk's header, repeated on every continuation
    /// chunk (item 3).
    extended: Option<u32>,
}

impl Progress {
    fn new(csid: u32) -> Self {
        Progress {
            csid,
            sent: 0,
            started: false,
            extended: None,
        }
    }

    fn is_finished(&self, m: &RawMessage) -> bool {
        self.started && self.sent == m.payload.len()
    }
}

impl OutboundMessage {
    /// The chunk stream id the message goes out on.
    pub fn csid(&self) -> u32 {
        self.progress.csid
    }

    /// The message being sent.
    pub fn message(&self) -> &RawMessage {
        &self.message
    }

    /// Whether its first chunk has been produced.
    pub fn is_started(&self) -> bool {
        self.progress.started
    }

    /// Whether every chunk has been produced.
    pub fn is_finished(&self) -> bool {
        self.progress.is_finished(&self.message)
    }

    /// Payload bytes not yet produced.
    pub fn remaining_payload(&self) -> usize {
        self.message.payload.len() - self.progress.sent
    }
}

impl Default for ChunkEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkEncoder {
    /// An encoder at the default chunk size of 128.
    pub fn new() -> Self {
        ChunkEncoder {
            chunk_size: DEFAULT_CHUNK_SIZE,
            streams: SmallVec::new(),
        }
    }

    /// The chunk size the next chunk will be cut at.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Sets the size chunks are cut at from the next chunk produced, including the remaining
    /// chunks of messages already started: that is how the peer reads them (item 4).
    ///
    /// Sending a Set Chunk Size message (type 1, stream 0) through this encoder applies it
    /// automatically right after its last chunk, so a session need not call this.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), UsageError> {
        if size == 0 || size > MAX_CHUNK_SIZE {
            return Err(UsageError::InvalidArgument(
                "chunk size must be in 1..=0x7FFFFFFF",
            ));
        }
        self.chunk_size = size;
        Ok(())
    }

    /// Wraps `message` for sending on chunk stream `csid`. Cheap (one reference count) and
    /// stateless: nothing is decided until [`ChunkEncoder::next_chunk`].
    pub fn begin(&self, csid: u32, message: &RawMessage) -> Result<OutboundMessage, UsageError> {
        check(csid, message)?;
        Ok(OutboundMessage {
            progress: Progress::new(csid),
            message: message.clone(),
        })
    }

    /// [`begin`](Self::begin) for a message the caller gives up: moved in, not cloned. A
    /// payload fresh from an encoder is a uniquely owned `Bytes`, whose first clone costs
    /// an allocation (the shared header), so a queue that owns its messages should use this.
    pub fn begin_owned(
        &self,
        csid: u32,
        message: RawMessage,
    ) -> Result<OutboundMessage, UsageError> {
        check(csid, &message)?;
        Ok(OutboundMessage {
            progress: Progress::new(csid),
            message,
        })
    }

    /// Produces the next chunk of `msg` as a header and a zero-copy slice of its payload,
    /// or `None` when every chunk has been produced.
    ///
    /// A header longer than one byte is written into `headers`, a scratch buffer the caller
    /// keeps between calls, and split off it, so steady-state chunking does not allocate;
    /// one-byte headers (most continuation chunks) are static. Anything the caller left in
    /// `headers` is returned in front of a multi-byte header.
    ///
    /// Call whenever the writer can take another chunk of this message, until it returns
    /// `None`; write the header, then the payload slice. Chunks of messages on other csids
    /// may go out in between, which is how a large video frame lets commands through.
    pub fn next_chunk(
        &mut self,
        msg: &mut OutboundMessage,
        headers: &mut BytesMut,
    ) -> Option<(Bytes, Bytes)> {
        if msg.is_finished() {
            return None;
        }
        // Built in place and read back byte-sized: moving a freshly byte-written struct by
        // value costs a store-forwarding stall per chunk.
        let mut h = HeaderBytes::new();
        let range = self.chunk_header(&mut msg.progress, &msg.message, &mut h);
        let header = match h.as_slice() {
            [b] if headers.is_empty() => header::one_byte_header(*b),
            bytes => {
                if headers.capacity() - headers.len() < MAX_HEADER_LEN {
                    headers.reserve(HEADER_SCRATCH);
                }
                headers.extend_from_slice(bytes);
                headers.split().freeze()
            }
        };
        Some((header, msg.message.payload.slice(range)))
    }

    /// Appends the next chunk of `msg` to `out`, header and payload copied, and returns
    /// `false` when every chunk has been produced.
    ///
    /// The copying twin of [`ChunkEncoder::next_chunk`]: below a few hundred bytes a copy is
    /// cheaper than a reference-counted slice, so a session can copy small chunks into its
    /// write buffer and slice large ones.
    pub fn next_chunk_into(&mut self, msg: &mut OutboundMessage, out: &mut BytesMut) -> bool {
        self.copy_chunk(&mut msg.progress, &msg.message, out)
    }

    /// Appends all chunks of `message` to `out`, copying the payload: the simple form for
    /// tests, tools and small messages.
    pub fn encode_message(
        &mut self,
        csid: u32,
        message: &RawMessage,
        out: &mut BytesMut,
    ) -> Result<(), UsageError> {
        check(csid, message)?;
        let mut progress = Progress::new(csid);
        while self.copy_chunk(&mut progress, message, out) {}
        Ok(())
    }

    fn copy_chunk(&mut self, p: &mut Progress, m: &RawMessage, out: &mut BytesMut) -> bool {
        if p.is_finished(m) {
            return false;
        }
        let mut h = HeaderBytes::new();
        let range = self.chunk_header(p, m, &mut h);
        let payload = m.payload.get(range).unwrap_or_default();
        out.reserve(h.as_slice().len() + payload.len());
        match h.as_slice() {
            // A byte store, not a `memcpy` call: most chunks have a one-byte header.
            [b] => out.put_u8(*b),
            bytes => out.extend_from_slice(bytes),
        }
        out.extend_from_slice(payload);
        true
    }

    /// Appends the next chunk header of `m` to `out`, advances `p`, and returns the payload
    /// range the chunk carries.
    #[inline]
    fn chunk_header(
        &mut self,
        p: &mut Progress,
        m: &RawMessage,
        out: &mut HeaderBytes,
    ) -> Range<usize> {
        if p.started {
            header::write_basic(FMT_CONTINUE, p.csid, out);
            if let Some(ext) = p.extended {
                header::write_extended(ext, out);
            }
        } else {
            // `check` made sure the length fits 24 bits.
            let length = m.payload.len() as u32;
            let (fmt, ts_value) = self.compress(p.csid, m, length);
            header::write_basic(fmt, p.csid, out);
            header::write_message_header(fmt, ts_value, length, m.type_id, m.stream_id, out);
            if header::needs_extended(ts_value) {
                header::write_extended(ts_value, out);
                p.extended = Some(ts_value);
            }
            p.started = true;
        }
        let start = p.sent;
        p.sent += (m.payload.len() - p.sent).min(self.chunk_size as usize);
        if p.is_finished(m) {
            self.finished(m);
        }
        start..p.sent
    }

    /// Records that `m` went out on `csid` with a full (fmt 0) first header written
    /// elsewhere (an [`EncodedMessage`](super::EncodedMessage)), so the next message on
    /// that csid is compressed against what the peer really has.
    pub(crate) fn record_full(&mut self, csid: u32, m: &RawMessage) {
        let state = OutStream {
            csid,
            timestamp: m.timestamp,
            length: m.payload.len() as u32,
            type_id: m.type_id,
            stream_id: m.stream_id,
            delta: m.timestamp,
            delta_repeatable: false,
        };
        match self.streams.iter_mut().find(|s| s.csid == csid) {
            Some(s) => *s = state,
            None => self.streams.push(state),
        }
    }

    /// Picks the smallest header format for `m` against the last header emitted on `csid`
    /// (item 2), records `m` as that last header, and returns the format and the value of
    /// its timestamp field (absolute for fmt 0, a delta otherwise).
    fn compress(&mut self, csid: u32, m: &RawMessage, length: u32) -> (u8, u32) {
        let Some(s) = self.streams.iter_mut().find(|s| s.csid == csid) else {
            self.streams.push(OutStream {
                csid,
                timestamp: m.timestamp,
                length,
                type_id: m.type_id,
                stream_id: m.stream_id,
                delta: m.timestamp,
                delta_repeatable: false,
            });
            return (FMT_FULL, m.timestamp);
        };
        let (fmt, ts_value) = if m.stream_id != s.stream_id || m.timestamp < s.timestamp {
            (FMT_FULL, m.timestamp)
        } else {
            let delta = m.timestamp - s.timestamp;
            let fmt = if length != s.length || m.type_id != s.type_id {
                FMT_NO_STREAM
            } else if s.delta_repeatable && delta == s.delta {
                FMT_CONTINUE
            } else {
                FMT_DELTA_ONLY
            };
            (fmt, delta)
        };
        s.timestamp = m.timestamp;
        s.length = length;
        s.type_id = m.type_id;
        s.stream_id = m.stream_id;
        s.delta = ts_value;
        s.delta_repeatable = fmt != FMT_FULL;
        (fmt, ts_value)
    }

    /// A Set Chunk Size we sent takes effect for our next chunk, as the peer reads it.
    fn finished(&mut self, m: &RawMessage) {
        if m.stream_id == 0
            && m.type_id == MessageType::SetChunkSize.id()
            && let Some(size) = header::be32(&m.payload)
        {
            // An invalid size is the caller's own mistake; the peer will reject it, and
            // keeping our size leaves our side consistent.
            let _ = self.set_chunk_size(size);
        }
    }
}

/// What the wire can carry: a csid in 2..=65599 and a 24-bit length.
fn check(csid: u32, message: &RawMessage) -> Result<(), UsageError> {
    if !(MIN_CSID..=MAX_CSID).contains(&csid) {
        return Err(UsageError::InvalidArgument(
            "chunk stream id must be in 2..=65599",
        ));
    }
    if message.payload.len() > MAX_WIRE_MESSAGE_LEN as usize {
        return Err(UsageError::InvalidArgument(
            "message longer than 0xFFFFFF bytes",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt_of(enc: &mut ChunkEncoder, csid: u32, ts: u32, len: usize, type_id: u8, sid: u32) -> u8 {
        let m = RawMessage {
            timestamp: ts,
            type_id,
            stream_id: sid,
            payload: vec![0; len].into(),
        };
        let mut out = BytesMut::new();
        enc.encode_message(csid, &m, &mut out).unwrap();
        out[0] >> 6
    }

    /// RTMP-NOTES item 2: the format follows the last header emitted on the csid.
    #[test]
    fn item2_format_choice() {
        let mut enc = ChunkEncoder::new();
        assert_eq!(
            fmt_of(&mut enc, 4, 100, 10, 8, 1),
            FMT_FULL,
            "first on csid"
        );
        assert_eq!(
            fmt_of(&mut enc, 4, 110, 10, 8, 1),
            FMT_DELTA_ONLY,
            "not after fmt 0"
        );
        assert_eq!(
            fmt_of(&mut enc, 4, 120, 10, 8, 1),
            FMT_CONTINUE,
            "same delta"
        );
        assert_eq!(
            fmt_of(&mut enc, 4, 125, 10, 8, 1),
            FMT_DELTA_ONLY,
            "new delta"
        );
        assert_eq!(
            fmt_of(&mut enc, 4, 130, 11, 8, 1),
            FMT_NO_STREAM,
            "new length"
        );
        assert_eq!(
            fmt_of(&mut enc, 4, 135, 11, 9, 1),
            FMT_NO_STREAM,
            "new type"
        );
        assert_eq!(
            fmt_of(&mut enc, 4, 140, 11, 9, 2),
            FMT_FULL,
            "new stream id"
        );
        assert_eq!(fmt_of(&mut enc, 4, 139, 11, 9, 2), FMT_FULL, "backwards");
        assert_eq!(fmt_of(&mut enc, 5, 139, 11, 9, 2), FMT_FULL, "other csid");
        assert_eq!(
            fmt_of(&mut enc, 4, 139, 11, 9, 2),
            FMT_DELTA_ONLY,
            "zero delta"
        );
        assert_eq!(
            fmt_of(&mut enc, 4, 139, 11, 9, 2),
            FMT_CONTINUE,
            "zero delta again"
        );
    }

    /// Item 4: sending Set Chunk Size switches our chunk size after its last chunk.
    #[test]
    fn item4_sent_set_chunk_size_applies() {
        let mut enc = ChunkEncoder::new();
        let scs = |size: u32| RawMessage {
            timestamp: 0,
            type_id: 1,
            stream_id: 0,
            payload: size.to_be_bytes().to_vec().into(),
        };
        let mut out = BytesMut::new();
        enc.encode_message(2, &scs(60000), &mut out).unwrap();
        assert_eq!(enc.chunk_size(), 60000);
        // Invalid sizes are not applied.
        enc.encode_message(2, &scs(0), &mut out).unwrap();
        assert_eq!(enc.chunk_size(), 60000);
        // The same type on another stream id is not protocol control.
        let mut other = scs(99);
        other.stream_id = 1;
        enc.encode_message(2, &other, &mut out).unwrap();
        assert_eq!(enc.chunk_size(), 60000);
    }
}
