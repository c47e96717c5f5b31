//! [`FrameQueue`]: a player whose output is a queue of frames rather than a
//! `ServerSession` (an in-process subscriber, an HTTP-FLV response), its policy applied the
//! way [`Playback`](super::Playback) applies it to a session.

use std::collections::VecDeque;
use std::time::Instant;

use super::counters::PlayerStats;
use super::frame::Frame;
use super::player::{LagReason, PlayerPolicy, Verdict};
use crate::session::Droppable;

/// One frame for a queue-backed player, with the timestamp its timeline gives it
/// (continuous across a publisher's reconnect, like a network player's).
#[derive(Debug, Clone)]
pub struct QueuedFrame {
    /// The frame (shared with every other player: a reference, no copy).
    pub frame: Frame,
    /// Milliseconds on this player's timeline.
    pub timestamp: u32,
}

/// Why the policy ended a [`FrameQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueueEnd {
    /// A new publisher changed a codec the player cannot follow.
    StreamEnded,
    /// The player did not keep up (its queue was dropped).
    TooSlow(LagReason),
}

/// A player's policy applied to a queue of frames; see the module docs.
///
/// Feed it every live frame ([`offer`](Self::offer)), take frames out with
/// [`pop`](Self::pop); its backlog is what it holds. At a lag event the queued inter frames
/// are shed (the player resumes at a keyframe); a cut drops the whole queue.
#[derive(Debug)]
pub struct FrameQueue {
    policy: PlayerPolicy,
    queue: VecDeque<(QueuedFrame, Droppable)>,
    bytes: usize,
    lag_events: u64,
    end: Option<QueueEnd>,
}

impl FrameQueue {
    /// A queue deciding with `policy`, holding `initial` first (a late joiner's burst from
    /// [`Join::Live`](super::Join::Live), never shed).
    pub fn new(policy: PlayerPolicy, initial: Vec<Frame>) -> Self {
        let lag_events = policy.stats().lag_events;
        let mut q = FrameQueue {
            policy,
            queue: VecDeque::new(),
            bytes: 0,
            lag_events,
            end: None,
        };
        for frame in initial {
            q.push(&frame, Droppable::No);
        }
        q
    }

    /// Offers one live frame at `now`; the payload bytes queued (0 when skipped).
    pub fn offer(&mut self, now: Instant, frame: &Frame) -> u64 {
        if self.end.is_some() {
            return 0;
        }
        let verdict = self.policy.offer(now, frame, self.bytes);
        let lag_events = self.policy.stats().lag_events;
        if lag_events != self.lag_events {
            self.lag_events = lag_events;
            // Resumes at a keyframe: what is queued of the current GOP is useless.
            self.queue.retain(|(_, d)| *d == Droppable::No);
            self.bytes = self.queue.iter().map(|(q, _)| q.frame.len()).sum();
        }
        match verdict {
            Verdict::Send(d) => {
                self.push(frame, d);
                frame.len() as u64
            }
            Verdict::EndStream => {
                self.end = Some(QueueEnd::StreamEnded);
                0
            }
            Verdict::Disconnect(why) => {
                self.end = Some(QueueEnd::TooSlow(why));
                self.clear();
                0
            }
            _ => 0,
        }
    }

    fn push(&mut self, frame: &Frame, droppable: Droppable) {
        let timestamp = self.policy.timestamp(frame);
        self.bytes += frame.len();
        let queued = QueuedFrame {
            frame: frame.clone(),
            timestamp,
        };
        self.queue.push_back((queued, droppable));
    }

    /// The next frame to hand out.
    pub fn pop(&mut self) -> Option<QueuedFrame> {
        let (q, _) = self.queue.pop_front()?;
        self.bytes = self.bytes.saturating_sub(q.frame.len());
        Some(q)
    }

    /// Drops everything queued (the player ends for a reason of the caller's).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.bytes = 0;
    }

    /// Payload bytes queued: the player's backlog.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Why the policy ended the player, once it did (what was queued before an
    /// `StreamEnded` is still handed out first).
    pub fn end(&self) -> Option<QueueEnd> {
        self.end
    }

    /// A new publisher took over within the grace period: see
    /// [`PlayerPolicy::on_republish`].
    pub fn on_republish(&mut self) {
        self.policy.on_republish();
    }

    /// Totals since the player joined (frames sent, dropped for lag, lag events), without
    /// disturbing what [`take_stats`](Self::take_stats) reports.
    pub fn stats(&self) -> &PlayerStats {
        self.policy.stats()
    }

    /// Stats since the previous call.
    pub fn take_stats(&mut self) -> PlayerStats {
        self.policy.take_stats()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;
    use crate::relay::RelayConfig;
    use crate::session::{Media, MediaKind};

    fn video(key: bool, ts: u32, len: usize) -> Frame {
        let mut body = vec![if key { 0x17 } else { 0x27 }, 1, 0, 0, 0];
        body.resize(len, 0);
        Frame::media(Media {
            kind: MediaKind::Video,
            timestamp: ts,
            payload: Bytes::from(body),
        })
    }

    #[test]
    fn sheds_inter_frames_at_a_lag_event_and_drops_all_when_cut() {
        let config = RelayConfig {
            player_soft_bytes: 10_000,
            player_hard_bytes: 40_000,
            ..RelayConfig::default()
        };
        let t0 = Instant::now();
        let mut q = FrameQueue::new(PlayerPolicy::new(&config), Vec::new());
        assert_eq!(q.offer(t0, &video(true, 0, 3000)), 3000);
        for i in 1..4 {
            q.offer(t0, &video(false, i * 40, 3000));
        }
        assert_eq!(q.bytes(), 12_000);
        // Over the soft bound: the queued inter frames go, the keyframe stays.
        assert_eq!(q.offer(t0, &video(false, 200, 100)), 0);
        assert_eq!(q.bytes(), 3000);
        assert_eq!(q.pop().map(|f| f.timestamp), Some(0));
        assert!(q.pop().is_none());
        // Nobody takes what is queued for longer than the policy's maximum age: cut, and
        // the queue is dropped.
        assert_eq!(
            q.offer(t0 + Duration::from_secs(1), &video(true, 1000, 3000)),
            3000
        );
        q.offer(t0 + Duration::from_secs(20), &video(true, 20_000, 3000));
        assert_eq!(q.end(), Some(QueueEnd::TooSlow(LagReason::MaxAge)));
        assert_eq!(q.bytes(), 0);
        assert_eq!(q.take_stats().lag_disconnects, 1);
    }
}
