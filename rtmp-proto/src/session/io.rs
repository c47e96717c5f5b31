//! The IO-facing half shared by both sessions, so an adapter writes its connection loop
//! once for servers and clients.

use std::time::Instant;

use bytes::{Bytes, BytesMut};

use super::client::{ClientEvent, ClientSession};
use super::event::ServerEvent;
use super::server::ServerSession;
use crate::error::ProtocolError;

/// What a connection driver needs from a session: feed bytes, time and end of input in;
/// poll events, bytes and the next deadline out.
///
/// This is the whole of a session a runtime driver sees, so a driver written against it
/// serves [`ServerSession`] and [`ClientSession`] alike. Decisions (`accept_*`, `reject`,
/// `publish`, `send_media`, ...) stay on the concrete types; the application makes them
/// while it handles [`Session::Event`]s.
///
/// # Driving a session
///
/// After **any** input ([`handle_input`](Self::handle_input),
/// [`handle_timeout`](Self::handle_timeout), [`handle_eof`](Self::handle_eof),
/// [`close`](Self::close)) or application command:
///
/// 1. call [`poll_event`](Self::poll_event) until it returns `None`, acting on each event
///    (an answer to a decision may queue further events, which the same loop picks up);
/// 2. call [`poll_transmit`](Self::poll_transmit) until it returns `None`, writing every
///    segment to the socket in order;
/// 3. read [`poll_timeout`](Self::poll_timeout) and arm the driver's timer for it; when it
///    passes, call [`handle_timeout`](Self::handle_timeout).
///
/// A driver that skips step 3 while input keeps arriving misses deadlines that input does
/// not move (the handshake deadline, an overdue application decision): compare
/// `poll_timeout` with the clock after every input, not only when a read times out.
///
/// Once [`is_closed`](Self::is_closed) is true, finish steps 1 and 2 (the terminal
/// `Closed` event, and a last `_error` or `onStatus` for the peer), then close the socket
/// and drop the session.
pub trait Session {
    /// What [`poll_event`](Self::poll_event) yields: [`ServerEvent`] or [`ClientEvent`].
    type Event;

    /// Feeds bytes read from the socket.
    ///
    /// Call after every successful read, with the read appended to the same buffer as the
    /// previous ones: complete chunks (and handshake packets) are split off the front of
    /// `input`, and an incomplete one is left there for the next call. Any input counts as a
    /// sign of life and pushes the idle and ping deadlines back.
    ///
    /// An error is the peer's fault and final: the session has queued its `Closed` event,
    /// returns the same error on every later call, and still has its last events and bytes
    /// to drain. On a closed session, or with an empty `input`, this does nothing.
    fn handle_input(&mut self, now: Instant, input: &mut BytesMut) -> Result<(), ProtocolError>;

    /// Checks every deadline against `now`: sends a ping, closes the session with
    /// [`CloseReason::Timeout`](super::CloseReason::Timeout), or (server) rejects an
    /// application decision that took too long.
    ///
    /// Call when the instant from [`poll_timeout`](Self::poll_timeout) has passed, whether
    /// the driver's timer fired or input arrived late. Calling early is harmless: each check
    /// is "has this deadline passed", so nothing happens before it is due.
    fn handle_timeout(&mut self, now: Instant);

    /// Tells the session the peer closed its side of the connection.
    ///
    /// Call when a read returns end of stream (0 bytes). The session queues
    /// `Closed(PeerClosed)`; an incomplete chunk left in the input buffer is abandoned.
    /// Nothing happens if the session is already closed.
    fn handle_eof(&mut self, now: Instant);

    /// Ends the session from our side (shutdown, kick, lost interest).
    ///
    /// Call whenever the application or driver decides to drop the connection. The session
    /// queues `Closed(Local)`; bytes already queued can still be drained with
    /// [`poll_transmit`](Self::poll_transmit) before the socket is closed. Nothing happens if
    /// the session is already closed.
    fn close(&mut self);

    /// The next thing the application must know or decide, in the order the peer caused it.
    ///
    /// Call after every input or command, until it returns `None`. The last event of every
    /// session is exactly one `Closed(reason)`.
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// The next segment of bytes to write to the socket.
    ///
    /// Call after the events are drained, until it returns `None`, and write every segment
    /// whole and in order: each is a zero-copy `Bytes` (a chunk header, a payload slice, or a
    /// few small chunks gathered together). A driver whose socket is full stops polling;
    /// whatever it has not polled stays queued, counted by
    /// [`pending_transmit_bytes`](Self::pending_transmit_bytes). Segments queued before the
    /// session closed are still returned after it.
    fn poll_transmit(&mut self) -> Option<Bytes>;

    /// When [`handle_timeout`](Self::handle_timeout) has work next; `None` once closed.
    ///
    /// Call after each round of draining, and re-arm the timer with the answer: input moves
    /// the idle and ping deadlines later, and a new pending decision can bring one earlier,
    /// so a cached value goes stale.
    fn poll_timeout(&self) -> Option<Instant>;

    /// Whether the session ended (its `Closed` event is queued or already polled).
    ///
    /// Check after draining: once true, no input will be read again, and after the last
    /// events and segments are drained the socket can be closed.
    fn is_closed(&self) -> bool;

    /// Payload bytes queued toward the peer and not yet polled (chunk headers not counted).
    ///
    /// The backpressure signal: a driver whose socket drains slower than media arrives
    /// watches this to stop feeding, or to discard droppable media, before the session's
    /// own limit (`max_outbound_bytes`) refuses `send_media` with
    /// [`UsageError::QueueFull`](crate::UsageError::QueueFull).
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
