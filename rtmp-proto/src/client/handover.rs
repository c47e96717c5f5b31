//! Honouring `NetConnection.Connect.ReconnectRequest` (RTMP-NOTES 25) without losing media.
//!
//! The server asks a publisher to move (to another `tcUrl`, or to reconnect to the same
//! one). Dropping the connection and dialing again would lose whatever is sent meanwhile;
//! instead the client runs two connections for a moment:
//!
//! 1. **Opening**: dial [`Handover::new_url`] and publish there; keep sending every frame
//!    on the old connection.
//! 2. **Ready** ([`Handover::on_new_ready`], at the new connection's `PublishStarted`):
//!    keep sending on the old connection until the next video keyframe is about to be sent.
//! 3. **Switched**: that keyframe goes to the new connection, preceded by the latest
//!    sequence headers ([`Handover::preamble`]) so a decoder there can start; every later
//!    frame goes to the new connection. Drain the old connection's transmit queue and
//!    close it.
//!
//! Every frame is routed exactly once, in order, so nothing is lost or sent twice. An
//! audio-only stream (no video seen by the time the new connection is ready) switches at
//! the next frame of any kind. Metadata (`@setDataFrame`) is the caller's to re-send on
//! the new connection before the switch frame, like the preamble.
//!
//! This is the publisher's side. A player asked to reconnect has nothing to switch at (the
//! server picks its start point); it plays from the new URL and drops the old connection
//! once the new one delivers media.

use super::error::UrlError;
use super::url::RtmpUrl;
use crate::relay::{Frame, FrameClass};
use crate::session::{Media, MediaKind};

/// Most sequence headers kept for the preamble (one per kind and track; E-RTMP has at most
/// 256 tracks per kind).
const MAX_PREAMBLE: usize = 512;

/// Where a handover is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandoverPhase {
    /// The new connection is being opened; frames go to the old one.
    Opening,
    /// The new connection publishes; waiting for a keyframe to switch at.
    Ready,
    /// Frames go to the new connection; close the old one once its queue is written.
    Switched,
    /// The new connection failed; frames stay on the old one.
    Aborted,
}

/// Where to send one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route {
    /// Send on the old connection.
    Old,
    /// This frame is the switch point: send [`Handover::preamble`] on the new connection,
    /// then this frame, then drain and close the old connection.
    Switch,
    /// Send on the new connection.
    New,
}

/// The pure decision logic of one reconnect-request handover.
#[derive(Debug, Clone)]
pub struct Handover {
    new_url: RtmpUrl,
    phase: HandoverPhase,
    seen_video: bool,
    /// The latest sequence header per (kind, track), in arrival order.
    preamble: Vec<(MediaKind, u8, Media)>,
}

impl Handover {
    /// Starts a handover away from `current`. `tc_url` is the request's `tcUrl` (the app of
    /// the new server; the stream name stays), or `None` to reconnect to the same URL.
    pub fn new(current: &RtmpUrl, tc_url: Option<&str>) -> Result<Self, UrlError> {
        let new_url = match tc_url {
            Some(t) => current.redirected(t)?,
            None => current.clone(),
        };
        Ok(Handover {
            new_url,
            phase: HandoverPhase::Opening,
            seen_video: false,
            preamble: Vec::new(),
        })
    }

    /// Where to dial the new connection.
    pub fn new_url(&self) -> &RtmpUrl {
        &self.new_url
    }

    /// How far the handover has got.
    pub fn phase(&self) -> HandoverPhase {
        self.phase
    }

    /// Seeds the preamble with a sequence header sent before the handover began (the
    /// caller's cached configuration); other frames are ignored. Also tells the handover
    /// the stream has video, so it waits for a keyframe.
    pub fn remember(&mut self, media: &Media) {
        let frame = Frame::media(media.clone());
        self.note(&frame, media);
    }

    /// The new connection publishes: switch at the next keyframe.
    ///
    /// Call when the new connection's session reports `PublishStarted`. Does nothing
    /// unless the handover is still opening.
    pub fn on_new_ready(&mut self) {
        if self.phase == HandoverPhase::Opening {
            self.phase = HandoverPhase::Ready;
        }
    }

    /// The new connection failed before the switch: keep using the old one. After the
    /// switch there is nothing to abort (the old connection is being closed).
    ///
    /// Call when the new connection's dial fails or its session closes or refuses the
    /// publish before [`route`](Self::route) answered [`Route::Switch`].
    pub fn abort(&mut self) {
        if matches!(self.phase, HandoverPhase::Opening | HandoverPhase::Ready) {
            self.phase = HandoverPhase::Aborted;
        }
    }

    /// Routes the next frame about to be sent. Call once per frame, in sending order.
    pub fn route(&mut self, media: &Media) -> Route {
        let frame = Frame::media(media.clone());
        self.note(&frame, media);
        match self.phase {
            HandoverPhase::Opening | HandoverPhase::Aborted => Route::Old,
            HandoverPhase::Switched => Route::New,
            HandoverPhase::Ready => {
                let boundary = if self.seen_video {
                    frame.class() == FrameClass::VideoKeyframe
                } else {
                    !frame.class().is_config()
                };
                if boundary {
                    self.phase = HandoverPhase::Switched;
                    Route::Switch
                } else {
                    Route::Old
                }
            }
        }
    }

    /// Whether this frame is the switch point ([`route`](Self::route) said
    /// [`Route::Switch`]). Before it, frames go to the old connection; after it, to the
    /// new one ([`sends_to_new`](Self::sends_to_new)). Call once per frame, in order.
    pub fn should_switch(&mut self, media: &Media) -> bool {
        self.route(media) == Route::Switch
    }

    /// Whether frames now go to the new connection.
    pub fn sends_to_new(&self) -> bool {
        self.phase == HandoverPhase::Switched
    }

    /// The sequence headers to send on the new connection right before the switch frame:
    /// the latest one per kind and track, in the order they arrived.
    pub fn preamble(&self) -> impl Iterator<Item = &Media> + '_ {
        self.preamble.iter().map(|(_, _, m)| m)
    }

    fn note(&mut self, frame: &Frame, media: &Media) {
        let class = frame.class();
        if class.is_video() {
            self.seen_video = true;
        }
        if !matches!(class, FrameClass::VideoConfig | FrameClass::AudioConfig) {
            return;
        }
        let key = (media.kind, frame.track());
        self.preamble.retain(|(k, t, _)| (*k, *t) != key);
        if self.preamble.len() < MAX_PREAMBLE {
            self.preamble.push((key.0, key.1, media.clone()));
        }
    }
}
