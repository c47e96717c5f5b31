//! The server's own counters, beside the relay's: connections by state, accepts by
//! transport, refusals by hooks and accept limits. Atomics, so the accept loop, connection
//! tasks and the HTTP side count without a lock; copied into
//! [`Counters`](rtmp_proto::relay::Counters) for a snapshot.

use std::sync::atomic::{AtomicU64, Ordering};

use rtmp_proto::relay::Counters;

/// Where a network connection is in its life; see
/// [`ConnectionStates`](rtmp_proto::relay::ConnectionStates).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Handshaking,
    Idle,
    Publishing,
    Playing,
}

/// A kind of request refused, for [`ServerCounters::refused`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Refused {
    /// `connect` refused by the `on_connect` hook.
    ConnectByHook,
    /// A socket closed on accept: the server's connection limit.
    ConnectByLimit,
    /// `publish` refused by the `on_publish` hook.
    PublishByHook,
    /// `play` (or an HTTP-FLV request) refused by the `on_play` hook.
    PlayByHook,
    /// An HTTP connection closed on accept: the HTTP side's connection limit.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    HttpConnection,
}

/// The counters; one per server, in `Shared`.
#[derive(Debug, Default)]
pub(crate) struct ServerCounters {
    /// Gauges, by [`Phase`] (its index).
    phases: [AtomicU64; 4],
    accepted_plain: AtomicU64,
    accepted_tls: AtomicU64,
    connects_by_hook: AtomicU64,
    connects_by_limit: AtomicU64,
    publishes_by_hook: AtomicU64,
    plays_by_hook: AtomicU64,
    http_refused: AtomicU64,
    /// Gauge: HTTP connections open.
    http_open: AtomicU64,
}

impl ServerCounters {
    /// A connection accepted on the TLS listener (`tls`) or the plain one.
    pub(crate) fn accepted(&self, tls: bool) {
        let c = if tls {
            &self.accepted_tls
        } else {
            &self.accepted_plain
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// One refusal.
    pub(crate) fn refused(&self, what: Refused) {
        let c = match what {
            Refused::ConnectByHook => &self.connects_by_hook,
            Refused::ConnectByLimit => &self.connects_by_limit,
            Refused::PublishByHook => &self.publishes_by_hook,
            Refused::PlayByHook => &self.plays_by_hook,
            Refused::HttpConnection => &self.http_refused,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// An HTTP connection was accepted: counted and `true` while fewer than `limit` are
    /// open, else refused (counted as such) and `false`. One accept loop calls it, so the
    /// check and the count need not be one atomic step.
    #[cfg(feature = "http")]
    pub(crate) fn http_opened(&self, limit: usize) -> bool {
        if self.http_open.load(Ordering::Acquire) >= limit as u64 {
            self.refused(Refused::HttpConnection);
            return false;
        }
        self.http_open.fetch_add(1, Ordering::AcqRel);
        true
    }

    /// An HTTP connection ended.
    #[cfg(feature = "http")]
    pub(crate) fn http_closed(&self) {
        self.http_open.fetch_sub(1, Ordering::AcqRel);
    }

    /// A connection moved from state `from` (`None`: it is new) to `to` (`None`: it
    /// ended).
    pub(crate) fn moved(&self, from: Option<Phase>, to: Option<Phase>) {
        if let Some(p) = from {
            self.phases[p as usize].fetch_sub(1, Ordering::Relaxed);
        }
        if let Some(p) = to {
            self.phases[p as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Copies the counters into `c` (the relay's counters, read under the hub's lock).
    pub(crate) fn fill(&self, c: &mut Counters) {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        c.states.handshaking = get(&self.phases[Phase::Handshaking as usize]);
        c.states.idle = get(&self.phases[Phase::Idle as usize]);
        c.states.publishing = get(&self.phases[Phase::Publishing as usize]);
        c.states.playing = get(&self.phases[Phase::Playing as usize]);
        c.accepted_plain = get(&self.accepted_plain);
        c.accepted_tls = get(&self.accepted_tls);
        c.rejected.connects.hook = get(&self.connects_by_hook);
        c.rejected.connects.limit = get(&self.connects_by_limit);
        c.rejected.publishes.hook = get(&self.publishes_by_hook);
        c.rejected.plays.hook = get(&self.plays_by_hook);
        c.rejected.http_connections = get(&self.http_refused);
        c.http_connections = get(&self.http_open);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_move_and_refusals_land_in_their_cause() {
        let s = ServerCounters::default();
        s.moved(None, Some(Phase::Handshaking));
        s.moved(None, Some(Phase::Handshaking));
        s.moved(Some(Phase::Handshaking), Some(Phase::Idle));
        s.moved(Some(Phase::Idle), Some(Phase::Playing));
        s.accepted(true);
        s.accepted(false);
        s.accepted(false);
        s.refused(Refused::PlayByHook);
        s.refused(Refused::ConnectByLimit);
        assert!(s.http_opened(2) && s.http_opened(2));
        assert!(!s.http_opened(2));
        s.http_closed();
        let mut c = Counters::default();
        s.fill(&mut c);
        assert_eq!(
            (c.states.handshaking, c.states.idle, c.states.playing),
            (1, 0, 1)
        );
        assert_eq!((c.accepted_plain, c.accepted_tls), (2, 1));
        assert_eq!((c.rejected.plays.hook, c.rejected.connects.limit), (1, 1));
        assert_eq!((c.http_connections, c.rejected.http_connections), (1, 1));
        s.moved(Some(Phase::Playing), None);
        s.fill(&mut c);
        assert_eq!(c.states.playing, 0);
    }
}
