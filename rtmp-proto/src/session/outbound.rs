//! The outbound queue: messages waiting to be cut into chunks.
//!
//! Messages are split into chunks only when polled, one chunk per step, so
//! - a control or command message slips in between the chunks of a large keyframe;
//! - a queued droppable frame can be discarded before its first chunk, and header
//!   compression stays correct because the encoder compares against headers actually emitted;
//! - a payload `Bytes` is sliced, never copied: one frame sent to N players costs N
//!   reference-count bumps.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use smallvec::SmallVec;

use crate::chunk::{
    ChunkEncoder, DEFAULT_CHUNK_SIZE, EncodedMessage, MAX_HEADER_LEN, OutboundMessage,
};
use crate::message::RawMessage;

/// Chunk stream ids we send on. One per kind of traffic, so a large video message on its
/// csid never blocks a command or an audio frame on theirs.
pub(crate) mod csid {
    pub(crate) const CONTROL: u32 = 2;
    pub(crate) const COMMAND: u32 = 3;
    pub(crate) const AUDIO: u32 = 4;
    pub(crate) const DATA: u32 = 5;
    pub(crate) const VIDEO: u32 = 6;
}

/// Payloads up to this size are copied next to their chunk header so the peer gets one
/// segment instead of two; larger ones are sliced.
const COALESCE_MAX: usize = 128;

/// Small priority chunks are gathered into one segment up to about this many bytes.
const COALESCE_SEGMENT: usize = 4096;

/// How much scratch room to reserve at a time for small chunks: the whole setup exchange
/// (control messages, `_result`s, `onStatus`) fits in one block.
const SCRATCH_BLOCK: usize = 1024;

/// Shared chunks committed at once while nothing else is queued (see
/// [`Outbound::push_encoded`]): a relayed run is a video frame and an audio frame or two.
/// Kept inline in the session, whose lines the delivery touches anyway, because a queue's
/// heap buffer is one more cold cache line per player and frame in a fan-out.
const COMMITTED_INLINE: usize = 4;

/// The largest payload the 24-bit length field of a chunk header can carry.
pub(crate) const MAX_PAYLOAD: usize = 0xFF_FFFF;

/// What [`Outbound::step`] produced.
enum Step {
    /// A small chunk, appended to the scratch buffer.
    Small,
    /// The header of a large chunk (after any scratch bytes); its payload is next.
    Large(Bytes),
    /// Nothing: the lane's message was already complete.
    Done,
}

#[derive(Debug)]
struct Queued {
    csid: u32,
    message: RawMessage,
    droppable: bool,
    /// Already chunked at this chunk size ([`EncodedMessage`]): written as it is when our
    /// encoder cuts at that size, else chunked here like any message.
    encoded: Option<(u32, Bytes)>,
}

/// Two FIFO lanes: `priority` (protocol control and commands) and `media`. Each poll emits
/// one chunk, from the priority lane whenever it has one ready.
#[derive(Debug)]
pub(crate) struct Outbound {
    encoder: ChunkEncoder,
    /// Bytes sent verbatim before any chunk (the handshake).
    raw: VecDeque<Bytes>,
    priority: VecDeque<Queued>,
    media: VecDeque<Queued>,
    priority_flight: Option<OutboundMessage>,
    media_flight: Option<OutboundMessage>,
    /// The payload part of a chunk whose header was just returned: out before anything else.
    payload_next: Option<Bytes>,
    /// Shared chunks queued while nothing else was (see [`Outbound::push_encoded`]), with
    /// their payload bytes (still counted as queued): out next, in order.
    committed: SmallVec<[(Bytes, usize); COMMITTED_INLINE]>,
    scratch: BytesMut,
    queued_bytes: usize,
    /// The chunk size of the last Set Chunk Size queued: what media queued now is cut at.
    chunk_size: u32,
}

impl Outbound {
    pub(crate) fn new() -> Self {
        Outbound {
            encoder: ChunkEncoder::new(),
            raw: VecDeque::new(),
            priority: VecDeque::new(),
            media: VecDeque::new(),
            priority_flight: None,
            media_flight: None,
            payload_next: None,
            committed: SmallVec::new(),
            scratch: BytesMut::new(),
            queued_bytes: 0,
            chunk_size: DEFAULT_CHUNK_SIZE,
        }
    }

    /// Nothing queued, in flight or half-written but shared chunks committed at once, and
    /// room for one more of those.
    fn can_commit(&self) -> bool {
        self.committed.len() < COMMITTED_INLINE
            && self.payload_next.is_none()
            && self.raw.is_empty()
            && self.priority.is_empty()
            && self.media.is_empty()
            && self.priority_flight.is_none()
            && self.media_flight.is_none()
            && self.scratch.is_empty()
    }

    pub(crate) fn push_raw(&mut self, bytes: Bytes) {
        self.queued_bytes += bytes.len();
        self.raw.push_back(bytes);
    }

    /// Queues a control or command message. A Set Chunk Size among them switches our
    /// encoder once its last chunk is out (the chunk encoder does that itself).
    pub(crate) fn push_priority(&mut self, csid: u32, message: RawMessage) {
        self.queued_bytes += message.payload.len();
        self.priority.push_back(Queued {
            csid,
            message,
            droppable: false,
            encoded: None,
        });
    }

    /// Queues media (or a data message that must stay in order with media). The caller
    /// checked the payload against [`MAX_PAYLOAD`].
    pub(crate) fn push_media(&mut self, csid: u32, message: RawMessage, droppable: bool) {
        self.queued_bytes += message.payload.len();
        self.media.push_back(Queued {
            csid,
            message,
            droppable,
            encoded: None,
        });
    }

    /// Queues media chunked once for many sessions: written as one segment, without
    /// chunking, when it reaches the wire at the chunk size it was cut at.
    ///
    /// When nothing else is queued or in flight (a player keeping up), the chunks are
    /// committed at once, up to a run of [`COMMITTED_INLINE`] messages: the next polls
    /// return them, as if their message were in flight. That skips the queue's bookkeeping
    /// (and its heap buffer) for the common case; such a message can no longer be
    /// discarded, like any message that started.
    pub(crate) fn push_encoded(&mut self, encoded: &EncodedMessage, droppable: bool) {
        let len = encoded.message().payload.len();
        self.queued_bytes += len;
        if self.can_commit() && encoded.chunk_size() == self.encoder.chunk_size() {
            self.encoder.record_full(encoded.csid(), encoded.message());
            self.committed.push((encoded.wire().clone(), len));
            return;
        }
        self.media.push_back(Queued {
            csid: encoded.csid(),
            message: encoded.message().clone(),
            droppable,
            encoded: Some((encoded.chunk_size(), encoded.wire().clone())),
        });
    }

    /// The chunk size media queued now will be cut at (the last one queued to the peer).
    pub(crate) fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Queues our Set Chunk Size; every chunk after it is cut at the new size.
    pub(crate) fn set_chunk_size(&mut self, size: u32) -> Result<(), crate::UsageError> {
        if size == 0 || size > 0x7FFF_FFFF {
            return Err(crate::UsageError::InvalidArgument(
                "chunk size must be in 1..=0x7FFFFFFF",
            ));
        }
        self.push_priority(csid::CONTROL, super::wire::set_chunk_size(size));
        self.chunk_size = size;
        Ok(())
    }

    /// Payload bytes queued and not yet handed out (chunk headers not counted).
    pub(crate) fn pending_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Drops every queued droppable message whose first chunk has not been sent.
    /// Returns how many were dropped.
    pub(crate) fn discard_droppable(&mut self) -> usize {
        let before = self.media.len();
        let mut freed = 0;
        self.media.retain(|q| {
            if q.droppable {
                freed += q.message.payload.len();
            }
            !q.droppable
        });
        self.queued_bytes -= freed;
        before - self.media.len()
    }

    /// The next segment to write: a chunk header (with its payload when small), or the
    /// payload slice that follows a header. Consecutive small chunks of the priority lane
    /// (control messages, commands) go out as one segment, up to [`COALESCE_SEGMENT`]
    /// bytes: a setup reply burst is one or two segments instead of a dozen. Media chunks
    /// still leave one per poll, so a queued droppable frame stays discardable.
    pub(crate) fn poll_transmit(&mut self) -> Option<Bytes> {
        if let Some(p) = self.payload_next.take() {
            return Some(p);
        }
        if !self.committed.is_empty() {
            let (wire, len) = self.committed.remove(0);
            self.queued_bytes -= len;
            return Some(wire);
        }
        if let Some(raw) = self.raw.pop_front() {
            self.queued_bytes -= raw.len();
            return Some(raw);
        }
        while self.scratch.len() < COALESCE_SEGMENT {
            if self.priority_flight.is_none() {
                let Some(q) = self.priority.pop_front() else {
                    break;
                };
                self.priority_flight = self.begin(q);
            }
            match self.step(true) {
                // The header carries the small chunks gathered before it.
                Step::Large(header) => return Some(header),
                Step::Small | Step::Done => {}
            }
        }
        if !self.scratch.is_empty() {
            return Some(self.scratch.split().freeze());
        }
        loop {
            if self.media_flight.is_none() {
                let Some(q) = self.media.pop_front() else {
                    break;
                };
                match q.encoded {
                    Some((size, wire)) if size == self.encoder.chunk_size() => {
                        self.encoder.record_full(q.csid, &q.message);
                        self.queued_bytes -= q.message.payload.len();
                        return Some(wire);
                    }
                    _ => self.media_flight = self.begin(q),
                }
            }
            match self.step(false) {
                Step::Large(header) => return Some(header),
                Step::Small => return Some(self.scratch.split().freeze()),
                Step::Done => {}
            }
        }
        // Everything is out: give back the header scratch so an idle connection holds no
        // buffer (a busy one refills it once per burst, not per chunk).
        if self.scratch.capacity() > 0 {
            self.scratch = BytesMut::new();
        }
        None
    }

    fn begin(&mut self, q: Queued) -> Option<OutboundMessage> {
        let len = q.message.payload.len();
        match self.encoder.begin_owned(q.csid, q.message) {
            Ok(m) => Some(m),
            Err(_) => {
                // Unreachable for our own csids and checked lengths; never stall the queue.
                self.queued_bytes -= len;
                None
            }
        }
    }

    /// Emits one chunk of a lane's in-flight message; clears the lane when it is done.
    /// A small chunk is appended to the scratch buffer (the caller splits it off); a large
    /// one returns its header, preceded by whatever the scratch buffer held, and leaves its
    /// payload slice for the next poll.
    fn step(&mut self, priority: bool) -> Step {
        let flight = if priority {
            &mut self.priority_flight
        } else {
            &mut self.media_flight
        };
        let Some(msg) = flight.as_mut() else {
            return Step::Done;
        };
        let chunk_len = msg
            .remaining_payload()
            .min(self.encoder.chunk_size() as usize);
        if chunk_len <= COALESCE_MAX {
            // Header and payload copied straight into the scratch buffer, which is
            // reserved in blocks so small chunks cost a short copy and no allocation.
            if self.scratch.capacity() - self.scratch.len() < MAX_HEADER_LEN + COALESCE_MAX {
                self.scratch.reserve(SCRATCH_BLOCK);
            }
            if !self.encoder.next_chunk_into(msg, &mut self.scratch) {
                *flight = None;
                return Step::Done;
            }
            if msg.is_finished() {
                *flight = None;
            }
            self.queued_bytes -= chunk_len;
            return Step::Small;
        }
        let Some((header, payload)) = self.encoder.next_chunk(msg, &mut self.scratch) else {
            *flight = None;
            return Step::Done;
        };
        if msg.is_finished() {
            *flight = None;
        }
        self.queued_bytes -= payload.len();
        self.payload_next = Some(payload);
        Step::Large(header)
    }
}
