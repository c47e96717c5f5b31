//! [`SessionSnapshot`]: one fleet session's state and figures at one instant, as a status
//! table or a monitoring endpoint shows them.

use std::time::{Duration, Instant};

use super::codec::{CodecPreference, StreamCodec};
use super::meter::RateMeter;
use super::spec::StreamKey;
use crate::client::{ClientStatus, ConnectionState, FailureReason, RtmpUrl};
use crate::media::caps::EnhancedCaps;

/// One session at one instant; see the module docs.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionSnapshot {
    /// The session.
    pub key: StreamKey,
    /// The connection state.
    pub state: ConnectionState,
    /// The URL of the current (or last) connection.
    pub url: Option<RtmpUrl>,
    /// How long the stream has been publishing (`None` while it is not).
    pub uptime: Option<Duration>,
    /// Bits per second sent recently (`None` until the meter has two samples).
    pub bitrate: Option<u64>,
    /// Payload bytes sent, over every connection.
    pub bytes_sent: u64,
    /// Frames sent, over every connection.
    pub frames_sent: u64,
    /// Times the stream started again after a drop (on any URL of its list).
    pub reconnects: u64,
    /// Frames not sent: dropped while no connection published, or inter frames skipped
    /// until a keyframe after a (re)start.
    pub drops: u64,
    /// The latest failure that counted toward the backoff.
    pub last_error: Option<FailureReason>,
    /// The server's Enhanced RTMP answer on the current (or last) connection.
    pub server_caps: Option<EnhancedCaps>,
    /// The codec the stream sends to that server.
    pub codec: StreamCodec,
    /// The reconnect policy gave up on the session.
    pub gave_up: bool,
}

impl SessionSnapshot {
    /// The snapshot of `key`'s publisher status at `now`; `meter` records the byte count
    /// and gives the bitrate (keep one per session and pass it to every snapshot).
    pub fn new(
        key: StreamKey,
        status: &ClientStatus,
        codec: CodecPreference,
        now: Instant,
        meter: &mut RateMeter,
    ) -> Self {
        let c = status.counters;
        meter.record(now, c.sent_bytes);
        let uptime = match (status.state, status.since) {
            (ConnectionState::Publishing, Some(since)) => {
                Some(now.saturating_duration_since(since))
            }
            _ => None,
        };
        SessionSnapshot {
            key,
            state: status.state,
            url: status.url.clone(),
            uptime,
            bitrate: meter.bits_per_second(),
            bytes_sent: c.sent_bytes,
            frames_sent: c.sent,
            reconnects: status.starts.saturating_sub(1),
            drops: c.dropped_offline + c.skipped_to_keyframe,
            last_error: status.last_failure.clone(),
            codec: codec.choose(status.server_caps.as_ref()),
            server_caps: status.server_caps.clone(),
            gave_up: status.gave_up,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_counts_from_the_start_of_publishing_and_reconnects_from_the_second() {
        let t0 = Instant::now();
        let mut s = ClientStatus::new();
        s.state = ConnectionState::Publishing;
        s.since = Some(t0);
        s.starts = 3;
        s.counters.sent = 10;
        s.counters.sent_bytes = 50_000;
        s.counters.dropped_offline = 4;
        let mut meter = RateMeter::new(Duration::from_secs(5));
        meter.record(t0, 0);
        let key = StreamKey::new("2", "sub");
        let snap = SessionSnapshot::new(
            key,
            &s,
            CodecPreference::HevcOrH264,
            t0 + Duration::from_secs(2),
            &mut meter,
        );
        assert_eq!(snap.uptime, Some(Duration::from_secs(2)));
        assert_eq!(snap.reconnects, 2);
        assert_eq!(snap.drops, 4);
        assert_eq!(snap.bitrate, Some(200_000));
        assert_eq!(snap.codec, StreamCodec::H264, "no E-RTMP answer: H.264");
    }
}
