//! The deadlines a session keeps, and which one is due first.
//!
//! Time is always an argument: the session stores `Instant`s handed to it and compares them
//! with the `now` of the next call. Calling `handle_timeout` early is harmless because every
//! check is "has this deadline passed", never "a timer fired".

use std::time::{Duration, Instant};

/// Timeouts with defaults close to nginx-rtmp's (`timeout 60s`, `ping 60s`,
/// `ping_timeout 30s`), tightened where a faster answer helps players.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// The whole handshake must finish within this.
    pub handshake: Duration,
    /// Close when the peer sends nothing at all for this long.
    pub idle: Duration,
    /// After this long without inbound bytes, send a PingRequest (`None`: never ping).
    pub ping_interval: Option<Duration>,
    /// Close when a ping gets no inbound bytes back within this.
    pub ping_timeout: Duration,
    /// Reject an application decision (connect/publish/play/call) not made within this.
    pub decision: Duration,
    /// A server closes a connection that has not had a `connect` accepted this long after
    /// it began, however it trickles bytes (the handshake's bound plus 5 s by default).
    pub connect: Duration,
    /// A server closes a connection when a message is still incomplete this long after its
    /// first chunk, however its bytes trickle in. Default 30 s: a 1 MiB keyframe takes
    /// 8.4 s at 1 Mbit/s, about 9.5 s with 128 kbit/s of audio interleaved.
    pub message: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            handshake: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            ping_interval: Some(Duration::from_secs(15)),
            ping_timeout: Duration::from_secs(30),
            decision: Duration::from_secs(10),
            connect: Duration::from_secs(15),
            message: Duration::from_secs(30),
        }
    }
}

/// Which deadline expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutKind {
    /// The handshake did not finish within [`Timeouts::handshake`].
    Handshake,
    /// The peer sent nothing for [`Timeouts::idle`].
    Idle,
    /// A ping got no inbound bytes back within [`Timeouts::ping_timeout`].
    Ping,
    /// An application decision was not made within [`Timeouts::decision`]. Sessions do not
    /// report it today: they reject the overdue request ("no decision in time") instead, and
    /// an overdue connect closes with [`CloseReason::Rejected`](super::CloseReason).
    Decision,
    /// No `connect` was accepted within [`Timeouts::connect`] of the connection's start.
    Connect,
    /// A message was still incomplete [`Timeouts::message`] after its first chunk.
    Message,
}

/// Liveness bookkeeping shared by server and client sessions.
#[derive(Debug, Clone)]
pub(crate) struct Liveness {
    pub(crate) started: Instant,
    pub(crate) last_input: Instant,
    /// When the outstanding ping was sent, if one is.
    pub(crate) ping_sent: Option<Instant>,
}

impl Liveness {
    pub(crate) fn new(now: Instant) -> Self {
        Liveness {
            started: now,
            last_input: now,
            ping_sent: None,
        }
    }

    /// Any inbound byte proves the peer alive and answers an outstanding ping.
    pub(crate) fn on_input(&mut self, now: Instant) {
        self.last_input = now;
        self.ping_sent = None;
    }

    /// The next instant at which [`Liveness::check`] has something to do.
    pub(crate) fn next_deadline(&self, t: &Timeouts, handshaking: bool) -> Instant {
        if handshaking {
            return self.started + t.handshake;
        }
        let mut next = self.last_input + t.idle;
        match (self.ping_sent, t.ping_interval) {
            (Some(sent), _) => next = next.min(sent + t.ping_timeout),
            (None, Some(interval)) => next = next.min(self.last_input + interval),
            (None, None) => {}
        }
        next
    }

    /// What is due at `now`: a timeout that closes the session, or a ping to send.
    pub(crate) fn check(
        &mut self,
        now: Instant,
        t: &Timeouts,
        handshaking: bool,
    ) -> LivenessAction {
        if handshaking {
            return if now >= self.started + t.handshake {
                LivenessAction::Close(TimeoutKind::Handshake)
            } else {
                LivenessAction::None
            };
        }
        if now >= self.last_input + t.idle {
            return LivenessAction::Close(TimeoutKind::Idle);
        }
        match (self.ping_sent, t.ping_interval) {
            (Some(sent), _) if now >= sent + t.ping_timeout => {
                LivenessAction::Close(TimeoutKind::Ping)
            }
            (None, Some(interval)) if now >= self.last_input + interval => {
                self.ping_sent = Some(now);
                LivenessAction::SendPing
            }
            _ => LivenessAction::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LivenessAction {
    None,
    SendPing,
    Close(TimeoutKind),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_then_timeout_when_peer_is_silent() {
        let t0 = Instant::now();
        let t = Timeouts {
            idle: Duration::from_secs(600),
            ..Timeouts::default()
        };
        let mut l = Liveness::new(t0);
        assert_eq!(
            l.check(t0 + Duration::from_secs(14), &t, false),
            LivenessAction::None
        );
        assert_eq!(l.next_deadline(&t, false), t0 + Duration::from_secs(15));
        assert_eq!(
            l.check(t0 + Duration::from_secs(15), &t, false),
            LivenessAction::SendPing
        );
        assert_eq!(l.next_deadline(&t, false), t0 + Duration::from_secs(45));
        assert_eq!(
            l.check(t0 + Duration::from_secs(44), &t, false),
            LivenessAction::None
        );
        assert_eq!(
            l.check(t0 + Duration::from_secs(45), &t, false),
            LivenessAction::Close(TimeoutKind::Ping)
        );
    }

    #[test]
    fn input_answers_the_ping() {
        let t0 = Instant::now();
        let t = Timeouts::default();
        let mut l = Liveness::new(t0);
        assert_eq!(
            l.check(t0 + Duration::from_secs(15), &t, false),
            LivenessAction::SendPing
        );
        l.on_input(t0 + Duration::from_secs(16));
        // The answered ping no longer counts toward a ping timeout; the next ping is due a
        // full interval after the last input.
        assert_eq!(
            l.check(t0 + Duration::from_secs(30), &t, false),
            LivenessAction::None
        );
        assert_eq!(
            l.check(t0 + Duration::from_secs(31), &t, false),
            LivenessAction::SendPing
        );
    }

    #[test]
    fn handshake_deadline_only_while_handshaking() {
        let t0 = Instant::now();
        let t = Timeouts::default();
        let mut l = Liveness::new(t0);
        assert_eq!(l.next_deadline(&t, true), t0 + Duration::from_secs(10));
        assert_eq!(
            l.check(t0 + Duration::from_secs(10), &t, true),
            LivenessAction::Close(TimeoutKind::Handshake)
        );
    }
}
