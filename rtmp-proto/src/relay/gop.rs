//! The GOP cache: the frames since the latest keyframe, so a late joiner starts decoding at
//! once instead of waiting up to a GOP for the next keyframe.

use std::collections::VecDeque;

use super::frame::{Frame, FrameClass};

/// Frames from the latest keyframe on (audio interleaved), bounded by bytes and frames.
///
/// A GOP that outgrows a bound is dropped whole and collection pauses until the next
/// keyframe: a GOP cut at the front has no keyframe, and one cut at the back leaves a hole
/// between the cache and live frames; either would show garbage.
#[derive(Debug, Clone)]
pub(crate) struct Gop {
    max_bytes: usize,
    max_frames: usize,
    frames: VecDeque<Frame>,
    bytes: usize,
    /// Inside a GOP that fits so far: frames are being appended.
    collecting: bool,
    /// The lowest video track with keyframes so far: its keyframes start GOPs; keyframes of
    /// other tracks (E-RTMP multitrack sent as separate messages) are ordinary GOP frames.
    primary: Option<u8>,
}

impl Gop {
    pub(crate) fn new(max_bytes: usize, max_frames: usize) -> Self {
        Gop {
            max_bytes,
            max_frames,
            frames: VecDeque::new(),
            bytes: 0,
            collecting: false,
            primary: None,
        }
    }

    pub(crate) fn push(&mut self, frame: &Frame) {
        match frame.class() {
            FrameClass::VideoKeyframe if self.primary.is_none_or(|p| frame.track() <= p) => {
                self.primary = Some(frame.track());
                self.clear();
                self.collecting = true;
                self.append(frame);
            }
            FrameClass::VideoKeyframe | FrameClass::VideoInter | FrameClass::Audio
                if self.collecting =>
            {
                self.append(frame)
            }
            FrameClass::VideoSequenceEnd => self.clear(),
            _ => {}
        }
    }

    fn append(&mut self, frame: &Frame) {
        let bytes = self.bytes.saturating_add(frame.len());
        if bytes > self.max_bytes || self.frames.len() >= self.max_frames {
            self.clear();
            return;
        }
        self.bytes = bytes;
        self.frames.push_back(frame.clone());
    }

    /// Forgets the cached GOP; collection restarts at the next keyframe.
    pub(crate) fn clear(&mut self) {
        self.frames.clear();
        self.bytes = 0;
        self.collecting = false;
    }

    /// Forgets the GOP and the primary track (a new publisher).
    pub(crate) fn reset(&mut self) {
        self.clear();
        self.primary = None;
    }

    pub(crate) fn frames(&self) -> impl ExactSizeIterator<Item = &Frame> {
        self.frames.iter()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    pub(crate) fn len(&self) -> usize {
        self.frames.len()
    }
}
