//! The IO-facing half shared by server and client sessions, so a driver writes its socket
//! loop once.

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rtmp_proto::ProtocolError;
use rtmp_proto::session::{ClientSession, ServerSession};

/// What a socket loop needs from a session: bytes in, bytes out, deadlines.
pub trait SessionIo {
    fn handle_input(&mut self, now: Instant, input: &mut BytesMut) -> Result<(), ProtocolError>;
    fn handle_timeout(&mut self, now: Instant);
    fn handle_eof(&mut self, now: Instant);
    fn poll_transmit(&mut self) -> Option<Bytes>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn is_closed(&self) -> bool;
    fn pending_transmit_bytes(&self) -> usize;
}

macro_rules! session_io {
    ($t:ty) => {
        impl SessionIo for $t {
            fn handle_input(
                &mut self,
                now: Instant,
                input: &mut BytesMut,
            ) -> Result<(), ProtocolError> {
                <$t>::handle_input(self, now, input)
            }
            fn handle_timeout(&mut self, now: Instant) {
                <$t>::handle_timeout(self, now)
            }
            fn handle_eof(&mut self, now: Instant) {
                <$t>::handle_eof(self, now)
            }
            fn poll_transmit(&mut self) -> Option<Bytes> {
                <$t>::poll_transmit(self)
            }
            fn poll_timeout(&self) -> Option<Instant> {
                <$t>::poll_timeout(self)
            }
            fn is_closed(&self) -> bool {
                <$t>::is_closed(self)
            }
            fn pending_transmit_bytes(&self) -> usize {
                <$t>::pending_transmit_bytes(self)
            }
        }
    };
}

session_io!(ServerSession);
session_io!(ClientSession);
