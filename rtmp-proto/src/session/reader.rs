//! The inbound half both sessions share: the handshake, then the chunk stream, with every
//! byte counted for acknowledgements.

use bytes::BytesMut;

use super::outbound::{Outbound, csid};
use crate::chunk::ChunkDecoder;
use crate::config::Limits;
use crate::error::ProtocolError;
use crate::handshake::Handshake;
use crate::message::{AckCounter, RawMessage};

/// Where the handshake stands after some input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandshakeStep {
    /// More handshake bytes are needed.
    Pending,
    /// It completed with this input; chunks may follow in the same buffer.
    Completed,
    /// It had completed before.
    Done,
}

#[derive(Debug)]
pub(crate) struct Reader {
    /// Dropped once complete: it holds our C1/S1, which an idle connection need not keep.
    /// Boxed: it holds byte arrays (digests, version fields) that LLVM moves a byte at a
    /// time, and the session around it is moved whole (out of `new`, into a task) while
    /// the handshake is only needed for the first two reads.
    handshake: Option<Box<Handshake>>,
    decoder: ChunkDecoder,
    /// Every byte received, against the peer's Window Acknowledgement Size.
    pub(crate) acks: AckCounter,
    /// Bytes of an incomplete chunk left by `handle_input_slice`.
    slice_buf: BytesMut,
}

impl Reader {
    pub(crate) fn new(handshake: Handshake, limits: &Limits) -> Self {
        Reader {
            handshake: Some(Box::new(handshake)),
            decoder: ChunkDecoder::new(limits),
            acks: AckCounter::new(),
            slice_buf: BytesMut::new(),
        }
    }

    /// The chunk decoder, for the session's phase, bounds and message deadlines.
    pub(crate) fn decoder(&mut self) -> &mut ChunkDecoder {
        &mut self.decoder
    }

    /// Bytes reserved for messages still being reassembled.
    pub(crate) fn partial_bytes(&self) -> usize {
        self.decoder.partial_bytes()
    }

    /// When the oldest message still being reassembled began.
    pub(crate) fn oldest_partial_since(&self) -> Option<std::time::Instant> {
        self.decoder.oldest_partial_since()
    }

    pub(crate) fn handshaking(&self) -> bool {
        self.handshake.is_some()
    }

    /// Feeds handshake bytes and queues our answers on `out`.
    pub(crate) fn handshake(
        &mut self,
        input: &mut BytesMut,
        out: &mut Outbound,
    ) -> Result<HandshakeStep, ProtocolError> {
        let Some(hs) = self.handshake.as_mut() else {
            return Ok(HandshakeStep::Done);
        };
        let before = input.len();
        let result = hs.handle_input(input);
        while let Some(seg) = hs.poll_transmit() {
            out.push_raw(seg);
        }
        let complete = hs.is_complete();
        self.count(before - input.len(), out);
        result?;
        if !complete {
            return Ok(HandshakeStep::Pending);
        }
        self.handshake = None;
        Ok(HandshakeStep::Completed)
    }

    /// The next complete message from `input`, if there is one.
    pub(crate) fn next_message(
        &mut self,
        input: &mut BytesMut,
        out: &mut Outbound,
    ) -> Result<Option<RawMessage>, ProtocolError> {
        let before = input.len();
        let message = self.decoder.decode(input);
        self.count(before - input.len(), out);
        Ok(message?)
    }

    /// Counts every byte read, handshake included (as ffmpeg and Flash do), and queues an
    /// Acknowledgement each time another window's worth has arrived (NOTES 6).
    fn count(&mut self, n: usize, out: &mut Outbound) {
        if let Some(ack) = self.acks.on_received(n) {
            out.push_priority(csid::CONTROL, ack.to_raw(0));
        }
    }

    /// The bytes a previous `handle_input_slice` left incomplete (give them back with
    /// [`Reader::restore_slice_buf`]).
    pub(crate) fn take_slice_buf(&mut self) -> BytesMut {
        std::mem::take(&mut self.slice_buf)
    }

    pub(crate) fn restore_slice_buf(&mut self, buf: BytesMut) {
        self.slice_buf = buf;
    }
}
