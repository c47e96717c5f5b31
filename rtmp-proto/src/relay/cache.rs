//! [`StreamCache`]: what a late joiner needs before live media.

use std::collections::BTreeMap;

use super::config::RelayConfig;
use super::frame::{Frame, FrameClass};
use super::gop::Gop;
use crate::media::{AudioTag, PacketKind, VideoTag};
use crate::session::MediaKind;

/// Which cached configuration of a track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    /// Sequence header / SequenceStart: a change invalidates the GOP.
    SequenceStart,
    /// E-RTMP video `colorInfo` metadata.
    VideoMetadata,
    /// E-RTMP audio MultichannelConfig.
    Multichannel,
}

/// (video?, track id, slot).
type SlotKey = (bool, u8, Slot);

/// Per-stream cache, fed every frame the publisher sends: the latest `onMetaData`, the
/// decoder configuration of every audio and video track (legacy and E-RTMP, multitrack
/// included), and an optional GOP cache.
///
/// The registry keeps one per live stream and feeds it from
/// [`Registry::ingest`](super::Registry::ingest); an adapter only reads it, to build the
/// frames for [`PlayerPolicy::unpause`](super::PlayerPolicy::unpause).
///
/// Bounds: one metadata frame, at most 3 configuration frames per track id and kind
/// (256 track ids), and the GOP within `gop_max_bytes` and `gop_max_frames`.
#[derive(Debug, Clone)]
pub struct StreamCache {
    metadata: Option<Frame>,
    /// Configuration per track, tagged with its arrival number so replay keeps the order
    /// the publisher sent (a multitrack message configuring two tracks is stored twice
    /// with one number and sent once).
    configs: BTreeMap<SlotKey, (u64, Frame)>,
    arrivals: u64,
    gop: Gop,
    has_video: bool,
}

impl StreamCache {
    /// An empty cache with the GOP bounds of `config`.
    pub fn new(config: &RelayConfig) -> Self {
        let (bytes, frames) = if config.gop_enabled() {
            (config.gop_max_bytes, config.gop_max_frames)
        } else {
            (0, 0)
        };
        StreamCache {
            metadata: None,
            configs: BTreeMap::new(),
            arrivals: 0,
            gop: Gop::new(bytes, frames),
            has_video: false,
        }
    }

    /// Records a published frame.
    pub fn push(&mut self, frame: &Frame) {
        match frame.class() {
            FrameClass::Metadata => self.metadata = Some(frame.clone()),
            FrameClass::VideoConfig | FrameClass::AudioConfig => self.store_config(frame),
            FrameClass::VideoSequenceEnd | FrameClass::AudioSequenceEnd => self.end_tracks(frame),
            _ => {}
        }
        if frame.class().is_video() {
            self.has_video = true;
        }
        self.gop.push(frame);
    }

    fn store_config(&mut self, frame: &Frame) {
        self.arrivals = self.arrivals.wrapping_add(1);
        let n = self.arrivals;
        let mut changed = false;
        for (key, _) in track_slots(frame) {
            if key.2 == Slot::SequenceStart
                && self.configs.get(&key).map(|(_, f)| f.payload()) != Some(frame.payload())
            {
                changed = true;
            }
            self.configs.insert(key, (n, frame.clone()));
        }
        if changed {
            // Cached frames were coded against the old configuration; a joiner would get
            // the new header followed by them.
            self.gop.clear();
        }
    }

    fn end_tracks(&mut self, frame: &Frame) {
        for ((video, track, _), kind) in track_slots(frame) {
            if kind == PacketKind::SequenceEnd {
                self.configs.retain(|k, _| (k.0, k.1) != (video, track));
            }
        }
    }

    /// The latest `onMetaData`.
    pub fn metadata(&self) -> Option<&Frame> {
        self.metadata.as_ref()
    }

    /// The decoder configuration of every track, in the order the publisher sent it.
    pub fn sequence_headers(&self) -> Vec<Frame> {
        let mut v: Vec<&(u64, Frame)> = self.configs.values().collect();
        v.sort_by_key(|(n, _)| *n);
        v.dedup_by_key(|(n, _)| *n);
        v.into_iter().map(|(_, f)| f.clone()).collect()
    }

    /// The cached GOP: empty, or starting at a keyframe.
    pub fn gop(&self) -> impl ExactSizeIterator<Item = &Frame> {
        self.gop.frames()
    }

    /// Payload bytes in the GOP cache.
    pub fn gop_bytes(&self) -> usize {
        self.gop.bytes()
    }

    /// Frames in the GOP cache.
    pub fn gop_frames(&self) -> usize {
        self.gop.len()
    }

    /// Whether the stream carried video since the cache was created.
    pub fn has_video(&self) -> bool {
        self.has_video
    }

    /// What a player gets on resuming (unpause): metadata, then sequence headers.
    pub fn resume_frames(&self) -> Vec<Frame> {
        let mut out: Vec<Frame> = self.metadata.iter().cloned().collect();
        out.extend(self.sequence_headers());
        out
    }

    /// What a late joiner gets before live media: metadata, sequence headers, then the
    /// cached GOP starting at its keyframe.
    pub fn join_frames(&self) -> Vec<Frame> {
        let mut out = self.resume_frames();
        out.extend(self.gop.frames().cloned());
        out
    }

    /// Forgets everything (the publisher left).
    pub fn clear(&mut self) {
        self.metadata = None;
        self.configs.clear();
        self.gop.reset();
        self.has_video = false;
    }
}

/// The configuration slots (and packet kinds) a configuration or sequence-end frame
/// touches, one per track. Re-parses the header: these frames are rare and small.
fn track_slots(frame: &Frame) -> Vec<(SlotKey, PacketKind)> {
    let Some(media) = frame.as_media() else {
        return Vec::new();
    };
    let video = media.kind == MediaKind::Video;
    let tracks: Vec<(u8, PacketKind)> = if video {
        match VideoTag::parse(media.payload.clone()) {
            Ok(tag) => tag.tracks().map(|t| (t.track_id, t.kind)).collect(),
            Err(_) => Vec::new(),
        }
    } else {
        match AudioTag::parse(media.payload.clone()) {
            Ok(tag) => tag.tracks().map(|t| (t.track_id, t.kind)).collect(),
            Err(_) => Vec::new(),
        }
    };
    tracks
        .into_iter()
        .filter_map(|(track, kind)| {
            let slot = match kind {
                PacketKind::SequenceStart => Slot::SequenceStart,
                PacketKind::Metadata => Slot::VideoMetadata,
                PacketKind::MultichannelConfig => Slot::Multichannel,
                // The slot is unused for a sequence end: every slot of the track goes.
                PacketKind::SequenceEnd => Slot::SequenceStart,
                _ => return None,
            };
            Some(((video, track, slot), kind))
        })
        .collect()
}
