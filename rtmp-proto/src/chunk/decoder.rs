//! Reassembling messages from the peer's chunk stream.
//!
//! The decoder reads straight from the caller's `BytesMut`: it splits complete chunks off
//! the front and leaves an incomplete chunk untouched, so the caller can append the next read
//! behind it. Nothing is buffered twice: a message that fits one chunk is a zero-copy slice
//! of the input, and a longer one is copied once into a buffer sized from its header.

use std::time::Instant;

use bytes::{Buf, BytesMut};

use super::ChunkError;
use super::bounds::{Bounds, MessagePhase};
use super::header::{
    self, BasicHeader, DEFAULT_CHUNK_SIZE, EXTENDED_TIMESTAMP, FMT_CONTINUE, FMT_FULL,
    FMT_NO_STREAM, MAX_CHUNK_SIZE,
};
use super::slots::Slots;
use crate::config::Limits;
use crate::message::{MessageType, RawMessage};

/// Turns the peer's chunk stream back into messages.
///
/// Set Chunk Size and Abort messages on message stream 0 are applied here, as soon as they
/// are complete, and still returned to the caller: the peer's next chunk may already be
/// behind them in the same buffer, so the caller cannot apply them in time.
#[derive(Debug)]
pub struct ChunkDecoder {
    chunk_size: u32,
    /// How large a message may be, by phase and type.
    bounds: Bounds,
    /// The instant of the input being decoded (see [`ChunkDecoder::set_clock`]).
    now: Option<Instant>,
    max_chunk_streams: usize,
    max_partial_bytes: usize,
    /// Per-csid header state. A handful of csids in practice (bounded by
    /// `max_chunk_streams`), so a linear scan beats hashing.
    streams: Vec<InStream>,
    /// Bytes reserved by the reassembly buffers of all csids.
    partial_bytes: usize,
    /// For the one-byte csids (2..=63): index + 1 into `streams`, 0 when not open. Lets the
    /// fast path find a stream without scanning.
    small: Slots,
}

/// What the decoder remembers about one chunk stream: the last header, for the compressed
/// formats, and the message being reassembled.
#[derive(Debug)]
struct InStream {
    csid: u32,
    timestamp: u32,
    /// The delta a fmt 3 chunk starting a new message repeats. After a fmt 0 header it is
    /// that header's timestamp, as ffmpeg and SRS read it.
    delta: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    /// The extended timestamp of the last fmt 0-2 header, if it had one: fmt 3 chunks
    /// repeat it (item 3).
    extended: Option<u32>,
    /// The message being reassembled; its capacity is the message length.
    partial: Option<BytesMut>,
    /// When its first chunk arrived, if the decoder was told the time.
    partial_since: Option<Instant>,
}

/// A complete chunk found at the front of the input, not yet consumed.
#[derive(Debug)]
struct Plan {
    csid: u32,
    /// Index into `streams`, or `None` for a csid seen for the first time.
    index: Option<usize>,
    /// Basic + message header + extended timestamp bytes.
    header_len: usize,
    payload_len: usize,
    /// Header fields when this chunk starts a new message.
    start: Option<Start>,
}

#[derive(Debug, Clone, Copy)]
struct Start {
    timestamp: u32,
    delta: u32,
    length: u32,
    type_id: u8,
    stream_id: u32,
    extended: Option<u32>,
}

impl ChunkDecoder {
    /// A decoder at the default chunk size of 128, bounded by `limits`.
    pub fn new(limits: &Limits) -> Self {
        ChunkDecoder {
            chunk_size: DEFAULT_CHUNK_SIZE,
            bounds: Bounds::new(limits),
            now: None,
            max_chunk_streams: limits.max_chunk_streams,
            max_partial_bytes: limits.max_partial_bytes,
            streams: Vec::new(),
            partial_bytes: 0,
            small: Slots::default(),
        }
    }

    /// The chunk size the peer's chunks are currently read with.
    pub fn chunk_size(&self) -> u32 {
        self.chunk_size
    }

    /// Sets the chunk size for the next chunk. A Set Chunk Size message from the peer is
    /// applied automatically; this is for tests and out-of-band agreements.
    pub fn set_chunk_size(&mut self, size: u32) -> Result<(), ChunkError> {
        if size == 0 || size > MAX_CHUNK_SIZE {
            return Err(ChunkError::InvalidChunkSize(size));
        }
        self.chunk_size = size;
        Ok(())
    }

    /// Which bounds message lengths are checked against from the next chunk header on (see
    /// [`MessagePhase`]). A new decoder is [`MessagePhase::Uniform`]; a server session
    /// moves it to `PreConnect` and `Connected`.
    pub fn set_phase(&mut self, phase: MessagePhase) {
        self.bounds.set_phase(phase);
    }

    /// Audio, video and aggregate messages on message stream `stream_id` may reach
    /// [`Limits::max_message_len`] from now on (its publish was accepted).
    pub fn allow_media(&mut self, stream_id: u32) {
        self.bounds.allow_media(stream_id);
    }

    /// Media on `stream_id` is held to the command bound again (its publish ended).
    pub fn forbid_media(&mut self, stream_id: u32) {
        self.bounds.forbid_media(stream_id);
    }

    /// The instant of the input about to be decoded: a message whose first chunk arrives
    /// in it is stamped with it ([`oldest_partial_since`](Self::oldest_partial_since)).
    ///
    /// Call before [`decode`](Self::decode) with each read's `now`; a decoder never told
    /// the time stamps nothing.
    pub fn set_clock(&mut self, now: Instant) {
        self.now = Some(now);
    }

    /// When the first chunk of the oldest message still being reassembled arrived, so a
    /// session can bound how long a message may take however its bytes trickle in.
    pub fn oldest_partial_since(&self) -> Option<Instant> {
        self.streams
            .iter()
            .filter(|s| s.partial.is_some())
            .filter_map(|s| s.partial_since)
            .min()
    }

    /// Bytes currently held in partially reassembled messages, over all chunk streams.
    pub fn partial_bytes(&self) -> usize {
        self.partial_bytes
    }

    /// Splits complete chunks off the front of `input` until one message is complete and
    /// returns it. Returns `Ok(None)` when `input` ends before that; an incomplete chunk is
    /// left in `input` untouched.
    ///
    /// Call after every read appended to `input` (the same buffer each time, so a partial
    /// chunk meets its rest), in a loop until it returns `Ok(None)`.
    ///
    /// An error is fatal for the connection: the chunk stream cannot be resynchronised.
    pub fn decode(&mut self, input: &mut BytesMut) -> Result<Option<RawMessage>, ChunkError> {
        loop {
            let done = match self.fast(input) {
                Some(done) => done,
                None => {
                    let Some(plan) = self.plan(input)? else {
                        return Ok(None);
                    };
                    self.apply(plan, input)
                }
            };
            if let Some(msg) = done {
                self.apply_control(&msg)?;
                return Ok(Some(msg));
            }
        }
    }

    /// The chunks of a busy stream: a one-byte fmt 3 header on csid 2..=63 without extended
    /// timestamp, either continuing the csid's message or starting one that fits this chunk.
    /// `None` when the chunk is anything else or incomplete (the general path decides then);
    /// otherwise the message it completes, if any. Same result as the general path, only
    /// without the bookkeeping it needs for the rare cases.
    fn fast(&mut self, input: &mut BytesMut) -> Option<Option<RawMessage>> {
        let first = *input.first()?;
        if first >> 6 != FMT_CONTINUE {
            return None;
        }
        let slot = self.small.get(usize::from(first & 0x3F))?;
        let stream = self.streams.get_mut(usize::from(slot).checked_sub(1)?)?;
        if stream.extended.is_some() {
            return None;
        }
        let length = stream.length as usize;
        let chunk_size = self.chunk_size as usize;
        let Some(buf) = stream.partial.as_mut() else {
            // A new message repeating the previous header and delta (item 2). Its length
            // was checked when that header came, but the bound may have shrunk since (a
            // publish ended): over it, the slow path refuses it, however the bytes split.
            let (limit, _) = self.bounds.limit(stream.type_id, stream.stream_id);
            if length > chunk_size || input.len() < 1 + length || length > limit as usize {
                return None;
            }
            stream.timestamp = stream.timestamp.wrapping_add(stream.delta);
            input.advance(1);
            let payload = input.split_to(length).freeze();
            return Some(Some(stream.message(payload)));
        };
        let end = 1 + length.saturating_sub(buf.len()).min(chunk_size);
        buf.extend_from_slice(input.get(1..end)?);
        input.advance(end);
        if buf.len() < length {
            return Some(None);
        }
        let payload = stream
            .partial
            .take()
            .map(BytesMut::freeze)
            .unwrap_or_default();
        self.partial_bytes -= length;
        Some(Some(stream.message(payload)))
    }

    fn find(&self, csid: u32) -> Option<usize> {
        self.streams.iter().position(|s| s.csid == csid)
    }

    /// Parses the chunk at the front of `input` without consuming anything. `None` when
    /// the whole chunk has not arrived yet.
    fn plan(&self, input: &[u8]) -> Result<Option<Plan>, ChunkError> {
        let Some(BasicHeader {
            fmt,
            csid,
            len: basic_len,
        }) = header::read_basic(input)
        else {
            return Ok(None);
        };
        let index = self.find(csid);
        let stream = index.and_then(|i| self.streams.get(i));
        if fmt != FMT_FULL && stream.is_none() {
            return Err(ChunkError::NoPreviousHeader { csid, fmt });
        }
        if fmt != FMT_CONTINUE && stream.is_some_and(|s| s.partial.is_some()) {
            return Err(ChunkError::HeaderMidMessage { csid, fmt });
        }
        if stream.is_none() && self.streams.len() >= self.max_chunk_streams {
            return Err(ChunkError::TooManyChunkStreams {
                limit: self.max_chunk_streams,
            });
        }

        let rest = input.get(basic_len..).unwrap_or_default();
        let Some(mh) = header::read_message_header(fmt, rest) else {
            return Ok(None);
        };
        let mh_len = header::message_header_len(fmt);
        let rest = rest.get(mh_len..).unwrap_or_default();

        // The extended timestamp: mandatory after a 0xFFFFFF field, read tolerantly on
        // fmt 3 chunks, where librtmp used to leave it out (item 3).
        let (extended, ext_len) = if fmt == FMT_CONTINUE {
            match stream.and_then(|s| s.extended) {
                None => (None, 0),
                Some(stored) => match repeated_extended(rest, stored) {
                    Repeated::NeedMore => return Ok(None),
                    Repeated::Yes => (Some(stored), 4),
                    Repeated::No => (Some(stored), 0),
                },
            }
        } else if mh.ts_field == EXTENDED_TIMESTAMP {
            match header::be32(rest) {
                None => return Ok(None),
                Some(v) => (Some(v), 4),
            }
        } else {
            (None, 0)
        };

        let (start, remaining) = match stream.and_then(|s| s.partial.as_ref().map(|p| (s, p))) {
            Some((s, partial)) => (None, (s.length as usize).saturating_sub(partial.len())),
            None => {
                let start = self.start(fmt, &mh, extended, stream)?;
                (Some(start), start.length as usize)
            }
        };
        let payload_len = remaining.min(self.chunk_size as usize);
        if let Some(start) = start
            && payload_len < start.length as usize
        {
            let held = self.partial_bytes + start.length as usize;
            let limit = self.bounds.partial_limit(self.max_partial_bytes);
            if held > limit {
                return Err(ChunkError::PartialBytesExceeded { held, limit });
            }
        }

        let header_len = basic_len + mh_len + ext_len;
        if input.len() < header_len + payload_len {
            return Ok(None);
        }
        Ok(Some(Plan {
            csid,
            index,
            header_len,
            payload_len,
            start,
        }))
    }

    /// The header of a message starting with this chunk, from its fields and the csid's
    /// previous header (item 2).
    fn start(
        &self,
        fmt: u8,
        mh: &header::MessageHeader,
        extended: Option<u32>,
        prev: Option<&InStream>,
    ) -> Result<Start, ChunkError> {
        let ts_value = extended.unwrap_or(mh.ts_field);
        let start = match prev {
            // `plan` has checked that only fmt 0 comes without a previous header.
            None => Start {
                timestamp: ts_value,
                delta: ts_value,
                length: mh.length,
                type_id: mh.type_id,
                stream_id: mh.stream_id,
                extended,
            },
            Some(p) => match fmt {
                FMT_FULL => Start {
                    timestamp: ts_value,
                    delta: ts_value,
                    length: mh.length,
                    type_id: mh.type_id,
                    stream_id: mh.stream_id,
                    extended,
                },
                FMT_CONTINUE => Start {
                    timestamp: p.timestamp.wrapping_add(p.delta),
                    delta: p.delta,
                    length: p.length,
                    type_id: p.type_id,
                    stream_id: p.stream_id,
                    extended: p.extended,
                },
                _ => Start {
                    timestamp: p.timestamp.wrapping_add(ts_value),
                    delta: ts_value,
                    length: if fmt == FMT_NO_STREAM {
                        mh.length
                    } else {
                        p.length
                    },
                    type_id: if fmt == FMT_NO_STREAM {
                        mh.type_id
                    } else {
                        p.type_id
                    },
                    stream_id: p.stream_id,
                    extended,
                },
            },
        };
        let (limit, bound) = self.bounds.limit(start.type_id, start.stream_id);
        if start.length > limit {
            return Err(ChunkError::MessageTooLong {
                len: start.length,
                limit,
                bound,
            });
        }
        Ok(start)
    }

    /// Consumes the planned chunk; returns the message it completes, if any.
    fn apply(&mut self, plan: Plan, input: &mut BytesMut) -> Option<RawMessage> {
        let index = match plan.index {
            Some(i) => i,
            None => {
                self.streams.push(InStream {
                    csid: plan.csid,
                    timestamp: 0,
                    delta: 0,
                    length: 0,
                    type_id: 0,
                    stream_id: 0,
                    extended: None,
                    partial: None,
                    partial_since: None,
                });
                let index = self.streams.len() - 1;
                // At most `max_chunk_streams` entries; past 255 the fast path just skips them.
                if let Ok(v) = u8::try_from(index + 1) {
                    self.small.set(plan.csid as usize, v);
                }
                index
            }
        };
        // `index` is either a position `find` returned or the element just pushed, and
        // nothing removes streams.
        let stream = self.streams.get_mut(index).expect("stream index is valid");

        if let Some(start) = plan.start {
            stream.timestamp = start.timestamp;
            stream.delta = start.delta;
            stream.length = start.length;
            stream.type_id = start.type_id;
            stream.stream_id = start.stream_id;
            stream.extended = start.extended;
            if plan.payload_len == start.length as usize {
                // The whole message is in this chunk: hand out a slice of the input.
                input.advance(plan.header_len);
                let payload = input.split_to(plan.payload_len).freeze();
                return Some(stream.message(payload));
            }
            let mut buf = BytesMut::with_capacity(start.length as usize);
            let end = plan.header_len + plan.payload_len;
            buf.extend_from_slice(input.get(plan.header_len..end).unwrap_or_default());
            input.advance(end);
            stream.partial = Some(buf);
            stream.partial_since = self.now;
            self.partial_bytes += start.length as usize;
            return None;
        }

        // A continuation: `plan` only leaves `start` empty when a partial message exists.
        let buf = stream
            .partial
            .as_mut()
            .expect("continuation has a partial message");
        let end = plan.header_len + plan.payload_len;
        buf.extend_from_slice(input.get(plan.header_len..end).unwrap_or_default());
        input.advance(end);
        if buf.len() < stream.length as usize {
            return None;
        }
        let payload = stream
            .partial
            .take()
            .map(BytesMut::freeze)
            .unwrap_or_default();
        self.partial_bytes -= stream.length as usize;
        Some(stream.message(payload))
    }

    /// Applies Set Chunk Size (item 4) and Abort (item 5) from message stream 0.
    fn apply_control(&mut self, msg: &RawMessage) -> Result<(), ChunkError> {
        if msg.stream_id != 0 {
            return Ok(());
        }
        let kind = MessageType::from_id(msg.type_id);
        if !matches!(kind, Some(MessageType::SetChunkSize | MessageType::Abort)) {
            return Ok(());
        }
        let Some(value) = header::be32(&msg.payload) else {
            return Err(ChunkError::TruncatedControl {
                type_id: msg.type_id,
                len: msg.payload.len(),
            });
        };
        if kind == Some(MessageType::SetChunkSize) {
            return self.set_chunk_size(value);
        }
        if let Some(stream) = self.streams.iter_mut().find(|s| s.csid == value)
            && stream.partial.take().is_some()
        {
            self.partial_bytes -= stream.length as usize;
        }
        Ok(())
    }
}

impl InStream {
    fn message(&self, payload: bytes::Bytes) -> RawMessage {
        RawMessage {
            timestamp: self.timestamp,
            type_id: self.type_id,
            stream_id: self.stream_id,
            payload,
        }
    }
}

enum Repeated {
    Yes,
    No,
    NeedMore,
}

/// Whether `rest` starts with the stored extended timestamp. Peers that omit it on fmt 3
/// chunks put payload there instead; as soon as the bytes differ we know it is payload.
fn repeated_extended(rest: &[u8], stored: u32) -> Repeated {
    let want = stored.to_be_bytes();
    let have = rest.get(..4).unwrap_or(rest);
    if have != want.get(..have.len()).unwrap_or_default() {
        Repeated::No
    } else if have.len() < 4 {
        Repeated::NeedMore
    } else {
        Repeated::Yes
    }
}
