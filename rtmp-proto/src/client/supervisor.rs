//! [`Supervisor`]: the reconnect loop of a client, packaged: a [`Reconnector`] and a
//! [`StateMachine`] fed in the right order, so an adapter's loop is "ask where and when,
//! dial, report".

use std::io;
use std::time::Instant;

use super::backoff::ReconnectPolicy;
use super::error::{IllegalTransition, PolicyError};
use super::failover::Failover;
use super::failure::{FailureReason, PermanentFailure};
use super::reconnector::{Next, Reconnector};
use super::state::{ConnectionState, StateMachine, Transition};
use super::url::RtmpUrl;
use crate::rng::Rng;
use crate::session::ClientEvent;

/// How a client reconnects: the settings of a [`Supervisor`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SupervisorSettings {
    /// The URLs to dial: the primary first, then the backups in order.
    pub failover: Failover,
    /// Backoff, attempt limit, failover delay and the healthy time that resets them.
    pub policy: ReconnectPolicy,
    /// Reconnect after an established stream fails (default true). Off, the failover
    /// list is still tried once at start.
    pub auto_reconnect: bool,
}

impl SupervisorSettings {
    /// Settings for these URLs with the default [`ReconnectPolicy`] and auto-reconnect on.
    pub fn new(failover: Failover) -> Self {
        SupervisorSettings {
            failover,
            policy: ReconnectPolicy::default(),
            auto_reconnect: true,
        }
    }
}

/// The next dial: when, and which failover entry ([`Supervisor::next_dial`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dial {
    /// When to dial; sleep until then (it may be now).
    pub at: Instant,
    /// Index into the failover list of the URL the dial goes to (a redirect target, when
    /// a `connect` was redirected, is returned by [`Supervisor::dialing`] instead).
    pub url_index: usize,
}

/// The decisions of a client's reconnect loop, shared by every adapter: when and where to
/// dial, what each failure means for the backoff and the failover list, and the
/// observable [`ConnectionState`].
///
/// The adapter's loop only waits, dials and reports:
///
/// ```text
/// let mut sup = Supervisor::new(settings, seed, now)?;
/// while let Some(dial) = sup.next_dial() {        // None: gave up or stopped
///     sleep_until(dial.at);
///     let url = sup.dialing(now);
///     match connect(url.socket_addr_string()) {
///         Err(e) => { sup.on_dial_error(now, &e); continue }
///         Ok(sock) => sup.on_tcp_connected(now),
///     }
///     run the ClientLink; for each event: if sup.on_event(now, &ev) { break } // it failed
///     on a socket error: sup.on_io_error(now, &e); wake at sup.healthy_deadline(): sup.tick(now)
/// }
/// ```
///
/// [`PublishTask`](super::PublishTask) and [`PlayTask`](super::PlayTask) run this loop
/// for a whole publisher or player.
///
/// Besides feeding the [`Reconnector`] and the [`StateMachine`], it decides three things
/// they leave open:
/// - **auto-reconnect off**: the failover list is still tried once at start, but a
///   connection that had started its stream and then failed ends the client;
/// - **connect redirects**: a `connect` refused with `ex.redirect` is followed at once
///   (the next dial goes to the redirect target, not counted as a round);
/// - only the first failure of a connection counts (a refused connect is followed by the
///   session's `Closed`).
#[derive(Debug)]
pub struct Supervisor {
    reconnector: Reconnector,
    sm: StateMachine,
    auto_reconnect: bool,
    next: Next,
    /// The URL of the current or next dial, when a redirect replaced the list's entry.
    redirect: Option<RtmpUrl>,
    current: Option<RtmpUrl>,
    /// The current connection already reported its failure.
    failed: bool,
    ever_started: bool,
    stopped: bool,
    last_failure: Option<FailureReason>,
}

impl Supervisor {
    /// Validates the policy; the first dial is due at `now`. `seed` draws the backoff
    /// jitter: take it from the OS in production, fix it in tests.
    pub fn new(settings: SupervisorSettings, seed: u64, now: Instant) -> Result<Self, PolicyError> {
        let reconnector = Reconnector::new(settings.policy, settings.failover, Rng::new(seed))?;
        let next = reconnector.first(now);
        Ok(Supervisor {
            reconnector,
            sm: StateMachine::new(),
            auto_reconnect: settings.auto_reconnect,
            next,
            redirect: None,
            current: None,
            failed: false,
            ever_started: false,
            stopped: false,
            last_failure: None,
        })
    }

    /// When and where to dial next; `None` once the client gave up or was stopped. Ask
    /// after every report (a failure moves it). While a connection is up or being dialed
    /// it still returns the dial that started it: dial only when there is neither.
    pub fn next_dial(&self) -> Option<Dial> {
        match self.next {
            _ if self.stopped => None,
            Next::RetryAt { at, url_index } => Some(Dial { at, url_index }),
            _ => None,
        }
    }

    /// Call when a dial starts (at [`Dial::at`]); returns the URL to dial: the failover
    /// entry, or the target of a `connect` redirect.
    pub fn dialing(&mut self, now: Instant) -> RtmpUrl {
        let url_index = match self.next {
            Next::RetryAt { url_index, .. } => url_index,
            _ => 0,
        };
        note(self.sm.dialing(now, url_index));
        self.reconnector.on_connect_attempt(now);
        self.failed = false;
        let url = match self.redirect.take() {
            Some(u) => u,
            None => self
                .reconnector
                .failover()
                .get(url_index)
                .unwrap_or_else(|| self.reconnector.failover().primary())
                .clone(),
        };
        self.current = Some(url.clone());
        url
    }

    /// The URL of the current (or last) connection.
    pub fn current_url(&self) -> Option<&RtmpUrl> {
        self.current.as_ref()
    }

    /// Call when the TCP connect of a dial failed (or timed out); the failure counts
    /// toward the backoff. An error wrapping a [`PermanentFailure`] (a TLS certificate
    /// that does not verify) is [`FailureReason::Permanent`]: the URL is not dialed again.
    pub fn on_dial_error(&mut self, now: Instant, error: &io::Error) {
        let text = error.to_string();
        let reason = if PermanentFailure::is_in(error) {
            FailureReason::Permanent(text)
        } else {
            FailureReason::Dial(text)
        };
        self.fail(now, reason);
    }

    /// Call when the TCP connect of a dial succeeded, before the handshake starts.
    pub fn on_tcp_connected(&mut self, now: Instant) {
        note(self.sm.tcp_connected(now));
    }

    /// Call on a socket error (read or write) of an established connection; drop the
    /// connection and go back to [`next_dial`](Self::next_dial).
    pub fn on_io_error(&mut self, now: Instant, error: &io::Error) {
        self.fail(now, FailureReason::Io(error.to_string()));
    }

    /// Call with every session event of the current connection, in order. Returns `true`
    /// when the connection failed with it: drop the connection and go back to
    /// [`next_dial`](Self::next_dial).
    pub fn on_event(&mut self, now: Instant, event: &ClientEvent) -> bool {
        if self.failed {
            return true;
        }
        match event {
            ClientEvent::Connected { .. } => note(self.sm.on_client_event(now, event)),
            ClientEvent::PublishStarted { .. } | ClientEvent::PlayStarted { .. } => {
                note(self.sm.on_client_event(now, event));
                self.reconnector.on_connected(now);
                self.ever_started = true;
            }
            _ => {}
        }
        let Some(reason) = FailureReason::from_event(event) else {
            return matches!(event, ClientEvent::Closed(_));
        };
        if let FailureReason::ConnectRejected {
            redirect: Some(to), ..
        } = &reason
            && let Some(cur) = &self.current
        {
            match cur.redirected(to) {
                Ok(url) => {
                    tracing::info!(from = %cur, to = %url, "connect redirected");
                    self.failed = true;
                    self.redirect = Some(url);
                    note(self.sm.failed(
                        now,
                        reason,
                        Next::RetryAt {
                            at: now,
                            url_index: self.reconnector.url_index(),
                        },
                    ));
                    self.next = Next::RetryAt {
                        at: now,
                        url_index: self.reconnector.url_index(),
                    };
                    return true;
                }
                Err(e) => tracing::warn!(to = %to, error = %e, "unusable redirect ignored"),
            }
        }
        self.fail(now, reason);
        true
    }

    /// Call at [`healthy_deadline`](Self::healthy_deadline): a connection up that long
    /// resets the backoff.
    pub fn tick(&mut self, now: Instant) {
        self.reconnector.on_healthy(now);
    }

    /// When to call [`tick`](Self::tick) next; `None` while no stream is started (or the
    /// connection was already found healthy).
    pub fn healthy_deadline(&self) -> Option<Instant> {
        self.reconnector.healthy_deadline()
    }

    /// Call when a reconnect-request handover completed: media now flows to `url`.
    pub fn handed_over(&mut self, now: Instant, url: RtmpUrl) {
        note(self.sm.handed_over(now, url.tc_url()));
        self.current = Some(url);
    }

    /// Call when the application stopped the client; [`next_dial`](Self::next_dial)
    /// returns `None` from now on.
    pub fn stop(&mut self, now: Instant) {
        if !self.stopped {
            self.stopped = true;
            if self.sm.state() != ConnectionState::Disconnected {
                note(self.sm.stopped(now));
            }
        }
    }

    /// The connection state.
    pub fn state(&self) -> ConnectionState {
        self.sm.state()
    }

    /// Whether the policy gave up (see [`last_failure`](Self::last_failure)).
    pub fn has_given_up(&self) -> bool {
        self.next == Next::GiveUp
    }

    /// The latest failure that counted (the reason the client gave up, once it did).
    pub fn last_failure(&self) -> Option<&FailureReason> {
        self.last_failure.as_ref()
    }

    /// The next state change not yet polled (for logs and the application): drain it
    /// after every call that reports something.
    #[must_use]
    pub fn poll_transition(&mut self) -> Option<Transition> {
        self.sm.poll_transition()
    }

    fn fail(&mut self, now: Instant, reason: FailureReason) {
        if self.failed || self.stopped {
            return;
        }
        self.failed = true;
        let last_url = self
            .reconnector
            .failover()
            .after(self.reconnector.url_index())
            .is_none();
        let next = if !self.auto_reconnect && (self.ever_started || last_url) {
            Next::GiveUp
        } else {
            self.reconnector.on_failure(now, reason.clone())
        };
        self.last_failure = Some(reason.clone());
        self.next = next;
        note(self.sm.failed(now, reason, next));
    }
}

/// Logs a refused transition: the supervisor feeds the state machine in order, so this
/// would be a bug here, not a reason to stop a stream.
fn note<T>(r: Result<T, IllegalTransition>) {
    if let Err(e) = r {
        tracing::debug!(error = %e, "state machine refused a transition");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::{CloseReason, StatusCode};
    use std::time::Duration;

    fn urls(list: &[&str]) -> Failover {
        Failover::new(list.iter().map(|u| RtmpUrl::parse(u).unwrap()).collect()).unwrap()
    }

    fn refused() -> io::Error {
        io::Error::from(io::ErrorKind::ConnectionRefused)
    }

    #[test]
    fn dead_primary_goes_to_the_backup_at_once_then_backs_off() {
        let t0 = Instant::now();
        let mut s = SupervisorSettings::new(urls(&["rtmp://a/live/x", "rtmp://b/live/x"]));
        s.policy = ReconnectPolicy::default().without_jitter();
        let mut sup = Supervisor::new(s, 1, t0).unwrap();
        let d = sup.next_dial().unwrap();
        assert_eq!((d.at, d.url_index), (t0, 0));
        assert_eq!(sup.dialing(t0).host(), "a");
        sup.on_dial_error(t0, &refused());
        let d = sup.next_dial().unwrap();
        assert_eq!((d.at, d.url_index), (t0, 1));
        assert_eq!(sup.dialing(t0).host(), "b");
        sup.on_dial_error(t0, &refused());
        let d = sup.next_dial().unwrap();
        assert_eq!((d.at, d.url_index), (t0 + Duration::from_secs(1), 0));
        assert_eq!(sup.state(), ConnectionState::Reconnecting);
    }

    #[test]
    fn a_permanent_failure_moves_on_and_is_not_dialed_again() {
        let t0 = Instant::now();
        let mut s = SupervisorSettings::new(urls(&["rtmps://a/live/x", "rtmp://b/live/x"]));
        s.policy = ReconnectPolicy::default().without_jitter();
        let mut sup = Supervisor::new(s, 1, t0).unwrap();
        sup.dialing(t0);
        let bad_cert = io::Error::new(
            io::ErrorKind::InvalidData,
            PermanentFailure::new("certificate: UnknownIssuer"),
        );
        sup.on_dial_error(t0, &bad_cert);
        assert!(matches!(
            sup.last_failure(),
            Some(FailureReason::Permanent(t)) if t.contains("UnknownIssuer")
        ));
        let d = sup.next_dial().unwrap();
        assert_eq!((d.at, d.url_index), (t0, 1), "the backup at once");
        for round in 0..5 {
            assert_eq!(sup.dialing(d.at).host(), "b", "round {round}");
            sup.on_dial_error(t0, &refused());
            let d = sup.next_dial().unwrap();
            assert_eq!(d.url_index, 1, "a is left out of every later round");
        }
    }

    #[test]
    fn every_url_permanently_failed_gives_up_at_once() {
        let t0 = Instant::now();
        let s = SupervisorSettings::new(urls(&["rtmps://a/live/x"]));
        let mut sup = Supervisor::new(s, 1, t0).unwrap();
        sup.dialing(t0);
        let bad = io::Error::other(PermanentFailure::new("certificate expired"));
        sup.on_dial_error(t0, &bad);
        assert!(sup.next_dial().is_none());
        assert!(sup.has_given_up());
    }

    #[test]
    fn only_the_first_failure_of_a_connection_counts() {
        let t0 = Instant::now();
        let mut s = SupervisorSettings::new(urls(&["rtmp://a/live/x"]));
        s.policy = ReconnectPolicy::default().without_jitter();
        let mut sup = Supervisor::new(s, 1, t0).unwrap();
        sup.dialing(t0);
        sup.on_tcp_connected(t0);
        let rejected = ClientEvent::ConnectRejected {
            code: StatusCode::ConnectRejected,
            description: String::new(),
            redirect: None,
        };
        assert!(sup.on_event(t0, &rejected));
        assert!(sup.on_event(t0, &ClientEvent::Closed(CloseReason::PeerClosed)));
        let d = sup.next_dial().unwrap();
        assert_eq!(d.at, t0 + Duration::from_secs(1), "one round, not two");
    }

    #[test]
    fn redirect_is_followed_at_once() {
        let t0 = Instant::now();
        let s = SupervisorSettings::new(urls(&["rtmp://a/live/x"]));
        let mut sup = Supervisor::new(s, 1, t0).unwrap();
        sup.dialing(t0);
        sup.on_tcp_connected(t0);
        let ev = ClientEvent::ConnectRejected {
            code: StatusCode::ConnectRejected,
            description: String::new(),
            redirect: Some("rtmp://c:1940/other".into()),
        };
        assert!(sup.on_event(t0, &ev));
        assert_eq!(sup.next_dial().unwrap().at, t0);
        assert_eq!(sup.dialing(t0).to_string(), "rtmp://c:1940/other/x");
    }

    #[test]
    fn without_auto_reconnect_a_started_stream_that_fails_gives_up() {
        let t0 = Instant::now();
        let mut s = SupervisorSettings::new(urls(&["rtmp://a/live/x"]));
        s.auto_reconnect = false;
        let mut sup = Supervisor::new(s, 1, t0).unwrap();
        sup.dialing(t0);
        sup.on_tcp_connected(t0);
        let connected = ClientEvent::Connected {
            properties: crate::amf::Value::Null,
            information: crate::amf::Value::Null,
            enhanced: None,
        };
        assert!(!sup.on_event(t0, &connected));
        assert_eq!(sup.state(), ConnectionState::Connected);
        sup.on_io_error(t0, &refused());
        assert!(sup.next_dial().is_none());
        assert!(sup.has_given_up());
        assert_eq!(sup.state(), ConnectionState::Disconnected);
    }
}
