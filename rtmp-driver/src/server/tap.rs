//! [`Tap`]: a stream's media in the application's own code, in the form it asks for: the
//! raw FLV tags, parsed codec frames (Annex B or length-prefixed H.264 / H.265, ADTS or raw
//! AAC), or only the stream's events (metadata, sequence headers, keyframes).
//!
//! A tap is a [`Subscriber`] (the one mechanism for in-process players: same GOP cache,
//! late-join burst, lag policy, waiting and publisher grace as a network player) plus a
//! delivery form. It never slows the publisher: a tap that falls behind loses inter frames
//! to the next keyframe, then its subscription, like a slow player; [`Tap::stats`] counts
//! what it lost. Tags are zero-copy references to the published payloads; parsed frames in
//! Annex B or ADTS are one copy per tap, made on the tap's own task.
//!
//! ```no_run
//! # async fn keyframes(handle: rtmp_driver::server::ServerHandle) {
//! use rtmp_driver::server::{TapItem, TapMode};
//! use rtmp_proto::media::depacketize::FrameFormat;
//!
//! let mut tap = handle.tap("live", "cam", TapMode::Frames(FrameFormat::default())).unwrap();
//! while let Ok(item) = tap.next().await {
//!     if let TapItem::Frame(f) = item
//!         && f.keyframe
//!     {
//!         // f.data: one Annex B access unit with SPS/PPS in front, decodable alone.
//!     }
//! }
//! # }
//! ```

use std::collections::VecDeque;
use std::future::poll_fn;
use std::task::{Context, Poll};

use bytes::Bytes;
use rtmp_proto::media::depacketize::{Codec, Depacketizer, FrameFormat, ParsedFrame, Unpacked};
use rtmp_proto::media::flv::{FlvTag, FlvTagType};
use rtmp_proto::relay::{Item, PlayerStats, QueuedFrame, StreamKey};
use rtmp_proto::session::MediaKind;

use super::subscriber::{Subscriber, SubscriptionEnd};

/// What a [`Tap`] delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TapMode {
    /// Every message as an FLV tag ([`TapItem::Tag`]): audio, video (legacy and Enhanced
    /// RTMP) and script data, payloads untouched and shared with the players.
    Tags,
    /// Coded frames in this framing ([`TapItem::Frame`]), with metadata, configuration and
    /// sequence ends as [`TapItem::Event`]s.
    Frames(FrameFormat),
    /// Only [`TapItem::Event`]s: metadata, configuration, sequence ends and one
    /// [`TapEvent::Keyframe`] per video keyframe (nothing is copied).
    Events,
}

/// One item of a [`Tap`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TapItem {
    /// A message as an FLV tag (timestamp on the tap's timeline, stream id 0).
    Tag(FlvTag),
    /// A coded frame.
    Frame(ParsedFrame),
    /// Something about the stream.
    Event(TapEvent),
}

/// The stream events of a [`Tap`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TapEvent {
    /// `onMetaData`: its AMF0 data-message payload (`"onMetaData", {...}`).
    Metadata {
        /// Milliseconds on the tap's timeline.
        timestamp: u32,
        /// The payload.
        payload: Bytes,
    },
    /// Decoder configuration for a track (avcC, hvcC, AudioSpecificConfig, OpusHead...).
    Config {
        /// The codec.
        codec: Codec,
        /// The track.
        track: u8,
        /// The configuration record as sent.
        data: Bytes,
    },
    /// A track's sequence ended.
    SequenceEnd {
        /// The codec.
        codec: Codec,
        /// The track.
        track: u8,
    },
    /// A video keyframe went by (only in [`TapMode::Events`]; frames carry a flag).
    Keyframe {
        /// The codec.
        codec: Codec,
        /// The track.
        track: u8,
        /// Milliseconds on the tap's timeline.
        timestamp: u32,
    },
}

/// A stream's media in your own code; see the module docs. Made by `ServerHandle::tap`;
/// dropping it leaves the stream.
#[derive(Debug)]
pub struct Tap {
    subscriber: Subscriber,
    mode: TapMode,
    depacketizer: Depacketizer,
    /// Items unpacked from one message and not handed out yet (a multitrack message gives
    /// several); bounded by one message's tracks.
    ready: VecDeque<TapItem>,
    scratch: Vec<Unpacked>,
    /// Messages whose header did not parse (skipped).
    unparsed: u64,
}

impl Tap {
    pub(crate) fn new(subscriber: Subscriber, mode: TapMode) -> Self {
        let format = match mode {
            TapMode::Frames(f) => f,
            // Events need no conversion: length-prefixed and raw are zero-copy.
            _ => FrameFormat {
                nal: rtmp_proto::media::depacketize::NalFormat::LengthPrefixed,
                aac: rtmp_proto::media::depacketize::AacFormat::Raw,
            },
        };
        Tap {
            subscriber,
            mode,
            depacketizer: Depacketizer::new(format),
            ready: VecDeque::new(),
            scratch: Vec::new(),
            unparsed: 0,
        }
    }

    /// The stream tapped.
    pub fn key(&self) -> &StreamKey {
        self.subscriber.key()
    }

    /// Totals since the tap joined: frames taken, frames dropped by the lag policy, lag
    /// events (as for a player).
    pub fn stats(&self) -> PlayerStats {
        self.subscriber.stats()
    }

    /// Messages skipped because their header did not parse or their frames came before
    /// their sequence header.
    pub fn unparsed(&self) -> u64 {
        self.unparsed
    }

    /// The next item, waiting for it; `Err` once the stream ended for this tap (and
    /// everything before that was taken).
    pub async fn next(&mut self) -> Result<TapItem, SubscriptionEnd> {
        poll_fn(|cx| self.poll_next(cx)).await
    }

    /// [`next`](Self::next) as a poll.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Result<TapItem, SubscriptionEnd>> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Poll::Ready(Ok(item));
            }
            match self.subscriber.poll_next(cx) {
                Poll::Ready(Ok(frame)) => self.unpack(frame),
                Poll::Ready(Err(end)) => return Poll::Ready(Err(end)),
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Turns one queued frame into items of the tap's mode.
    fn unpack(&mut self, q: QueuedFrame) {
        let timestamp = q.timestamp;
        if self.mode == TapMode::Tags {
            let tag_type = q.frame.flv_tag_type();
            let payload = q.frame.payload().clone();
            self.ready
                .push_back(TapItem::Tag(tag(tag_type, timestamp, payload)));
            return;
        }
        let (kind, payload) = match q.frame.into_item() {
            Item::Metadata { payload, .. } => {
                let event = TapEvent::Metadata { timestamp, payload };
                self.ready.push_back(TapItem::Event(event));
                return;
            }
            Item::Media(m) => (m.kind, m.payload),
        };
        let mut out = std::mem::take(&mut self.scratch);
        let unpacked = match kind {
            MediaKind::Audio => self.depacketizer.audio(timestamp, payload, &mut out),
            _ => self.depacketizer.video(timestamp, payload, &mut out),
        };
        if let Err(e) = unpacked {
            self.unparsed += 1;
            tracing::debug!(stream = %self.key(), error = %e, "tap: message skipped");
        }
        let events_only = self.mode == TapMode::Events;
        for u in out.drain(..) {
            let item = match u {
                Unpacked::Frame(f) if events_only => {
                    if !(f.keyframe && matches!(f.codec, Codec::Video(_))) {
                        continue;
                    }
                    TapItem::Event(TapEvent::Keyframe {
                        codec: f.codec,
                        track: f.track,
                        timestamp: f.timestamp,
                    })
                }
                Unpacked::Frame(f) => TapItem::Frame(f),
                Unpacked::Config { codec, track, data } => {
                    TapItem::Event(TapEvent::Config { codec, track, data })
                }
                Unpacked::SequenceEnd { codec, track } => {
                    TapItem::Event(TapEvent::SequenceEnd { codec, track })
                }
                _ => continue,
            };
            self.ready.push_back(item);
        }
        self.scratch = out;
    }
}

fn tag(tag_type: FlvTagType, timestamp: u32, data: Bytes) -> FlvTag {
    FlvTag {
        tag_type,
        timestamp,
        stream_id: 0,
        data,
    }
}
