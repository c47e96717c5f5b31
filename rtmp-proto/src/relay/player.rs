//! [`PlayerPolicy`]: per player, what to do with each outgoing frame.

use std::time::{Duration, Instant};

use super::backlog::Backlog;
use super::cache::StreamCache;
use super::config::RelayConfig;
use super::counters::PlayerStats;
use super::frame::{Frame, FrameClass};
use crate::session::Droppable;

/// The answer of [`PlayerPolicy::offer`] for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Queue it ([`Frame::send_to`]) with this droppability. Non-key video is
    /// `Droppable::Yes`: after a lag event the adapter may call
    /// `ServerSession::discard_droppable()` to shed what is already queued, which is safe
    /// because the player resumes at a keyframe anyway.
    Send(Droppable),
    /// Do not send it (paused, waiting for a keyframe, or dropped for lag).
    Skip,
    /// The player cannot keep up: close its connection (and call
    /// [`Registry::close_connection`](super::Registry::close_connection)). Final: every later
    /// offer answers `Skip`.
    Disconnect(LagReason),
}

/// Why a player was disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LagReason {
    /// Its backlog passed `player_hard_bytes`.
    HardBytes,
    /// Its oldest queued frame is older than `player_max_age`.
    MaxAge,
    /// `max_consecutive_lag_events` lag events in a row.
    ConsecutiveLag,
}

/// Where a player's video stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Everything goes out.
    Open,
    /// Non-key video is held until a keyframe; audio too when `hold_audio`.
    AwaitKeyframe { hold_audio: bool },
}

/// The decisions for one player: lag handling, pause/unpause and keyframe gating.
///
/// Adapter use, per player (it is `Send`; keep it wherever the player's session lives):
/// 1. get it from [`Join::Live`](super::Join::Live) or [`Join::Waiting`](super::Join::Waiting),
///    and send the `Live` initial frames directly;
/// 2. for every live frame: `match policy.offer(now, &frame, backlog)`, where `backlog` is
///    `session.pending_transmit_bytes()` plus whatever your adapter buffers for this player
///    outside the session; `Send(d)` → `frame.send_to(session, stream, d)`; `Skip` → nothing;
///    `Disconnect` → close the connection;
/// 3. on `ServerEvent::Paused { paused: true }` call [`pause`](Self::pause); on
///    `paused: false` send every frame [`unpause`](Self::unpause) returns;
/// 4. now and then add [`take_stats`](Self::take_stats) to the registry counters.
///
/// The policy never blocks and never looks at other players: a slow player only ever
/// loses its own frames or its own connection.
#[derive(Debug, Clone)]
pub struct PlayerPolicy {
    soft_bytes: usize,
    hard_bytes: usize,
    soft_age: Duration,
    max_age: Duration,
    max_consecutive: u32,
    gate: Gate,
    paused: bool,
    /// Dropping for lag (the gate is closed because of it).
    lagging: bool,
    consecutive: u32,
    /// Keyframes sent since the last lag event; a second one means a whole clean GOP.
    keyframes_since_lag: u32,
    seen_video: bool,
    /// The lowest video track with keyframes so far: only its keyframes open the gate.
    primary: Option<u8>,
    /// Backlog allowance for the join burst (the cached GOP), shrinking as it drains.
    grace: usize,
    disconnected: bool,
    backlog: Backlog,
    stats: PlayerStats,
    reported: PlayerStats,
}

impl PlayerPolicy {
    /// A policy for a player that starts on live frames: video waits for a keyframe, audio
    /// flows at once.
    pub fn new(config: &RelayConfig) -> Self {
        PlayerPolicy {
            soft_bytes: config.player_soft_bytes,
            hard_bytes: config.player_hard_bytes,
            soft_age: config.player_soft_age,
            max_age: config.player_max_age,
            max_consecutive: config.max_consecutive_lag_events,
            gate: Gate::AwaitKeyframe { hold_audio: false },
            paused: false,
            lagging: false,
            consecutive: 0,
            keyframes_since_lag: 0,
            seen_video: false,
            primary: None,
            grace: 0,
            disconnected: false,
            backlog: Backlog::default(),
            stats: PlayerStats::default(),
            reported: PlayerStats::default(),
        }
    }

    /// A policy for a player that was just sent `initial` (a late join): if it holds a
    /// keyframe, live video continues from it; its bytes do not count as lag until they
    /// drain. Counts `initial` as sent.
    pub fn after_join(config: &RelayConfig, initial: &[Frame]) -> Self {
        let mut p = PlayerPolicy::new(config);
        for f in initial {
            if f.class() == FrameClass::VideoKeyframe && p.is_primary_key(f) {
                p.gate = Gate::Open;
            }
            if f.class().is_video() {
                p.seen_video = true;
            }
            p.grace = p.grace.saturating_add(f.len());
            p.count_sent(f);
        }
        p
    }

    /// Decides what to do with `frame`, given the player's backlog: payload bytes queued
    /// toward it and not yet written to its socket.
    ///
    /// Call for every live frame of the stream, in publishing order, just before it would
    /// be sent to this player, with the backlog measured at that moment.
    pub fn offer(&mut self, now: Instant, frame: &Frame, backlog: usize) -> Verdict {
        if self.disconnected || self.paused {
            return Verdict::Skip;
        }
        let class = frame.class();
        if class.is_video() {
            self.seen_video = true;
        }
        self.grace = self.grace.min(backlog);
        let age = self.backlog.age(now, backlog);
        let hard = self.hard_bytes.saturating_add(self.grace);
        if backlog > 0 && backlog.saturating_add(frame.len()) > hard {
            return self.disconnect(LagReason::HardBytes);
        }
        if age > self.max_age {
            return self.disconnect(LagReason::MaxAge);
        }
        let over_soft = backlog > self.soft_bytes.saturating_add(self.grace) || age > self.soft_age;
        if over_soft && !self.lagging {
            self.lagging = true;
            self.gate = Gate::AwaitKeyframe { hold_audio: false };
            self.keyframes_since_lag = 0;
            self.consecutive = self.consecutive.saturating_add(1);
            self.stats.lag_events += 1;
            if self.max_consecutive > 0 && self.consecutive >= self.max_consecutive {
                return self.disconnect(LagReason::ConsecutiveLag);
            }
        }
        if !self.seen_video {
            // Audio-only: no keyframes to resume at or to count clean GOPs by. Lag ends when
            // the backlog is back under the bound; an empty queue means it fully caught up.
            if self.lagging && !over_soft {
                self.lagging = false;
                self.gate = Gate::Open;
            }
            if backlog == 0 {
                self.consecutive = 0;
            }
        }
        let primary_key = class == FrameClass::VideoKeyframe && self.is_primary_key(frame);
        let verdict = match (class, self.gate) {
            (FrameClass::VideoKeyframe, Gate::AwaitKeyframe { .. })
                if over_soft || !primary_key =>
            {
                Verdict::Skip
            }
            (FrameClass::VideoKeyframe, Gate::Open) if !primary_key => Verdict::Send(Droppable::No),
            (FrameClass::VideoKeyframe, _) => {
                if self.lagging || self.gate != Gate::Open {
                    self.lagging = false;
                    self.gate = Gate::Open;
                    self.keyframes_since_lag = 1;
                } else {
                    self.keyframes_since_lag = self.keyframes_since_lag.saturating_add(1);
                    if self.keyframes_since_lag >= 2 {
                        self.consecutive = 0;
                    }
                }
                Verdict::Send(Droppable::No)
            }
            (FrameClass::VideoInter, Gate::AwaitKeyframe { .. }) => Verdict::Skip,
            (FrameClass::VideoInter, Gate::Open) => Verdict::Send(Droppable::Yes),
            (FrameClass::Audio, Gate::AwaitKeyframe { hold_audio: true }) => Verdict::Skip,
            _ => Verdict::Send(Droppable::No),
        };
        match verdict {
            Verdict::Send(_) => {
                self.backlog.record(now, frame.len());
                self.count_sent(frame);
            }
            _ => self.stats.frames_dropped += 1,
        }
        verdict
    }

    /// Whether `keyframe` is of the lowest video track seen so far (and remembers it).
    fn is_primary_key(&mut self, keyframe: &Frame) -> bool {
        if self.primary.is_none_or(|p| keyframe.track() <= p) {
            self.primary = Some(keyframe.track());
            true
        } else {
            false
        }
    }

    fn disconnect(&mut self, why: LagReason) -> Verdict {
        self.disconnected = true;
        self.stats.lag_disconnects += 1;
        self.stats.frames_dropped += 1;
        Verdict::Disconnect(why)
    }

    fn count_sent(&mut self, frame: &Frame) {
        self.stats.frames_sent += 1;
        self.stats.bytes_sent = self.stats.bytes_sent.saturating_add(frame.len() as u64);
    }

    /// The player paused: nothing is sent until [`unpause`](Self::unpause).
    ///
    /// Call on the player's `ServerEvent::Paused { paused: true }`.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    /// The player resumed. Returns what to send now (metadata and sequence headers from
    /// `cache`); live video then resumes at the next keyframe, and audio is held until that
    /// keyframe too when the stream has video (so the two restart together).
    ///
    /// Call on the player's `ServerEvent::Paused { paused: false }`, and send the frames
    /// before any later live frame.
    pub fn unpause(&mut self, cache: &StreamCache) -> Vec<Frame> {
        self.paused = false;
        let has_video = cache.has_video() || self.seen_video;
        self.gate = Gate::AwaitKeyframe {
            hold_audio: has_video,
        };
        self.lagging = false;
        let frames = cache.resume_frames();
        for f in &frames {
            self.count_sent(f);
        }
        frames
    }

    /// Whether the player paused (between [`pause`](Self::pause) and
    /// [`unpause`](Self::unpause)); every offer answers `Skip` meanwhile.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Dropping non-key video after a lag event.
    pub fn is_lagging(&self) -> bool {
        self.lagging
    }

    /// Lag events since the player last played a whole GOP without lagging.
    pub fn consecutive_lag_events(&self) -> u32 {
        self.consecutive
    }

    /// A `Disconnect` verdict was given.
    pub fn is_disconnected(&self) -> bool {
        self.disconnected
    }

    /// Totals for this player since it joined.
    pub fn stats(&self) -> &PlayerStats {
        &self.stats
    }

    /// What changed since the previous call: add it to the global counters with
    /// [`Counters::add_player`](super::Counters::add_player).
    pub fn take_stats(&mut self) -> PlayerStats {
        let delta = self.stats.since(&self.reported);
        self.reported = self.stats;
        delta
    }
}
