//! [`Playback`]: one player of a relayed stream, from its policy's verdicts to its session.

use std::time::Instant;

use super::cache::StreamCache;
use super::counters::PlayerStats;
use super::encodings::Encodings;
use super::frame::Frame;
use super::player::{LagReason, PlayerPolicy, Verdict};
use crate::UsageError;
use crate::session::{Droppable, ServerSession, StreamId};

/// What became of a player after an [`offer`](Playback::offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// It plays on. `discarded`: queued droppable frames shed from its session because it
    /// started to lag (it resumes at the next keyframe); zero mostly.
    Playing {
        /// Droppable frames discarded from its session by this offer.
        discarded: usize,
    },
    /// Its stream must end for it (a new publisher changed a codec it cannot follow): send
    /// `ServerSession::end_stream` and leave the registry, as when the stream ends.
    Ended,
    /// It cannot keep up: close its connection (nothing more was queued to it).
    Disconnect(LagReason),
}

/// One player of a relayed stream: its [`PlayerPolicy`] applied to its [`ServerSession`].
///
/// The whole per-player part of a relay, without IO: for each run of live frames it asks
/// the policy with the player's real backlog (what its session still holds plus what the
/// caller's write buffer does), queues what the policy accepts as the run's shared
/// encodings ([`Encodings`]: one chunking per group of players, not per player), sheds
/// queued inter frames when a lag event starts, and says when the player must end or be
/// cut. Whoever holds the player's session calls it, typically the publisher's task
/// writing to every player directly; it never blocks and never looks at other players.
///
/// Use: [`Registry::join`](super::Registry::join) gives the policy (and, when live, the
/// initial frames for [`start`](Self::start)); every live run goes to
/// [`offer`](Self::offer); pause and resume go to [`pause`](Self::pause) and
/// [`unpause`](Self::unpause); a publisher's return within the grace period to
/// [`on_republish`](Self::on_republish).
#[derive(Debug)]
pub struct Playback {
    stream: StreamId,
    policy: PlayerPolicy,
    lag_events: u64,
}

impl Playback {
    /// A player on message stream `stream` of its session, deciding with `policy`.
    pub fn new(stream: StreamId, policy: PlayerPolicy) -> Self {
        let lag_events = policy.stats().lag_events;
        Playback {
            stream,
            policy,
            lag_events,
        }
    }

    /// Its message stream.
    pub fn stream(&self) -> StreamId {
        self.stream
    }

    /// Queues a late joiner's initial frames ([`Join::Live`](super::Join::Live)), in order
    /// and not droppable. Call right after `accept_play`, before any [`offer`](Self::offer).
    pub fn start(&mut self, session: &mut ServerSession, initial: Vec<Frame>) {
        for frame in initial {
            self.send_own(session, &frame);
        }
    }

    /// Offers one run of live frames (in publishing order, `encodings` holding the run's
    /// shared chunks) at `now`. `unsent`: bytes already taken from the session but not
    /// yet written to the player's socket (part of its backlog).
    pub fn offer(
        &mut self,
        now: Instant,
        frames: &[Frame],
        encodings: &mut Encodings,
        session: &mut ServerSession,
        unsent: usize,
    ) -> Delivery {
        let mut discarded = 0;
        let chunk_size = session.chunk_size();
        for (index, frame) in frames.iter().enumerate() {
            let backlog = session.pending_transmit_bytes().saturating_add(unsent);
            let verdict = self.policy.offer(now, frame, backlog);
            let lag_events = self.policy.stats().lag_events;
            if lag_events != self.lag_events {
                self.lag_events = lag_events;
                discarded += session.discard_droppable();
            }
            match verdict {
                Verdict::Send(droppable) => {
                    let ts = self.policy.timestamp(frame);
                    let sent = match encodings.get(index, frame, self.stream, chunk_size, ts) {
                        Some(encoded) => session.send_encoded(encoded, droppable),
                        None => frame.send_to_at(session, self.stream, droppable, ts),
                    };
                    note_unsent(sent);
                }
                Verdict::EndStream => return Delivery::Ended,
                Verdict::Disconnect(why) => return Delivery::Disconnect(why),
                _ => {}
            }
        }
        Delivery::Playing { discarded }
    }

    /// The stream's publisher left and a new one took over within the grace period: see
    /// [`PlayerPolicy::on_republish`]. Call before offering the new publisher's frames.
    pub fn on_republish(&mut self) {
        self.policy.on_republish();
    }

    /// The player paused (`ServerEvent::Paused { paused: true }`): nothing is offered to
    /// it until [`unpause`](Self::unpause).
    pub fn pause(&mut self) {
        self.policy.pause();
    }

    /// The player resumed: metadata and sequence headers from `cache` are queued, and live
    /// video resumes at the next keyframe. `cache`: the stream's, if it is still live.
    pub fn unpause(&mut self, cache: Option<&StreamCache>, session: &mut ServerSession) {
        let Some(cache) = cache else {
            // Not live any more: nothing to resend, the end of stream is on its way.
            return;
        };
        for frame in self.policy.unpause(cache) {
            self.send_own(session, &frame);
        }
    }

    /// Its policy, for a player that is not a `ServerSession` (an in-process subscriber).
    pub fn into_policy(self) -> PlayerPolicy {
        self.policy
    }

    /// Its policy's decisions so far (lagging, paused, stats).
    pub fn policy(&self) -> &PlayerPolicy {
        &self.policy
    }

    /// Stats since the previous call, for [`Registry::add_player_stats`](super::Registry::add_player_stats).
    pub fn take_stats(&mut self) -> PlayerStats {
        self.policy.take_stats()
    }

    /// A frame for this player alone, chunked by its session.
    fn send_own(&self, session: &mut ServerSession, frame: &Frame) {
        let ts = self.policy.timestamp(frame);
        note_unsent(frame.send_to_at(session, self.stream, Droppable::No, ts));
    }
}

/// A frame the session refused: paused by the peer in the meantime, or the session's own
/// byte cap (the policy's hard limit normally cuts the player first). Lost for this
/// player only.
fn note_unsent(sent: Result<(), UsageError>) {
    if let Err(e) = sent {
        tracing::debug!(error = %e, "frame not queued");
    }
}
