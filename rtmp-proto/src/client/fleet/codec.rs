//! Which video codec a fleet stream sends: [`CodecPreference`] says what the stream wants,
//! the server's Enhanced RTMP answer to `connect` says what it takes, and
//! [`CodecSelector`] decides after each (re)connect, so a stream never changes codec in
//! the middle of a connection (and so never in the middle of a GOP: a fresh connection
//! starts at a keyframe with the sequence header first).

use std::str::FromStr;

use crate::media::caps::{CapsEx, CodecKey, EnhancedCaps, FourCcCaps};
use crate::media::{FourCc, VideoCodec, VideoFourCc, VideoTag};

const AVC1: FourCc = VideoFourCc::Avc1.fourcc();
const HVC1: FourCc = VideoFourCc::Hvc1.fourcc();

/// What a stream wants to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CodecPreference {
    /// Always H.264 (legacy FLV video: every server takes it).
    #[default]
    H264,
    /// Always HEVC (Enhanced RTMP `hvc1`), whatever the server answered.
    Hevc,
    /// HEVC when the server's E-RTMP answer lists `hvc1`, else the H.264 source.
    HevcOrH264,
}

/// The codec a stream sends on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StreamCodec {
    /// H.264 / AVC.
    H264,
    /// H.265 / HEVC over Enhanced RTMP.
    Hevc,
}

impl StreamCodec {
    /// `h264` or `hevc`, as a status table shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            StreamCodec::H264 => "h264",
            StreamCodec::Hevc => "hevc",
        }
    }
}

impl CodecPreference {
    /// The codec to send to a server that answered `connect` with `server` (`None`: a
    /// legacy server, no E-RTMP at all).
    pub fn choose(self, server: Option<&EnhancedCaps>) -> StreamCodec {
        match self {
            CodecPreference::H264 => StreamCodec::H264,
            CodecPreference::Hevc => StreamCodec::Hevc,
            CodecPreference::HevcOrH264 if takes_hevc(server) => StreamCodec::Hevc,
            CodecPreference::HevcOrH264 => StreamCodec::H264,
        }
    }

    /// What a publisher with this preference advertises in `connect`, so an E-RTMP server
    /// answers with the codecs it takes: the video codecs it may send (to encode) and
    /// reconnect-request support.
    pub fn advertised(self) -> EnhancedCaps {
        let mut video = vec![(CodecKey::FourCc(AVC1), FourCcCaps::ENCODE)];
        if self != CodecPreference::H264 {
            video.insert(0, (CodecKey::FourCc(HVC1), FourCcCaps::ENCODE));
        }
        EnhancedCaps {
            fourcc_list: video.iter().map(|(k, _)| *k).collect(),
            video,
            audio: Vec::new(),
            caps_ex: CapsEx::RECONNECT,
        }
    }

    /// `h264`, `hevc` or `hevc_or_h264`, as a configuration writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            CodecPreference::H264 => "h264",
            CodecPreference::Hevc => "hevc",
            CodecPreference::HevcOrH264 => "hevc_or_h264",
        }
    }
}

/// Parses [`CodecPreference::as_str`]'s names.
impl FromStr for CodecPreference {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "h264" => Ok(CodecPreference::H264),
            "hevc" => Ok(CodecPreference::Hevc),
            "hevc_or_h264" => Ok(CodecPreference::HevcOrH264),
            _ => Err(format!(
                "unknown codec {s:?}: expected h264, hevc or hevc_or_h264"
            )),
        }
    }
}

impl StreamCodec {
    /// The codec of a video message payload: `Some` for H.264 and HEVC (legacy or E-RTMP),
    /// `None` for other codecs, commands and what does not parse.
    pub fn of_video(payload: &bytes::Bytes) -> Option<StreamCodec> {
        match VideoTag::parse(payload.clone()).ok()?.codec()? {
            VideoCodec::Avc => Some(StreamCodec::H264),
            VideoCodec::Hevc => Some(StreamCodec::Hevc),
            _ => None,
        }
    }
}

/// Whether a server's answer says it takes HEVC from a publisher: `hvc1` in its
/// `fourCcList`, or in its video map with a non-zero mask.
fn takes_hevc(server: Option<&EnhancedCaps>) -> bool {
    server
        .and_then(|c| c.video_caps(HVC1))
        .is_some_and(|m| m.0 != 0)
}

/// A stream's codec over its connections: told each connect's answer, it says when the
/// codec changes. The application then switches its source and sends the new codec's
/// sequence header and a keyframe first; the switch only ever happens at a (re)connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecSelector {
    preference: CodecPreference,
    current: Option<StreamCodec>,
}

impl CodecSelector {
    /// Nothing chosen yet.
    pub fn new(preference: CodecPreference) -> Self {
        CodecSelector {
            preference,
            current: None,
        }
    }

    /// The codec in use (`None` before the first connect).
    pub fn current(&self) -> Option<StreamCodec> {
        self.current
    }

    /// Call after each connect with the server's answer: `Some(codec)` when the stream
    /// must start (or switch to) `codec` now, `None` when it stays as it is.
    pub fn on_connected(&mut self, server: Option<&EnhancedCaps>) -> Option<StreamCodec> {
        let codec = self.preference.choose(server);
        if self.current == Some(codec) {
            return None;
        }
        self.current = Some(codec);
        Some(codec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(list: &[FourCc]) -> EnhancedCaps {
        EnhancedCaps {
            fourcc_list: list.iter().map(|c| CodecKey::FourCc(*c)).collect(),
            ..EnhancedCaps::default()
        }
    }

    #[test]
    fn hevc_only_where_the_server_answers_hvc1() {
        let p = CodecPreference::HevcOrH264;
        assert_eq!(p.choose(None), StreamCodec::H264, "legacy server");
        assert_eq!(p.choose(Some(&answer(&[AVC1]))), StreamCodec::H264);
        assert_eq!(p.choose(Some(&answer(&[AVC1, HVC1]))), StreamCodec::Hevc);
        let zero = EnhancedCaps {
            video: vec![(CodecKey::FourCc(HVC1), FourCcCaps(0))],
            ..EnhancedCaps::default()
        };
        assert_eq!(
            p.choose(Some(&zero)),
            StreamCodec::H264,
            "a zero mask refuses"
        );
        assert_eq!(
            CodecPreference::H264.choose(Some(&answer(&[HVC1]))),
            StreamCodec::H264
        );
    }

    #[test]
    fn the_selector_switches_only_when_a_connect_changes_the_answer() {
        let mut s = CodecSelector::new(CodecPreference::HevcOrH264);
        let hevc = answer(&[HVC1]);
        assert_eq!(s.on_connected(Some(&hevc)), Some(StreamCodec::Hevc));
        assert_eq!(s.on_connected(Some(&hevc)), None, "same server, same codec");
        assert_eq!(
            s.on_connected(None),
            Some(StreamCodec::H264),
            "failed over to legacy"
        );
        assert_eq!(s.current(), Some(StreamCodec::H264));
    }

    #[test]
    fn names_round_trip_and_advertisement_lists_hevc_first() {
        for p in [
            CodecPreference::H264,
            CodecPreference::Hevc,
            CodecPreference::HevcOrH264,
        ] {
            assert_eq!(p.as_str().parse::<CodecPreference>(), Ok(p));
        }
        assert!("h265".parse::<CodecPreference>().is_err());
        let caps = CodecPreference::HevcOrH264.advertised();
        assert_eq!(caps.fourcc_list.first(), Some(&CodecKey::FourCc(HVC1)));
        assert!(caps.caps_ex.contains(CapsEx::RECONNECT));
        assert!(
            CodecPreference::H264
                .advertised()
                .video_caps(HVC1)
                .is_none()
        );
    }
}
