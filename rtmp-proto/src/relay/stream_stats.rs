//! [`StreamStats`]: what an operator wants to know about one live stream, measured as its
//! frames pass: codecs, picture size and rate, bitrate in and out over a sliding window.

use std::time::{Duration, Instant};

use super::counters::PlayerStats;
use super::frame::{Frame, FrameClass};
use crate::amf::Value;
use crate::media::{AudioCodec, AudioTag, VideoCodec, VideoTag};

/// How far back the bitrates look.
pub const RATE_WINDOW: Duration = Duration::from_secs(5);

/// One-second buckets over [`RATE_WINDOW`] (plus the second in progress).
const BUCKETS: usize = 6;

/// Bytes per second over the last [`RATE_WINDOW`], from one-second buckets.
#[derive(Debug, Clone)]
struct Rate {
    origin: Instant,
    /// The second (since `origin`) each bucket holds, and its bytes.
    buckets: [(u64, u64); BUCKETS],
}

impl Rate {
    fn new(origin: Instant) -> Self {
        Rate {
            origin,
            buckets: [(u64::MAX, 0); BUCKETS],
        }
    }

    fn second(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.origin).as_secs()
    }

    fn add(&mut self, now: Instant, bytes: u64) {
        let s = self.second(now);
        let slot = &mut self.buckets[(s % BUCKETS as u64) as usize];
        if slot.0 != s {
            *slot = (s, 0);
        }
        slot.1 = slot.1.saturating_add(bytes);
    }

    /// Bits per second over the whole seconds of the window before `now` (the second in
    /// progress is left out: it would read low). A stream younger than the window is
    /// measured over its age.
    fn bits_per_second(&self, now: Instant) -> u64 {
        let s = self.second(now);
        let window = RATE_WINDOW.as_secs();
        let first = s.saturating_sub(window);
        let bytes: u64 = self
            .buckets
            .iter()
            .filter(|(sec, _)| *sec != u64::MAX && *sec >= first && *sec < s)
            .map(|(_, b)| *b)
            .sum();
        let seconds = s.min(window).max(1);
        bytes.saturating_mul(8) / seconds
    }
}

/// The video of a stream, as its sequence header and metadata describe it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoInfo {
    /// The codec, when a sequence header said it.
    pub codec: Option<VideoCodec>,
    /// Picture width in pixels, from `onMetaData`.
    pub width: Option<u32>,
    /// Picture height in pixels, from `onMetaData`.
    pub height: Option<u32>,
    /// Frames per second, from `onMetaData`.
    pub frame_rate: Option<f64>,
}

/// The audio of a stream, as its sequence header and metadata describe it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudioInfo {
    /// The codec, when a sequence header said it.
    pub codec: Option<AudioCodec>,
    /// Samples per second, from `onMetaData`.
    pub sample_rate: Option<u32>,
    /// Channels, from `onMetaData` (`stereo` or `audiochannels`).
    pub channels: Option<u32>,
}

/// A stream's figures at one instant ([`StreamStats::snapshot`]).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct StreamSnapshot {
    /// How long it has been published (since its first publish; a publisher's return
    /// within the grace period continues the count).
    pub uptime: Duration,
    /// Its video.
    pub video: VideoInfo,
    /// Its audio.
    pub audio: AudioInfo,
    /// Bits per second published, over [`RATE_WINDOW`].
    pub bitrate_in: u64,
    /// Bits per second sent to its players, over [`RATE_WINDOW`].
    pub bitrate_out: u64,
    /// Frames published.
    pub frames_in: u64,
    /// Payload bytes published.
    pub bytes_in: u64,
    /// Frames sent to players.
    pub frames_out: u64,
    /// Payload bytes sent to players.
    pub bytes_out: u64,
    /// Frames the lag policy did not send to a player.
    pub frames_dropped: u64,
    /// Players cut for lag.
    pub lag_disconnects: u64,
}

/// One live stream's running figures; see the module docs.
///
/// Feed it every published frame ([`on_frame`](Self::on_frame)), the decoded `onMetaData`
/// values ([`on_metadata`](Self::on_metadata)) and what its players report
/// ([`on_players`](Self::on_players)); read it with [`snapshot`](Self::snapshot).
#[derive(Debug, Clone)]
pub struct StreamStats {
    since: Instant,
    video: VideoInfo,
    audio: AudioInfo,
    rate_in: Rate,
    rate_out: Rate,
    frames_in: u64,
    bytes_in: u64,
    out: PlayerStats,
}

impl StreamStats {
    /// A stream first published at `now`.
    pub fn new(now: Instant) -> Self {
        StreamStats {
            since: now,
            video: VideoInfo::default(),
            audio: AudioInfo::default(),
            rate_in: Rate::new(now),
            rate_out: Rate::new(now),
            frames_in: 0,
            bytes_in: 0,
            out: PlayerStats::default(),
        }
    }

    /// A frame published at `now`: counted, and a sequence header tells the codec.
    pub fn on_frame(&mut self, now: Instant, frame: &Frame) {
        self.frames_in += 1;
        self.bytes_in = self.bytes_in.saturating_add(frame.len() as u64);
        self.rate_in.add(now, frame.len() as u64);
        let Some(media) = frame.as_media() else {
            return;
        };
        match frame.class() {
            FrameClass::VideoConfig => {
                if let Some(codec) = VideoTag::parse(media.payload.clone())
                    .ok()
                    .and_then(|t| t.codec())
                {
                    self.video.codec = Some(codec);
                }
            }
            FrameClass::AudioConfig => {
                if let Some(codec) = AudioTag::parse(media.payload.clone())
                    .ok()
                    .and_then(|t| t.codec())
                {
                    self.audio.codec = Some(codec);
                }
            }
            _ => {}
        }
    }

    /// The stream's `onMetaData` values (the object or ECMA array after the name): picture
    /// size and rate, sample rate and channels, where present.
    pub fn on_metadata(&mut self, values: &Value) {
        let number = |key: &str| match values.get(key) {
            Some(Value::Number(n)) if n.is_finite() && *n > 0.0 => Some(*n),
            _ => None,
        };
        let whole = |key: &str| {
            number(key)
                .filter(|n| *n < u32::MAX as f64)
                .map(|n| n as u32)
        };
        if let Some(w) = whole("width") {
            self.video.width = Some(w);
        }
        if let Some(h) = whole("height") {
            self.video.height = Some(h);
        }
        if let Some(r) = number("framerate").or_else(|| number("fps")) {
            self.video.frame_rate = Some(r);
        }
        if let Some(r) = whole("audiosamplerate") {
            self.audio.sample_rate = Some(r);
        }
        if let Some(c) = whole("audiochannels") {
            self.audio.channels = Some(c);
        } else if let Some(Value::Boolean(stereo)) = values.get("stereo") {
            self.audio.channels = Some(if *stereo { 2 } else { 1 });
        }
    }

    /// What the stream's players sent and dropped since their last report: the totals.
    pub fn on_players(&mut self, stats: &PlayerStats) {
        self.out.add(stats);
    }

    /// Payload bytes handed to the stream's players at `now`: the output rate. (Players'
    /// reports come late and in lumps, so the rate is fed as the frames go out.)
    pub fn on_delivered(&mut self, now: Instant, bytes: u64) {
        self.rate_out.add(now, bytes);
    }

    /// Its figures at `now`.
    pub fn snapshot(&self, now: Instant) -> StreamSnapshot {
        StreamSnapshot {
            uptime: now.saturating_duration_since(self.since),
            video: self.video.clone(),
            audio: self.audio.clone(),
            bitrate_in: self.rate_in.bits_per_second(now),
            bitrate_out: self.rate_out.bits_per_second(now),
            frames_in: self.frames_in,
            bytes_in: self.bytes_in,
            frames_out: self.out.frames_sent,
            bytes_out: self.out.bytes_sent,
            frames_dropped: self.out.frames_dropped,
            lag_disconnects: self.out.lag_disconnects,
        }
    }
}

/// The usual short name of a video codec: its FourCC (`avc1`, `hvc1`, ...), or the legacy
/// FLV codec id.
pub fn video_codec_name(codec: VideoCodec) -> String {
    match codec {
        VideoCodec::Avc => "avc1".into(),
        VideoCodec::Hevc => "hvc1".into(),
        VideoCodec::Vvc => "vvc1".into(),
        VideoCodec::Av1 => "av01".into(),
        VideoCodec::Vp8 => "vp08".into(),
        VideoCodec::Vp9 => "vp09".into(),
        VideoCodec::Legacy(id) => format!("flv-video-{id}"),
    }
}

/// The usual short name of an audio codec: its FourCC (`mp4a`, `Opus`, ...), or the legacy
/// FLV sound format.
pub fn audio_codec_name(codec: AudioCodec) -> String {
    match codec {
        AudioCodec::Aac => "mp4a".into(),
        AudioCodec::Opus => "Opus".into(),
        AudioCodec::Flac => "fLaC".into(),
        AudioCodec::Ac3 => "ac-3".into(),
        AudioCodec::Eac3 => "ec-3".into(),
        AudioCodec::Mp3 => ".mp3".into(),
        AudioCodec::Legacy(id) => format!("flv-audio-{id}"),
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::session::{Media, MediaKind};

    fn media(kind: MediaKind, payload: &[u8], len: usize) -> Frame {
        let mut body = payload.to_vec();
        body.resize(len.max(payload.len()), 0);
        Frame::media(Media {
            kind,
            timestamp: 0,
            payload: Bytes::from(body),
        })
    }

    #[test]
    fn codecs_size_and_rates_on_a_virtual_clock() {
        let t0 = Instant::now();
        let mut s = StreamStats::new(t0);
        s.on_frame(t0, &media(MediaKind::Video, &[0x17, 0, 0, 0, 0], 40));
        s.on_frame(t0, &media(MediaKind::Audio, &[0xAF, 0, 0x12, 0x10], 4));
        let meta = Value::ecma_array([
            ("width", Value::Number(1280.0)),
            ("height", Value::Number(720.0)),
            ("framerate", Value::Number(30.0)),
            ("audiosamplerate", Value::Number(44100.0)),
            ("stereo", Value::Boolean(true)),
        ]);
        s.on_metadata(&meta);
        // 125,000 bytes a second for 10 s: 1 Mbit/s in; players get 2 Mbit/s.
        for ms in (0..10_000).step_by(100) {
            let now = t0 + Duration::from_millis(ms);
            s.on_frame(now, &media(MediaKind::Video, &[0x27, 1, 0, 0, 0], 12_500));
            let out = PlayerStats {
                frames_sent: 2,
                bytes_sent: 25_000,
                ..PlayerStats::default()
            };
            s.on_players(&out);
            s.on_delivered(now, 25_000);
        }
        let snap = s.snapshot(t0 + Duration::from_millis(10_500));
        assert_eq!(snap.video.codec, Some(VideoCodec::Avc));
        assert_eq!(snap.audio.codec, Some(AudioCodec::Aac));
        assert_eq!(
            (snap.video.width, snap.video.height),
            (Some(1280), Some(720))
        );
        assert_eq!(snap.video.frame_rate, Some(30.0));
        assert_eq!(
            (snap.audio.sample_rate, snap.audio.channels),
            (Some(44100), Some(2))
        );
        assert_eq!(snap.bitrate_in, 1_000_000);
        assert_eq!(snap.bitrate_out, 2_000_000);
        assert_eq!(snap.frames_in, 102);
        assert_eq!(snap.frames_out, 200);
        assert_eq!(snap.uptime, Duration::from_millis(10_500));
        // Quiet for longer than the window: the rates fall to zero, the totals stay.
        let later = s.snapshot(t0 + Duration::from_secs(30));
        assert_eq!((later.bitrate_in, later.bitrate_out), (0, 0));
        assert_eq!(later.bytes_in, snap.bytes_in);
        assert_eq!(video_codec_name(VideoCodec::Hevc), "hvc1");
        assert_eq!(audio_codec_name(AudioCodec::Aac), "mp4a");
    }
}
