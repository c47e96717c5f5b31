//! The observable life of a client connection, with the reason for every change.
//!
//! ```text
//! Disconnected ──Dialing──▶ Connecting ──TcpConnected──▶ Handshaking ──ConnectAccepted──▶ Connected
//!      ▲                        ▲                                                         │
//!      │                        │ Dialing                         PublishStarted/PlayStarted
//!      │                        │                                                         ▼
//!      └──GaveUp / Stopped── Reconnecting ◀──────────Failed (from any active state)── Publishing/Playing
//! ```
//!
//! `Handshaking` covers the RTMP handshake and the `connect` command; `Connected` is
//! `NetConnection.Connect.Success`. A completed [`Handover`](super::Handover) is recorded
//! as a `Publishing → Publishing` (or `Playing → Playing`) transition.

use std::collections::VecDeque;
use std::time::Instant;

use super::error::IllegalTransition;
use super::failure::FailureReason;
use super::reconnector::Next;
use crate::session::ClientEvent;

/// Where a client connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Not connected and not going to be (start, stopped, or given up).
    Disconnected,
    /// Resolving and dialing (TCP, then TLS for rtmps).
    Connecting,
    /// Socket open: RTMP handshake and `connect`.
    Handshaking,
    /// `connect` accepted; no stream yet.
    Connected,
    /// `NetStream.Publish.Start` received: media flows to the server.
    Publishing,
    /// `NetStream.Play.Start` received: media flows from the server.
    Playing,
    /// Waiting to dial again.
    Reconnecting,
}

impl ConnectionState {
    /// The state's name in lower case (`publishing`, `reconnecting`...), as stats and
    /// status tables show it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionState::Disconnected => "disconnected",
            ConnectionState::Connecting => "connecting",
            ConnectionState::Handshaking => "handshaking",
            ConnectionState::Connected => "connected",
            ConnectionState::Publishing => "publishing",
            ConnectionState::Playing => "playing",
            ConnectionState::Reconnecting => "reconnecting",
        }
    }

    /// A state with a connection in progress or up.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            ConnectionState::Connecting
                | ConnectionState::Handshaking
                | ConnectionState::Connected
                | ConnectionState::Publishing
                | ConnectionState::Playing
        )
    }
}

/// Why the state changed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum TransitionReason {
    /// A dial of this failover URL started.
    Dialing {
        /// Index into the failover list of the URL being dialed.
        url_index: usize,
    },
    /// The TCP (and TLS) connection is up; the RTMP handshake starts.
    TcpConnected,
    /// The server answered `connect` with `_result`.
    ConnectAccepted,
    /// The server answered `publish` with `NetStream.Publish.Start`.
    PublishStarted,
    /// The server answered `play` with `NetStream.Play.Start`.
    PlayStarted,
    /// The connection failed; the next dial is due at `retry_at`.
    Failed {
        /// What went wrong.
        reason: FailureReason,
        /// When the reconnector wants the next dial.
        retry_at: Instant,
        /// Index into the failover list of the URL to dial then.
        url_index: usize,
    },
    /// The connection failed and the policy gave up.
    GaveUp(FailureReason),
    /// The application stopped the client.
    Stopped,
    /// The server's reconnect request was honoured: media now flows on a new connection to
    /// `tc_url`.
    HandedOver {
        /// The tcUrl of the new connection.
        tc_url: String,
    },
}

/// One recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The `now` of the call that made the change.
    pub at: Instant,
    /// The state before.
    pub from: ConnectionState,
    /// The state after (equal to `from` for a handover).
    pub to: ConnectionState,
    /// Why it changed.
    pub reason: TransitionReason,
}

/// Records the connection's state changes. Each change is both kept in a bounded history
/// ([`transitions`](Self::transitions)) and queued for [`poll_transition`](Self::poll_transition),
/// so an adapter can forward changes to the application as they happen.
#[derive(Debug, Clone)]
pub struct StateMachine {
    state: ConnectionState,
    history: VecDeque<Transition>,
    history_limit: usize,
    queue: VecDeque<Transition>,
}

impl StateMachine {
    /// Default number of transitions kept in the history.
    pub const DEFAULT_HISTORY: usize = 256;

    /// Starts `Disconnected` with the default history size.
    pub fn new() -> Self {
        StateMachine::with_history_limit(Self::DEFAULT_HISTORY)
    }

    /// Keeps at most `limit` transitions in the history (oldest dropped first). The event
    /// queue is bounded by the same limit.
    pub fn with_history_limit(limit: usize) -> Self {
        StateMachine {
            state: ConnectionState::Disconnected,
            history: VecDeque::new(),
            history_limit: limit,
            queue: VecDeque::new(),
        }
    }

    /// Where the connection is now.
    pub fn state(&self) -> ConnectionState {
        self.state
    }

    /// The retained history, oldest first.
    pub fn transitions(&self) -> impl ExactSizeIterator<Item = &Transition> + '_ {
        self.history.iter()
    }

    /// The next change not yet polled, oldest first.
    ///
    /// Call after each of the methods that change the state, until it returns `None`, to
    /// forward every change to the application. Changes not polled within the history limit
    /// are dropped oldest first.
    #[must_use]
    pub fn poll_transition(&mut self) -> Option<Transition> {
        self.queue.pop_front()
    }

    /// A dial starts (from `Disconnected` or `Reconnecting`).
    pub fn dialing(&mut self, now: Instant, url_index: usize) -> Result<(), IllegalTransition> {
        self.go(
            now,
            ConnectionState::Connecting,
            TransitionReason::Dialing { url_index },
        )
    }

    /// The socket is open.
    pub fn tcp_connected(&mut self, now: Instant) -> Result<(), IllegalTransition> {
        self.go(
            now,
            ConnectionState::Handshaking,
            TransitionReason::TcpConnected,
        )
    }

    /// Feeds a session event: `Connected`, `PublishStarted` and `PlayStarted` move the
    /// state; other events change nothing (failures need the reconnector's answer: see
    /// [`failed`](Self::failed)). Returns whether the state changed.
    pub fn on_client_event(
        &mut self,
        now: Instant,
        event: &ClientEvent,
    ) -> Result<bool, IllegalTransition> {
        let (to, reason) = match event {
            ClientEvent::Connected { .. } => (
                ConnectionState::Connected,
                TransitionReason::ConnectAccepted,
            ),
            ClientEvent::PublishStarted { .. } => (
                ConnectionState::Publishing,
                TransitionReason::PublishStarted,
            ),
            ClientEvent::PlayStarted { .. } => {
                (ConnectionState::Playing, TransitionReason::PlayStarted)
            }
            _ => return Ok(false),
        };
        self.go(now, to, reason).map(|()| true)
    }

    /// The connection failed; `next` is the reconnector's answer.
    pub fn failed(
        &mut self,
        now: Instant,
        reason: FailureReason,
        next: Next,
    ) -> Result<(), IllegalTransition> {
        match next {
            Next::RetryAt { at, url_index } => self.go(
                now,
                ConnectionState::Reconnecting,
                TransitionReason::Failed {
                    reason,
                    retry_at: at,
                    url_index,
                },
            ),
            Next::GiveUp => self.go(
                now,
                ConnectionState::Disconnected,
                TransitionReason::GaveUp(reason),
            ),
        }
    }

    /// The application stopped the client.
    pub fn stopped(&mut self, now: Instant) -> Result<(), IllegalTransition> {
        self.go(
            now,
            ConnectionState::Disconnected,
            TransitionReason::Stopped,
        )
    }

    /// A handover to `tc_url` completed; the state (publishing or playing) stays.
    pub fn handed_over(&mut self, now: Instant, tc_url: String) -> Result<(), IllegalTransition> {
        self.go(now, self.state, TransitionReason::HandedOver { tc_url })
    }

    fn go(
        &mut self,
        now: Instant,
        to: ConnectionState,
        reason: TransitionReason,
    ) -> Result<(), IllegalTransition> {
        use ConnectionState as S;
        let from = self.state;
        let ok = match (&reason, from, to) {
            (
                TransitionReason::Dialing { .. },
                S::Disconnected | S::Reconnecting,
                S::Connecting,
            ) => true,
            (TransitionReason::TcpConnected, S::Connecting, S::Handshaking) => true,
            (TransitionReason::ConnectAccepted, S::Handshaking, S::Connected) => true,
            (TransitionReason::PublishStarted, S::Connected, S::Publishing) => true,
            (TransitionReason::PlayStarted, S::Connected, S::Playing) => true,
            (TransitionReason::Failed { .. }, f, S::Reconnecting) => f.is_active(),
            (TransitionReason::GaveUp(_), f, S::Disconnected) => f.is_active(),
            (TransitionReason::Stopped, f, S::Disconnected) => f != S::Disconnected,
            (TransitionReason::HandedOver { .. }, S::Publishing | S::Playing, t) => t == from,
            _ => false,
        };
        if !ok {
            return Err(IllegalTransition { from, to });
        }
        self.state = to;
        let t = Transition {
            at: now,
            from,
            to,
            reason,
        };
        push_bounded(&mut self.queue, t.clone(), self.history_limit);
        push_bounded(&mut self.history, t, self.history_limit);
        Ok(())
    }
}

impl Default for StateMachine {
    fn default() -> Self {
        StateMachine::new()
    }
}

fn push_bounded(q: &mut VecDeque<Transition>, t: Transition, limit: usize) {
    if limit == 0 {
        return;
    }
    while q.len() >= limit {
        q.pop_front();
    }
    q.push_back(t);
}
