//! [`Puller`]: an edge's decisions about pulling streams from origins.
//!
//! A play of a stream that is not live here is a demand: the edge pulls the stream from
//! its origins, once however many players ask, while the players wait (the relay's
//! waiting players). Origins are tried in their configured order: one that refuses, fails
//! or sends no media within the probe time gives way to the next; after a whole round
//! without media the edge waits (exponential backoff) and starts the round again. An
//! origin that dies mid-stream gives way to the next at once; the edge's players are held
//! meanwhile (the relay's publisher grace). The pull stops a configured time after the
//! last player left.
//!
//! The driver dials what a [`PullAction::Dial`] names (one connection per stream, which
//! replaces the stream's previous one), ends what a [`PullAction::Close`] names, and reports
//! back with the attempt's id: media arrived, the publisher went away, the connection
//! failed. Reports about an attempt that was replaced are ignored, so a late report from
//! a connection being torn down changes nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::remote::Remote;
use crate::client::{ReconnectPolicy, RtmpUrl};
use crate::relay::StreamKey;
use crate::rng::Rng;

/// How an edge pulls. Build with `PullConfig::new(origins)` and assign what you change.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PullConfig {
    /// The origins in failover order (each may have `|` alternatives, tried in order).
    pub origins: Vec<Remote>,
    /// How long a pull goes on after its last player left (default 10 s): a player that
    /// comes back meanwhile gets the stream at once.
    pub linger: Duration,
    /// How long an origin may take from the dial to the first media (and from its
    /// publisher leaving to media again) before the next origin is tried (default 5 s).
    pub probe: Duration,
    /// The wait after a whole round of origins without media (`max_attempts` is ignored:
    /// a pull goes on while players want it).
    pub backoff: ReconnectPolicy,
    /// Most streams pulled at once (default 1024): each is an outbound connection, and
    /// players can name any stream, so a peer cycling through names must not open one per
    /// name. A demand beyond it is not pulled (its players wait as for any stream).
    pub max_pulls: usize,
}

impl PullConfig {
    /// Pulls from `origins` with the default timings.
    pub fn new(origins: Vec<Remote>) -> Self {
        PullConfig {
            origins,
            linger: Duration::from_secs(10),
            probe: Duration::from_secs(5),
            backoff: ReconnectPolicy::default(),
            max_pulls: 1024,
        }
    }
}

/// Names one dial of one stream, so reports about an attempt that was since replaced are
/// told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PullAttempt(u64);

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PullAction {
    /// Play `url` and publish what it sends as `key` here, replacing `key`'s previous
    /// attempt if one is running.
    Dial {
        /// The stream.
        key: StreamKey,
        /// The origin's URL of it.
        url: RtmpUrl,
        /// This attempt, for the reports.
        attempt: PullAttempt,
    },
    /// Close `key`'s connection and release the stream here: the pull ended (nobody
    /// watches), or waits out a back-off before dialing again.
    Close {
        /// The stream.
        key: StreamKey,
    },
}

/// Where a pull stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PullPhase {
    /// Dialed an origin, no media yet (or its publisher left): it has until the probe
    /// time is up.
    Probing,
    /// Media flows from the origin.
    Receiving,
    /// A whole round of origins failed: waiting before the next round.
    BackingOff,
}

/// One stream's pull as stats report it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PullView {
    /// The origin URL of the current (or next) attempt.
    pub url: RtmpUrl,
    /// Where it stands.
    pub phase: PullPhase,
    /// Players here that watch or wait for it, as last reported.
    pub audience: usize,
}

#[derive(Debug)]
struct Pull {
    /// Every origin URL of this stream, in failover order.
    urls: Vec<RtmpUrl>,
    /// The URL being tried (or tried next after a back-off).
    at: usize,
    /// Whole rounds without media in a row.
    failed_rounds: u32,
    attempt: PullAttempt,
    phase: Phase,
    audience: usize,
    /// Since when nobody watches (none while someone does).
    empty_since: Option<Instant>,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Probing { until: Instant },
    Receiving,
    BackingOff { until: Instant },
}

/// An edge's pulls; see the module docs.
#[derive(Debug)]
pub struct Puller {
    config: PullConfig,
    pulls: HashMap<StreamKey, Pull>,
    next_attempt: u64,
    rng: Rng,
}

impl Puller {
    /// An edge pulling per `config`; `seed` seeds the back-off's jitter.
    pub fn new(config: PullConfig, seed: u64) -> Self {
        Puller {
            config,
            pulls: HashMap::new(),
            next_attempt: 0,
            rng: Rng::new(seed),
        }
    }

    /// The settings.
    pub fn config(&self) -> &PullConfig {
        &self.config
    }

    /// A player asked for `key`, which is not live here: the first demand starts a pull
    /// (a dial of the first origin); later ones only count as an audience. `None` when
    /// the stream is pulled already, `max_pulls` are, or no origin makes a URL for it.
    pub fn demand(&mut self, now: Instant, key: &StreamKey) -> Option<PullAction> {
        if let Some(pull) = self.pulls.get_mut(key) {
            pull.empty_since = None;
            pull.audience = pull.audience.max(1);
            return None;
        }
        if self.pulls.len() >= self.config.max_pulls {
            return None;
        }
        let urls: Vec<RtmpUrl> = self
            .config
            .origins
            .iter()
            .flat_map(|o| o.urls(key))
            .collect();
        if urls.is_empty() {
            return None;
        }
        let attempt = self.fresh_attempt();
        let pull = Pull {
            urls,
            at: 0,
            failed_rounds: 0,
            attempt,
            phase: Phase::Probing {
                until: now + self.config.probe,
            },
            audience: 1,
            empty_since: None,
        };
        let url = pull.urls[0].clone();
        self.pulls.insert(key.clone(), pull);
        Some(PullAction::Dial {
            key: key.clone(),
            url,
            attempt,
        })
    }

    /// Media arrived on `attempt`: the origin has the stream.
    pub fn on_media(&mut self, key: &StreamKey, attempt: PullAttempt) {
        if let Some(pull) = self.current(key, attempt) {
            pull.phase = Phase::Receiving;
            pull.failed_rounds = 0;
        }
    }

    /// The origin's publisher went away on `attempt` (the connection stays): it has the
    /// probe time to come back before the next origin is tried.
    pub fn on_unpublished(&mut self, now: Instant, key: &StreamKey, attempt: PullAttempt) {
        let probe = self.config.probe;
        if let Some(pull) = self.current(key, attempt) {
            pull.phase = Phase::Probing { until: now + probe };
        }
    }

    /// `attempt`'s connection failed, or the origin refused the play: the next origin is
    /// dialed at once, unless that ends a round without media (then after a back-off).
    pub fn on_failed(
        &mut self,
        now: Instant,
        key: &StreamKey,
        attempt: PullAttempt,
    ) -> Option<PullAction> {
        self.current(key, attempt)?;
        self.advance(now, key)
    }

    /// `key` became live here without the pull (a publisher of its own took the slot):
    /// the pull ends.
    pub fn cancel(&mut self, key: &StreamKey) -> Option<PullAction> {
        self.pulls
            .remove(key)
            .map(|_| PullAction::Close { key: key.clone() })
    }

    /// How many players here watch or wait for `key`; the pull stops `linger` after this
    /// drops to zero.
    pub fn on_audience(&mut self, now: Instant, key: &StreamKey, players: usize) {
        if let Some(pull) = self.pulls.get_mut(key) {
            pull.audience = players;
            if players > 0 {
                pull.empty_since = None;
            } else {
                pull.empty_since.get_or_insert(now);
            }
        }
    }

    /// The streams being pulled.
    pub fn keys(&self) -> impl Iterator<Item = &StreamKey> {
        self.pulls.keys()
    }

    /// `key`'s pull, as stats report it.
    pub fn view(&self, key: &StreamKey) -> Option<PullView> {
        self.pulls.get(key).map(|p| PullView {
            url: p.urls[p.at].clone(),
            phase: match p.phase {
                Phase::Probing { .. } => PullPhase::Probing,
                Phase::Receiving => PullPhase::Receiving,
                Phase::BackingOff { .. } => PullPhase::BackingOff,
            },
            audience: p.audience,
        })
    }

    /// When [`handle_timeout`](Self::handle_timeout) has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let linger = self.config.linger;
        self.pulls
            .values()
            .flat_map(|p| {
                let phase = match p.phase {
                    Phase::Probing { until } | Phase::BackingOff { until } => Some(until),
                    Phase::Receiving => None,
                };
                [phase, p.empty_since.map(|t| t + linger)]
            })
            .flatten()
            .min()
    }

    /// What is due at `now`: pulls nobody watched for `linger` stop, origins that sent no
    /// media within the probe time give way, back-offs that ended dial again.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<PullAction> {
        let linger = self.config.linger;
        let mut actions = Vec::new();
        let mut due: Vec<StreamKey> = Vec::new();
        for (key, pull) in &self.pulls {
            if pull.empty_since.is_some_and(|t| t + linger <= now) {
                actions.push(PullAction::Close { key: key.clone() });
            } else if match pull.phase {
                Phase::Probing { until } | Phase::BackingOff { until } => until <= now,
                Phase::Receiving => false,
            } {
                due.push(key.clone());
            }
        }
        for action in &actions {
            if let PullAction::Close { key } = action {
                self.pulls.remove(key);
            }
        }
        // In key order, so a test's expectations do not depend on the map's order.
        due.sort_by(|a, b| (a.app(), a.name()).cmp(&(b.app(), b.name())));
        for key in due {
            let backed_off = self
                .pulls
                .get(&key)
                .is_some_and(|p| matches!(p.phase, Phase::BackingOff { .. }));
            let action = if backed_off {
                self.redial(now, &key)
            } else {
                self.advance(now, &key)
            };
            actions.extend(action);
        }
        actions
    }

    /// The current pull of `key` if `attempt` is its attempt.
    fn current(&mut self, key: &StreamKey, attempt: PullAttempt) -> Option<&mut Pull> {
        self.pulls.get_mut(key).filter(|p| p.attempt == attempt)
    }

    /// Moves `key`'s pull to its next origin: dialed now, or after a back-off when that
    /// ends a round.
    fn advance(&mut self, now: Instant, key: &StreamKey) -> Option<PullAction> {
        let pull = self.pulls.get_mut(key)?;
        pull.at = (pull.at + 1) % pull.urls.len();
        if pull.at == 0 {
            let wait = self.config.backoff.delay(pull.failed_rounds, &mut self.rng);
            pull.failed_rounds = pull.failed_rounds.saturating_add(1);
            pull.phase = Phase::BackingOff { until: now + wait };
            // The round's last connection may still be open (an origin without the
            // stream): it is closed for the back-off, its reports ignored from now on.
            pull.attempt = PullAttempt(self.next_attempt);
            self.next_attempt += 1;
            return Some(PullAction::Close { key: key.clone() });
        }
        self.redial(now, key)
    }

    /// Dials `key`'s current origin under a fresh attempt.
    fn redial(&mut self, now: Instant, key: &StreamKey) -> Option<PullAction> {
        let attempt = self.fresh_attempt();
        let probe = self.config.probe;
        let pull = self.pulls.get_mut(key)?;
        pull.attempt = attempt;
        pull.phase = Phase::Probing { until: now + probe };
        Some(PullAction::Dial {
            key: key.clone(),
            url: pull.urls[pull.at].clone(),
            attempt,
        })
    }

    fn fresh_attempt(&mut self) -> PullAttempt {
        let a = PullAttempt(self.next_attempt);
        self.next_attempt += 1;
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn puller(origins: &[&str]) -> Puller {
        let origins = origins.iter().map(|o| Remote::parse(o).unwrap()).collect();
        let mut config = PullConfig::new(origins);
        config.backoff = ReconnectPolicy::default().without_jitter();
        Puller::new(config, 7)
    }

    fn dialed(action: Option<PullAction>) -> (String, PullAttempt) {
        match action {
            Some(PullAction::Dial { url, attempt, .. }) => (url.to_string(), attempt),
            other => panic!("expected a dial, got {other:?}"),
        }
    }

    fn key() -> StreamKey {
        StreamKey::new("live", "x")
    }

    #[test]
    fn one_pull_per_stream_however_many_players() {
        let t0 = Instant::now();
        let mut p = puller(&["rtmp://o1/{app}/{stream}"]);
        let (url, _) = dialed(p.demand(t0, &key()));
        assert_eq!(url, "rtmp://o1/live/x");
        assert_eq!(p.demand(t0, &key()), None);
        assert_eq!(p.demand(t0, &key()), None);
        assert_eq!(p.keys().count(), 1);
        let (url, _) = dialed(p.demand(t0, &StreamKey::new("live", "y")));
        assert_eq!(url, "rtmp://o1/live/y");
    }

    #[test]
    fn a_dead_origin_gives_way_to_the_next_at_once_and_a_round_backs_off() {
        let t0 = Instant::now();
        let mut p = puller(&[
            "rtmp://o1/live/{stream}|rtmp://o1b/live/{stream}",
            "rtmp://o2/live/{stream}",
        ]);
        let (_, a) = dialed(p.demand(t0, &key()));
        p.on_media(&key(), a);
        let (url, b) = dialed(p.on_failed(t0, &key(), a));
        assert_eq!(url, "rtmp://o1b/live/x");
        // A late report about the replaced attempt changes nothing.
        assert_eq!(p.on_failed(t0, &key(), a), None);
        let (url, c) = dialed(p.on_failed(t0, &key(), b));
        assert_eq!(url, "rtmp://o2/live/x");
        // The round is over: the connection closes and the edge backs off 1 s.
        assert_eq!(
            p.on_failed(t0, &key(), c),
            Some(PullAction::Close { key: key() })
        );
        assert_eq!(p.view(&key()).unwrap().phase, PullPhase::BackingOff);
        assert_eq!(p.poll_timeout(), Some(t0 + Duration::from_secs(1)));
        assert!(p.handle_timeout(t0 + Duration::from_millis(999)).is_empty());
        let actions = p.handle_timeout(t0 + Duration::from_secs(1));
        let (url, d) = dialed(actions.into_iter().next());
        assert_eq!(url, "rtmp://o1/live/x");
        // The next round that fails backs off twice as long.
        let t1 = t0 + Duration::from_secs(1);
        let e = dialed(p.on_failed(t1, &key(), d)).1;
        let f = dialed(p.on_failed(t1, &key(), e)).1;
        p.on_failed(t1, &key(), f);
        assert_eq!(p.poll_timeout(), Some(t1 + Duration::from_secs(2)));
    }

    #[test]
    fn media_resets_the_back_off() {
        let t0 = Instant::now();
        let mut p = puller(&["rtmp://o1/live/{stream}"]);
        let (_, a) = dialed(p.demand(t0, &key()));
        p.on_failed(t0, &key(), a);
        let t1 = t0 + Duration::from_secs(1);
        let (_, b) = dialed(p.handle_timeout(t1).into_iter().next());
        p.on_media(&key(), b);
        assert_eq!(p.view(&key()).unwrap().phase, PullPhase::Receiving);
        p.on_failed(t1, &key(), b);
        assert_eq!(p.poll_timeout(), Some(t1 + Duration::from_secs(1)));
    }

    #[test]
    fn an_origin_without_the_stream_gives_way_after_the_probe_time() {
        let t0 = Instant::now();
        let mut p = puller(&["rtmp://o1/live/{stream}", "rtmp://o2/live/{stream}"]);
        let (_, a) = dialed(p.demand(t0, &key()));
        assert_eq!(p.poll_timeout(), Some(t0 + Duration::from_secs(5)));
        let (url, b) = dialed(
            p.handle_timeout(t0 + Duration::from_secs(5))
                .into_iter()
                .next(),
        );
        assert_eq!(url, "rtmp://o2/live/x");
        // Media on the replaced attempt does not count.
        p.on_media(&key(), a);
        assert_eq!(p.view(&key()).unwrap().phase, PullPhase::Probing);
        p.on_media(&key(), b);
        assert_eq!(p.poll_timeout(), None);
        // Its publisher leaves: it has the probe time to come back.
        let t1 = t0 + Duration::from_secs(20);
        p.on_unpublished(t1, &key(), b);
        assert_eq!(p.poll_timeout(), Some(t1 + Duration::from_secs(5)));
        p.on_media(&key(), b);
        assert_eq!(p.poll_timeout(), None);
    }

    #[test]
    fn the_pull_stops_linger_after_the_last_player_left() {
        let t0 = Instant::now();
        let mut p = puller(&["rtmp://o1/live/{stream}"]);
        let (_, a) = dialed(p.demand(t0, &key()));
        p.on_media(&key(), a);
        p.on_audience(t0, &key(), 3);
        p.on_audience(t0 + Duration::from_secs(1), &key(), 0);
        // Still nobody a second later: the clock runs from the first empty report.
        p.on_audience(t0 + Duration::from_secs(2), &key(), 0);
        assert_eq!(p.poll_timeout(), Some(t0 + Duration::from_secs(11)));
        // A player comes back in time: no stop.
        p.on_audience(t0 + Duration::from_secs(5), &key(), 1);
        assert_eq!(p.poll_timeout(), None);
        p.on_audience(t0 + Duration::from_secs(6), &key(), 0);
        assert!(p.handle_timeout(t0 + Duration::from_secs(15)).is_empty());
        let stop = p.handle_timeout(t0 + Duration::from_secs(16));
        assert_eq!(stop, vec![PullAction::Close { key: key() }]);
        assert_eq!(p.keys().count(), 0);
        // A new demand starts over.
        assert!(p.demand(t0 + Duration::from_secs(17), &key()).is_some());
    }

    #[test]
    fn pulls_are_bounded_however_many_names_players_ask_for() {
        let t0 = Instant::now();
        let mut p = puller(&["rtmp://o1/live/{stream}"]);
        p.config.max_pulls = 2;
        assert!(p.demand(t0, &StreamKey::new("live", "a")).is_some());
        assert!(p.demand(t0, &StreamKey::new("live", "b")).is_some());
        assert_eq!(p.demand(t0, &StreamKey::new("live", "c")), None);
        // One ends (nobody watches it any more): room for the next.
        p.on_audience(t0, &StreamKey::new("live", "a"), 0);
        p.handle_timeout(t0 + Duration::from_secs(10));
        assert!(p.demand(t0, &StreamKey::new("live", "c")).is_some());
    }

    #[test]
    fn a_local_publisher_cancels_the_pull() {
        let t0 = Instant::now();
        let mut p = puller(&["rtmp://o1/live/{stream}"]);
        dialed(p.demand(t0, &key()));
        assert_eq!(p.cancel(&key()), Some(PullAction::Close { key: key() }));
        assert_eq!(p.cancel(&key()), None);
    }
}
