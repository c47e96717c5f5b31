//! A relayed message as the fuzz input describes it, shared by the `relay` and `fanout`
//! targets.

use arbitrary::Arbitrary;
use bytes::Bytes;
use rtmp_proto::relay::Frame;
use rtmp_proto::session::{Media, MediaKind};

/// A message as the publisher sent it: its kind, a timestamp step, the payload bytes from
/// the input and `pad` zero bytes after them (so frames large enough to reach the byte
/// bounds cost the input little).
#[derive(Debug, Arbitrary)]
pub struct FrameSpec {
    pub kind: Kind,
    pub ts_step: u16,
    pub bytes: Vec<u8>,
    pub pad: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Arbitrary)]
pub enum Kind {
    Audio,
    Video,
    Metadata,
}

impl FrameSpec {
    /// The frame, its timestamp `ts_step` after `ts` (which it advances).
    pub fn build(&self, ts: &mut u32) -> Frame {
        *ts = ts.wrapping_add(u32::from(self.ts_step));
        let mut payload = self.bytes.clone();
        payload.resize(payload.len() + usize::from(self.pad % 4096), 0);
        let payload = Bytes::from(payload);
        let kind = match self.kind {
            Kind::Metadata => return Frame::metadata_payload(payload, *ts),
            Kind::Audio => MediaKind::Audio,
            Kind::Video => MediaKind::Video,
        };
        Frame::media(Media {
            kind,
            timestamp: *ts,
            payload,
        })
    }
}
