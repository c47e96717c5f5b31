//! Aggregate messages (type 22): several messages in one, each in FLV tag form (NOTES 9).
//!
//! Each sub-message is an 11-byte header — type (1), payload size (3), timestamp (3) plus its
//! upper 8 bits (1), stream id (3) — then the payload, then a 4-byte back-pointer (the size
//! of header plus payload). Sub-message timestamps are only meaningful relative to the first
//! one: a sub-message's absolute timestamp is the aggregate's timestamp plus its distance
//! from the first sub-message, in wrapping u32 arithmetic. The stream id field of the tags is
//! ignored (FLV writes 0 there); sub-messages belong to the aggregate's message stream.

use std::iter::FusedIterator;

use bytes::{BufMut, Bytes, BytesMut};

use super::wire::be_u24;
use super::{MessageError, MessageType, RawMessage};

/// Size of a sub-message header.
const TAG_HEADER_LEN: usize = 11;
/// Size of the back-pointer after each sub-message.
const BACK_POINTER_LEN: usize = 4;
/// Largest payload the 24-bit size field can describe.
const MAX_SUB_PAYLOAD: usize = 0xFF_FFFF;

/// Iterator over the sub-messages of an aggregate, yielding zero-copy payload slices.
///
/// A truncated sub-message yields one `Err` after the complete ones, then the iterator
/// ends. A missing back-pointer after the last sub-message is accepted (some encoders omit
/// it). Sub-messages are yielded as they are, including nested aggregates: whether to
/// split those too is the caller's choice.
#[derive(Debug, Clone)]
pub struct AggregateMessages {
    payload: Bytes,
    pos: usize,
    timestamp: u32,
    stream_id: u32,
    first_sub_timestamp: Option<u32>,
    done: bool,
}

impl AggregateMessages {
    /// Splits `aggregate`, whose payload is the sequence of tags. The type id is not checked.
    pub fn new(aggregate: &RawMessage) -> Self {
        Self::from_parts(
            aggregate.payload.clone(),
            aggregate.timestamp,
            aggregate.stream_id,
        )
    }

    /// Splits an aggregate payload received with this timestamp on this message stream.
    pub fn from_parts(payload: Bytes, timestamp: u32, stream_id: u32) -> Self {
        AggregateMessages {
            payload,
            pos: 0,
            timestamp,
            stream_id,
            first_sub_timestamp: None,
            done: false,
        }
    }

    fn truncated(&mut self, needed: usize) -> Option<Result<RawMessage, MessageError>> {
        self.done = true;
        Some(Err(MessageError::AggregateTruncated {
            offset: self.pos,
            needed,
            available: self.payload.len().saturating_sub(self.pos),
        }))
    }
}

impl Iterator for AggregateMessages {
    type Item = Result<RawMessage, MessageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.payload.get(self.pos..).unwrap_or_default();
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        if rest.len() < TAG_HEADER_LEN {
            return self.truncated(TAG_HEADER_LEN);
        }
        let (Some(&type_id), Some(size), Some(ts_low), Some(&ts_high)) =
            (rest.first(), be_u24(rest, 1), be_u24(rest, 4), rest.get(7))
        else {
            return self.truncated(TAG_HEADER_LEN);
        };
        let size = size as usize;
        let needed = TAG_HEADER_LEN + size;
        if rest.len() < needed {
            return self.truncated(needed);
        }
        let sub_ts = u32::from(ts_high) << 24 | ts_low;
        let first = *self.first_sub_timestamp.get_or_insert(sub_ts);
        let start = self.pos + TAG_HEADER_LEN;
        let message = RawMessage {
            timestamp: self.timestamp.wrapping_add(sub_ts.wrapping_sub(first)),
            type_id,
            stream_id: self.stream_id,
            payload: self.payload.slice(start..start + size),
        };
        // The back-pointer's value is not checked: readers (nginx-rtmp, ffmpeg) skip it, and
        // encoders have written wrong values. After the last sub-message it may be missing;
        // a partial one (1 to 3 bytes) is left in place for the next call to report.
        let after = rest.len() - needed;
        self.pos += if after >= BACK_POINTER_LEN {
            needed + BACK_POINTER_LEN
        } else {
            needed
        };
        Some(Ok(message))
    }
}

impl FusedIterator for AggregateMessages {}

/// Builds an aggregate from `messages`, in FLV tag form with back-pointers.
///
/// The aggregate takes the first message's timestamp and stream id; each tag carries its
/// message's absolute timestamp, so splitting restores every timestamp exactly (wrapping
/// included). Stream ids of the later messages are not kept: sub-messages belong to the
/// aggregate's stream. Returns `None` for an empty list or a payload larger than the
/// 24-bit size field (16 MiB - 1).
pub fn build_aggregate(messages: &[RawMessage]) -> Option<RawMessage> {
    let first = messages.first()?;
    let mut len = 0usize;
    for m in messages {
        if m.payload.len() > MAX_SUB_PAYLOAD {
            return None;
        }
        len = len.checked_add(TAG_HEADER_LEN + m.payload.len() + BACK_POINTER_LEN)?;
    }
    let mut out = BytesMut::with_capacity(len);
    for m in messages {
        let size = m.payload.len() as u32;
        out.put_u8(m.type_id);
        out.put_slice(&size.to_be_bytes()[1..]);
        out.put_slice(&(m.timestamp & 0xFF_FFFF).to_be_bytes()[1..]);
        out.put_u8((m.timestamp >> 24) as u8);
        out.put_slice(&[0, 0, 0]);
        out.put_slice(&m.payload);
        out.put_u32(size + TAG_HEADER_LEN as u32);
    }
    Some(RawMessage {
        timestamp: first.timestamp,
        type_id: MessageType::Aggregate.id(),
        stream_id: first.stream_id,
        payload: out.freeze(),
    })
}
