//! Invariants every session fuzz target checks on what a session emits, whatever the input:
//! events stop after the one terminal `Closed`, and the bytes we send are always a chunk
//! stream our own decoder accepts (after the 3073 handshake bytes each side sends first).
//! Also the message bounds a server session must apply by phase ([`PhaseBounds`]), and a
//! fmt 0 chunk header written by hand ([`fmt0_header`]) to test them with.

use bytes::BytesMut;
use rtmp_proto::Limits;
use rtmp_proto::chunk::{ChunkDecoder, MessageBound};
use rtmp_proto::handshake::PACKET_LEN;

/// C0/S0 + C1/S1 + C2/S2: what either side sends before its first chunk.
pub const HANDSHAKE_OUT: usize = 1 + 2 * PACKET_LEN;

/// Watches one session's events and outbound bytes.
#[derive(Debug)]
pub struct Emitted {
    closed: bool,
    handshake_left: usize,
    decoder: ChunkDecoder,
    out: BytesMut,
    /// Every byte the session wrote, so callers can bound amplification.
    pub written: usize,
}

impl Default for Emitted {
    fn default() -> Self {
        Emitted {
            closed: false,
            handshake_left: HANDSHAKE_OUT,
            decoder: ChunkDecoder::new(&Limits::default()),
            out: BytesMut::new(),
            written: 0,
        }
    }
}

impl Emitted {
    /// Records one event; `closed` says whether it is the terminal `Closed`.
    pub fn event(&mut self, closed: bool) {
        assert!(!self.closed, "an event after Closed");
        self.closed = closed;
    }

    /// Whether the terminal event has been seen.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// The chunk size the session's chunks are read with after everything it wrote so far
    /// (its own Set Chunk Size messages applied): what its peer reads the next chunk with.
    pub fn chunk_size(&self) -> u32 {
        self.decoder.chunk_size()
    }

    /// Records one outbound segment and decodes every complete chunk in it.
    pub fn transmit(&mut self, segment: &[u8]) {
        assert!(
            !segment.is_empty(),
            "poll_transmit yielded an empty segment"
        );
        self.written += segment.len();
        let skip = self.handshake_left.min(segment.len());
        self.handshake_left -= skip;
        let Some(rest) = segment.get(skip..) else {
            return;
        };
        self.out.extend_from_slice(rest);
        loop {
            match self.decoder.decode(&mut self.out) {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => panic!("we sent a chunk stream our own decoder rejects: {e}"),
            }
        }
    }
}

/// What a server session's message bounds must be, tracked from outside: whether a
/// `connect` was accepted and which message streams publish (accepted, not stopped). Before
/// a connect every message is held to `max_pre_connect_len`; after it, commands and data
/// (and media on a stream that does not publish) to `max_command_len`; audio, video and
/// aggregate on a publishing stream to `max_message_len`. The two small bounds never exceed
/// the large one.
#[derive(Debug, Clone)]
pub struct PhaseBounds {
    pub pre_connect: u32,
    pub command: u32,
    pub message: u32,
    /// A `connect` was accepted.
    pub connected: bool,
    /// Message streams whose publish was accepted and has not stopped.
    pub publishing: Vec<u32>,
}

impl PhaseBounds {
    /// The bounds of a fresh server session configured with `limits`.
    pub fn new(limits: &Limits) -> Self {
        let message = limits.message_len_limit();
        PhaseBounds {
            pre_connect: limits.max_pre_connect_len.min(message),
            command: limits.max_command_len.min(message),
            message,
            connected: false,
            publishing: Vec::new(),
        }
    }

    /// The server accepted a publish on `stream`.
    pub fn publish(&mut self, stream: u32) {
        if !self.publishing.contains(&stream) {
            self.publishing.push(stream);
        }
    }

    /// The publish on `stream` stopped (or the stream was deleted).
    pub fn unpublish(&mut self, stream: u32) {
        self.publishing.retain(|s| *s != stream);
    }

    /// The largest length a message of `type_id` on `stream_id` may announce now, and which
    /// bound that is.
    pub fn expected(&self, type_id: u8, stream_id: u32) -> (u32, MessageBound) {
        if !self.connected {
            return (self.pre_connect, MessageBound::PreConnect);
        }
        // Audio, video, aggregate.
        if matches!(type_id, 8 | 9 | 22) && self.publishing.contains(&stream_id) {
            (self.message, MessageBound::Media)
        } else {
            (self.command, MessageBound::Command)
        }
    }

    /// Checks a `MessageTooLong` whose header is not known: the length is over the limit,
    /// and the limit is one of the bounds the phase allows.
    pub fn check_too_long(&self, len: u32, limit: u32, bound: MessageBound) {
        assert!(
            len > limit,
            "MessageTooLong for {len} bytes under its limit {limit}"
        );
        let ok = match bound {
            MessageBound::PreConnect => !self.connected && limit == self.pre_connect,
            MessageBound::Command => self.connected && limit == self.command,
            MessageBound::Media => {
                self.connected && limit == self.message && !self.publishing.is_empty()
            }
            _ => false,
        };
        assert!(
            ok,
            "MessageTooLong {len} > {limit} ({bound}) does not fit the phase: {self:?}"
        );
    }
}

/// A fmt 0 chunk header (no extended timestamp: `timestamp` < 0xFFFFFF) on chunk stream
/// `csid` (2..=65599, in the one, two or three byte form it needs) starting a message of
/// `len` bytes (< 2^24) of `type_id` on message stream `stream_id`.
pub fn fmt0_header(csid: u32, timestamp: u32, len: u32, type_id: u8, stream_id: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(15);
    match csid {
        2..=63 => h.push(csid as u8),
        64..=319 => h.extend_from_slice(&[0, (csid - 64) as u8]),
        _ => {
            let v = csid - 64;
            h.extend_from_slice(&[1, (v & 0xFF) as u8, (v >> 8) as u8]);
        }
    }
    h.extend_from_slice(&timestamp.to_be_bytes()[1..]);
    h.extend_from_slice(&len.to_be_bytes()[1..]);
    h.push(type_id);
    h.extend_from_slice(&stream_id.to_le_bytes());
    h
}
