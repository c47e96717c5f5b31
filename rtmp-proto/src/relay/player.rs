//! [`PlayerPolicy`]: per player, what to do with each outgoing frame.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::backlog::Backlog;
use super::cache::StreamCache;
use super::config::RelayConfig;
use super::counters::PlayerStats;
use super::frame::{Frame, FrameClass};
use crate::media::{AudioCodec, AudioTag, VideoCodec, VideoTag};
use crate::session::{Droppable, MediaKind};

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
    /// A new publisher of the stream (after [`on_republish`](PlayerPolicy::on_republish))
    /// changed a track's codec, which the player's decoder cannot follow mid-stream: end
    /// its stream (`ServerSession::end_stream`) and leave the registry, as when a stream
    /// ends. Final, like `Disconnect`.
    EndStream,
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

/// What a metadata or sequence-header frame is to a player.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ConfigCheck {
    /// It has exactly this one.
    Same,
    /// A track's codec changed.
    CodecChanged,
    /// A first one, or a changed one of the same codec.
    New,
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
/// [`Playback`](super::Playback) applies it to a `ServerSession` (use that unless the
/// player is not a session). Use, per player (it is `Send`; keep it wherever the player's
/// output queue lives):
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
    /// Added (wrapping) to every timestamp sent: keeps the timeline monotonic across a
    /// publisher's reconnect (the new one starts its clock at 0).
    offset: u32,
    /// The last timestamp sent (offset applied), and when.
    last_out: Option<(u32, Instant)>,
    /// A new publisher took over: the next frame sent sets `offset`.
    rebase: bool,
    /// The last video frame's timestamp sent (offset applied) and the step before it (a
    /// frame's duration, once two were sent): a new publisher's first frame goes at
    /// least one step after the last, so a fast switch (a pull moving to another origin
    /// in milliseconds) does not stamp two frames within one frame's duration, which
    /// players that count in frames (ffmpeg's muxers) reject as non-monotonic.
    last_video: Option<u32>,
    video_step: u32,
    /// Since a new publisher took over, until its first keyframe went out: its metadata and
    /// sequence headers go out only if they differ from what the player has.
    republished: bool,
    /// The metadata and sequence headers this player has, so a new publisher's identical
    /// ones are not sent again, and a changed codec is noticed.
    sent_configs: Vec<SentConfig>,
}

/// A metadata or sequence-header frame a player was sent.
#[derive(Debug, Clone)]
struct SentConfig {
    class: FrameClass,
    track: u8,
    payload: Bytes,
    codec: Codec,
}

/// A track's codec, as far as a decoder switch goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    None,
    Video(Option<VideoCodec>),
    Audio(Option<AudioCodec>),
}

impl Codec {
    fn of(frame: &Frame) -> Codec {
        match frame.as_media() {
            Some(m) if m.kind == MediaKind::Video => Codec::Video(
                VideoTag::parse(m.payload.clone())
                    .ok()
                    .and_then(|t| t.codec()),
            ),
            Some(m) => Codec::Audio(
                AudioTag::parse(m.payload.clone())
                    .ok()
                    .and_then(|t| t.codec()),
            ),
            None => Codec::None,
        }
    }
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
            offset: 0,
            last_out: None,
            rebase: false,
            last_video: None,
            video_step: 0,
            republished: false,
            sent_configs: Vec::new(),
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
        if class.is_config() && self.republished {
            match self.config_verdict(frame) {
                ConfigCheck::Same => return Verdict::Skip,
                ConfigCheck::CodecChanged => {
                    self.disconnected = true;
                    return Verdict::EndStream;
                }
                ConfigCheck::New => {}
            }
        }
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
                self.sent_at(now, frame);
                if class == FrameClass::VideoKeyframe || !self.seen_video {
                    self.republished = false;
                }
            }
            _ => self.stats.frames_dropped += 1,
        }
        verdict
    }

    /// The timestamp to send `frame` with: the publisher's, shifted so that this player's
    /// timeline stays monotonic and continuous across a publisher's reconnect.
    ///
    /// Call for every frame the policy answered [`Verdict::Send`], right after `offer`
    /// (and for the frames [`unpause`](Self::unpause) returns), and send the frame with it.
    pub fn timestamp(&self, frame: &Frame) -> u32 {
        frame.timestamp().wrapping_add(self.offset)
    }

    /// The stream's publisher went away and a new one took over within the grace period
    /// ([`PublishGrant::resumed`](super::PublishGrant::resumed)): video resumes at the
    /// next keyframe (audio with it, when the stream has video), metadata and sequence
    /// headers go out only if they changed, and the first frame sent is placed as long
    /// after the last one as the gap between them lasted (the new publisher's clock
    /// starts over).
    ///
    /// Call once per resumed player, before offering it the new publisher's frames.
    pub fn on_republish(&mut self) {
        self.rebase = true;
        self.republished = true;
        self.lagging = false;
        self.gate = Gate::AwaitKeyframe {
            hold_audio: self.seen_video,
        };
    }

    /// Records that `frame` went out at `now`: the timeline a new publisher continues.
    fn sent_at(&mut self, now: Instant, frame: &Frame) {
        if std::mem::take(&mut self.rebase) {
            // Continue from the last timestamp sent, plus the wall time since.
            let next = match self.last_out {
                Some((ts, at)) => {
                    let gap = now.saturating_duration_since(at).as_millis();
                    let gap = u32::try_from(gap).unwrap_or(u32::MAX).max(self.video_step);
                    ts.wrapping_add(gap)
                }
                None => frame.timestamp(),
            };
            self.offset = next.wrapping_sub(frame.timestamp());
        }
        let out = self.timestamp(frame);
        if frame.class() == FrameClass::VideoKeyframe || frame.class() == FrameClass::VideoInter {
            if let Some(prev) = self.last_video {
                let step = out.wrapping_sub(prev);
                if (1..=1000).contains(&step) {
                    self.video_step = step;
                }
            }
            self.last_video = Some(out);
        }
        // Monotonic: a frame stamped before the last one sent (B-frames' decode order
        // keeps DTS monotonic; this only guards a rebase) does not move it back.
        let last = match self.last_out {
            Some((ts, _)) if (out.wrapping_sub(ts) as i32) < 0 => ts,
            _ => out,
        };
        self.last_out = Some((last, now));
    }

    /// What a metadata or sequence-header frame means for this player.
    fn config_verdict(&mut self, frame: &Frame) -> ConfigCheck {
        let class = frame.class();
        let track = frame.track();
        let codec = Codec::of(frame);
        let known = self
            .sent_configs
            .iter()
            .position(|c| c.class == class && c.track == track);
        let check = match known.and_then(|i| self.sent_configs.get(i)) {
            Some(c) if c.payload == *frame.payload() => ConfigCheck::Same,
            Some(c) if c.codec != codec && class.is_config() => ConfigCheck::CodecChanged,
            _ => ConfigCheck::New,
        };
        if check == ConfigCheck::New {
            let sent = SentConfig {
                class,
                track,
                payload: frame.payload().clone(),
                codec,
            };
            match known.and_then(|i| self.sent_configs.get_mut(i)) {
                Some(slot) => *slot = sent,
                None => self.sent_configs.push(sent),
            }
        }
        check
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
        if frame.class().is_config() {
            let _ = self.config_verdict(frame);
        }
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
