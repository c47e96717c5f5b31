//! Invariants every session fuzz target checks on what a session emits, whatever the input:
//! events stop after the one terminal `Closed`, and the bytes we send are always a chunk
//! stream our own decoder accepts (after the 3073 handshake bytes each side sends first).

use bytes::BytesMut;
use rtmp_proto::Limits;
use rtmp_proto::chunk::ChunkDecoder;
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
