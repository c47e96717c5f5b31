//! [`Reconnector`]: given what happened so far, when to try next and which URL.

use std::time::Instant;

use super::backoff::ReconnectPolicy;
use super::error::PolicyError;
use super::failover::Failover;
use super::failure::FailureReason;
use super::url::RtmpUrl;
use crate::rng::Rng;

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Next {
    /// Dial `url_index` of the failover list at `at` (which may be `now`).
    RetryAt {
        /// When to dial; sleep until then.
        at: Instant,
        /// Index into the failover list of the URL to dial.
        url_index: usize,
    },
    /// The policy's attempt limit is reached: stop and report the last failure.
    GiveUp,
}

/// Pure retry bookkeeping for one stream: the adapter reports attempts, successes and
/// failures with the current time and sleeps until the instant it is told.
///
/// The rules, in order, when a connection or an attempt fails:
/// 1. If the connection had been up for `healthy_after`, everything starts over: wait
///    `initial_delay` (jittered) and dial the primary. A long-lived connection that drops
///    is most likely a blip, and the primary is where we want to be.
/// 2. Otherwise count a failed attempt; past `max_attempts` in a row, [`Next::GiveUp`].
/// 3. If the failed URL has a backup after it, dial that after `failover_delay`.
/// 4. After the last URL of the list: wait the backoff delay of this round
///    (`initial * factor^round`, capped, jittered) and start again at the primary.
///
/// With a single URL, every failure ends a round: 1 s, 2 s, 4 s ... 60 s, 60 s.
#[derive(Debug, Clone)]
pub struct Reconnector {
    policy: ReconnectPolicy,
    failover: Failover,
    rng: Rng,
    index: usize,
    /// Completed failed rounds since the last reset: the backoff exponent.
    rounds: u32,
    /// Failed attempts in a row since the last reset.
    failures: u32,
    connected_at: Option<Instant>,
    /// The current connection has been up for `healthy_after`.
    healthy: bool,
    gave_up: bool,
    last_failure: Option<FailureReason>,
    /// URLs a [`FailureReason::Permanent`] left out of the rotation, by index.
    excluded: Vec<bool>,
}

impl Reconnector {
    /// Validates the policy. `rng` draws the jitter; seed it from the OS in production
    /// and fix it in tests.
    pub fn new(policy: ReconnectPolicy, failover: Failover, rng: Rng) -> Result<Self, PolicyError> {
        policy.validate()?;
        Ok(Reconnector {
            policy,
            failover,
            rng,
            index: 0,
            rounds: 0,
            failures: 0,
            connected_at: None,
            healthy: false,
            gave_up: false,
            last_failure: None,
            excluded: Vec::new(),
        })
    }

    /// The first attempt: the primary, now. Call once, before the first dial.
    pub fn first(&self, now: Instant) -> Next {
        Next::RetryAt {
            at: now,
            url_index: 0,
        }
    }

    /// A dial of [`url_index`](Self::url_index) starts.
    ///
    /// Call as every dial starts, the first one included: the previous connection's healthy
    /// clock stops.
    pub fn on_connect_attempt(&mut self, _now: Instant) {
        self.connected_at = None;
        self.healthy = false;
    }

    /// The attempt succeeded (the stream is publishing or playing): the healthy clock
    /// starts.
    ///
    /// Call on the session's [`PublishStarted`](crate::session::ClientEvent::PublishStarted)
    /// or [`PlayStarted`](crate::session::ClientEvent::PlayStarted), not on `Connected`: a
    /// server that accepts `connect` and refuses the stream is not a success.
    pub fn on_connected(&mut self, now: Instant) {
        self.connected_at = Some(now);
    }

    /// Checks whether the current connection has been up for `healthy_after`; if so the
    /// attempt count and backoff start over. Returns whether it is healthy. Call it at
    /// [`healthy_deadline`](Self::healthy_deadline) or whenever convenient; `on_failure`
    /// checks too, so calling it is optional.
    pub fn on_healthy(&mut self, now: Instant) -> bool {
        if !self.healthy
            && let Some(deadline) = self.healthy_deadline()
            && now >= deadline
        {
            self.healthy = true;
            self.rounds = 0;
            self.failures = 0;
            self.gave_up = false;
        }
        self.healthy
    }

    /// When the current connection will count as healthy (`None`: not connected, or
    /// already healthy).
    pub fn healthy_deadline(&self) -> Option<Instant> {
        if self.healthy {
            return None;
        }
        self.connected_at
            .and_then(|t| t.checked_add(self.policy.healthy_after))
    }

    /// An attempt or a connection failed: when to try next, and which URL.
    ///
    /// Call once per failed dial or ended connection, with its first failure only (a
    /// refused connect is followed by the session's `Closed`: report the refusal). Then
    /// sleep until the answer's `at`, or stop on [`Next::GiveUp`].
    ///
    /// A [`FailureReason::Permanent`] failure also leaves the URL out of every later
    /// round (a certificate that does not verify will not verify in a minute either);
    /// once every URL is out, the answer is [`Next::GiveUp`].
    pub fn on_failure(&mut self, now: Instant, reason: FailureReason) -> Next {
        let was_healthy = self.on_healthy(now);
        self.connected_at = None;
        self.healthy = false;
        if matches!(reason, FailureReason::Permanent(_)) {
            self.excluded.resize(self.failover.len(), false);
            if let Some(e) = self.excluded.get_mut(self.index) {
                *e = true;
            }
            if self.excluded.iter().all(|&e| e) {
                self.gave_up = true;
            }
        }
        self.last_failure = Some(reason);
        if self.gave_up {
            return Next::GiveUp;
        }
        self.failures = self.failures.saturating_add(1);
        if self
            .policy
            .max_attempts
            .is_some_and(|max| self.failures > max)
        {
            self.gave_up = true;
            return Next::GiveUp;
        }
        let delay = if was_healthy {
            self.index = self.usable_from(0).unwrap_or(0);
            self.rounds = 1;
            self.policy.delay(0, &mut self.rng)
        } else if let Some(next) = self
            .failover
            .after(self.index)
            .and_then(|i| self.usable_from(i))
        {
            self.index = next;
            self.policy.failover_delay
        } else {
            self.index = self.usable_from(0).unwrap_or(0);
            let d = self.policy.delay(self.rounds, &mut self.rng);
            self.rounds = self.rounds.saturating_add(1);
            d
        };
        Next::RetryAt {
            at: now.checked_add(delay).unwrap_or(now),
            url_index: self.index,
        }
    }

    /// The first URL at or after `index` not left out by a permanent failure.
    fn usable_from(&self, index: usize) -> Option<usize> {
        (index..self.failover.len()).find(|&i| !self.excluded.get(i).copied().unwrap_or(false))
    }

    /// Forgets the history (the URLs left out by permanent failures too): the next
    /// failure is treated like the first one.
    pub fn reset(&mut self) {
        self.excluded.clear();
        self.index = 0;
        self.rounds = 0;
        self.failures = 0;
        self.connected_at = None;
        self.healthy = false;
        self.gave_up = false;
    }

    /// The URL index the next (or current) attempt uses.
    pub fn url_index(&self) -> usize {
        self.index
    }

    /// The URL the next (or current) attempt uses.
    pub fn url(&self) -> &RtmpUrl {
        self.failover
            .get(self.index)
            .unwrap_or_else(|| self.failover.primary())
    }

    /// The URLs it chooses from.
    pub fn failover(&self) -> &Failover {
        &self.failover
    }

    /// The delays and limits it follows.
    pub fn policy(&self) -> &ReconnectPolicy {
        &self.policy
    }

    /// Failed attempts in a row since the last reset.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The most recent failure reported to [`on_failure`](Self::on_failure); kept across
    /// [`reset`](Self::reset), for the final report after giving up.
    pub fn last_failure(&self) -> Option<&FailureReason> {
        self.last_failure.as_ref()
    }

    /// Whether [`on_failure`](Self::on_failure) answered [`Next::GiveUp`]; it keeps
    /// answering so until a healthy connection or [`reset`](Self::reset).
    pub fn has_given_up(&self) -> bool {
        self.gave_up
    }
}
