//! The IO-facing half shared by both sessions, so an adapter writes its connection loop
//! once for servers and clients.

use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::client::{ClientEvent, ClientSession};
use super::event::ServerEvent;
use super::server::ServerSession;
use crate::error::ProtocolError;

/// What a connection driver needs from a session: feed bytes, time and end of input in;
/// poll events, bytes and the next deadline out (see the drain contract in the crate docs).
pub trait Session {
    /// [`ServerEvent`] or [`ClientEvent`].
    type Event;

    fn handle_input(&mut self, now: Instant, input: &mut BytesMut) -> Result<(), ProtocolError>;
    fn handle_timeout(&mut self, now: Instant);
    fn handle_eof(&mut self, now: Instant);
    fn close(&mut self);
    fn poll_event(&mut self) -> Option<Self::Event>;
    fn poll_transmit(&mut self) -> Option<Bytes>;
    fn poll_timeout(&self) -> Option<Instant>;
    fn is_closed(&self) -> bool;
    fn pending_transmit_bytes(&self) -> usize;
}

macro_rules! impl_session {
    ($ty:ty, $event:ty) => {
        impl Session for $ty {
            type Event = $event;

            fn handle_input(
                &mut self,
                now: Instant,
                input: &mut BytesMut,
            ) -> Result<(), ProtocolError> {
                <$ty>::handle_input(self, now, input)
            }
            fn handle_timeout(&mut self, now: Instant) {
                <$ty>::handle_timeout(self, now)
            }
            fn handle_eof(&mut self, now: Instant) {
                <$ty>::handle_eof(self, now)
            }
            fn close(&mut self) {
                <$ty>::close(self)
            }
            fn poll_event(&mut self) -> Option<Self::Event> {
                <$ty>::poll_event(self)
            }
            fn poll_transmit(&mut self) -> Option<Bytes> {
                <$ty>::poll_transmit(self)
            }
            fn poll_timeout(&self) -> Option<Instant> {
                <$ty>::poll_timeout(self)
            }
            fn is_closed(&self) -> bool {
                <$ty>::is_closed(self)
            }
            fn pending_transmit_bytes(&self) -> usize {
                <$ty>::pending_transmit_bytes(self)
            }
        }
    };
}

impl_session!(ServerSession, ServerEvent);
impl_session!(ClientSession, ClientEvent);
