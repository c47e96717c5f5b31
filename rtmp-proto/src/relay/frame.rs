//! [`Frame`]: one item a publisher sends, classified once, fanned out to every player.

use bytes::Bytes;

use crate::UsageError;
use crate::chunk::EncodedMessage;
use crate::media::flv::FlvTagType;
use crate::media::{AudioTag, VideoTag};
use crate::message::RawMessage;
use crate::session::csid;
use crate::session::{Droppable, Media, MediaKind, Metadata, ServerSession, StreamId};

/// What a frame is, for caching and dropping decisions. Computed once when the frame enters
/// the relay ([`Frame::media`]), never per player.
///
/// A multitrack E-RTMP message mixing kinds gets the most important one: configuration over
/// sequence end over keyframe over inter frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FrameClass {
    /// `onMetaData` (a data message).
    Metadata,
    /// Video decoder configuration for at least one track: a sequence header /
    /// SequenceStart / MPEG2TSSequenceStart, or E-RTMP video metadata (`colorInfo`).
    VideoConfig,
    /// Audio decoder configuration: AAC sequence header, SequenceStart, MultichannelConfig.
    AudioConfig,
    /// Coded video a decoder can start at.
    VideoKeyframe,
    /// Any other video: inter and disposable frames, command frames, and video whose
    /// header does not parse. The only class dropped for lag.
    VideoInter,
    /// Video end of sequence.
    VideoSequenceEnd,
    /// Coded audio (or audio whose header does not parse).
    Audio,
    /// Audio end of sequence.
    AudioSequenceEnd,
}

impl FrameClass {
    /// Decoder configuration (or metadata): always delivered, cached per track.
    pub fn is_config(self) -> bool {
        matches!(
            self,
            FrameClass::Metadata | FrameClass::VideoConfig | FrameClass::AudioConfig
        )
    }

    /// A video class.
    pub fn is_video(self) -> bool {
        matches!(
            self,
            FrameClass::VideoConfig
                | FrameClass::VideoKeyframe
                | FrameClass::VideoInter
                | FrameClass::VideoSequenceEnd
        )
    }
}

/// The payload of a [`Frame`].
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Audio or video.
    Media(Media),
    /// An AMF0 `onMetaData` data-message payload, as in [`Metadata::payload`].
    Metadata {
        /// `"onMetaData", {...}` in AMF0, as in [`Metadata::payload`].
        payload: Bytes,
        /// Milliseconds, wrapping at 2^32.
        timestamp: u32,
    },
}

/// One published item with its class. Cloning is two reference-count bumps at most, so a
/// frame fanned out to N players is never copied.
///
/// Adapters build a frame from each `ServerEvent::Media` / `ServerEvent::Metadata` of a
/// publisher (outside any lock: classification parses the tag header), hand it to
/// [`Registry::ingest`](super::Registry::ingest), and deliver clones to players with
/// [`Frame::send_to`].
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    item: Item,
    class: FrameClass,
    track: u8,
}

impl Frame {
    /// Classifies an audio or video message (legacy or Enhanced RTMP).
    pub fn media(media: Media) -> Self {
        let (class, track) = classify(&media);
        Frame {
            item: Item::Media(media),
            class,
            track,
        }
    }

    /// Stream metadata, as a session reports it.
    pub fn metadata(metadata: &Metadata) -> Self {
        Frame::metadata_payload(metadata.payload.clone(), metadata.timestamp)
    }

    /// Stream metadata from its AMF0 `onMetaData` data-message payload.
    pub fn metadata_payload(payload: Bytes, timestamp: u32) -> Self {
        Frame {
            item: Item::Metadata { payload, timestamp },
            class: FrameClass::Metadata,
            track: 0,
        }
    }

    /// What the frame is to a player joining or resuming: configuration, keyframe, inter
    /// frame, audio or metadata.
    pub fn class(&self) -> FrameClass {
        self.class
    }

    /// The lowest track id the message carries: 0 for legacy and single-track messages and
    /// for metadata. Track 0 is E-RTMP's default track; the relay starts GOPs and resumes
    /// players at keyframes of the lowest video track it has seen.
    pub fn track(&self) -> u8 {
        self.track
    }

    /// The media message or metadata.
    pub fn item(&self) -> &Item {
        &self.item
    }

    /// The media message or metadata, without its classification.
    pub fn into_item(self) -> Item {
        self.item
    }

    /// The FLV tag this frame is written as (audio, video, or script data for metadata),
    /// for those who write frames as FLV (HTTP-FLV, taps).
    pub fn flv_tag_type(&self) -> FlvTagType {
        match &self.item {
            Item::Media(m) if m.kind == MediaKind::Audio => FlvTagType::Audio,
            Item::Media(_) => FlvTagType::Video,
            Item::Metadata { .. } => FlvTagType::Script,
        }
    }

    /// The media message, unless this is metadata.
    pub fn as_media(&self) -> Option<&Media> {
        match &self.item {
            Item::Media(m) => Some(m),
            Item::Metadata { .. } => None,
        }
    }

    /// Payload bytes: what the frame adds to a player's outbound queue.
    pub fn len(&self) -> usize {
        self.payload().len()
    }

    /// An empty payload (legal for audio and video messages, useless to decoders).
    pub fn is_empty(&self) -> bool {
        self.payload().is_empty()
    }

    /// The bytes a player receives: the FLV tag body, or the `onMetaData` payload.
    pub fn payload(&self) -> &Bytes {
        match &self.item {
            Item::Media(m) => &m.payload,
            Item::Metadata { payload, .. } => payload,
        }
    }

    /// Milliseconds, wrapping at 2^32, as the publisher sent it.
    pub fn timestamp(&self) -> u32 {
        match &self.item {
            Item::Media(m) => m.timestamp,
            Item::Metadata { timestamp, .. } => *timestamp,
        }
    }

    /// Queues the frame toward a player (`send_media` or `send_metadata`); pass the
    /// [`Droppable`] a [`Verdict::Send`](super::Verdict::Send) gave. Clones the payload
    /// handle, never the bytes.
    pub fn send_to(
        &self,
        session: &mut ServerSession,
        stream: StreamId,
        droppable: Droppable,
    ) -> Result<(), UsageError> {
        self.send_to_at(session, stream, droppable, self.timestamp())
    }

    /// [`send_to`](Self::send_to) with the timestamp the player's policy gave
    /// ([`PlayerPolicy::timestamp`](super::PlayerPolicy::timestamp)): the payload is
    /// shared, only the chunk header carries the player's timestamp.
    pub fn send_to_at(
        &self,
        session: &mut ServerSession,
        stream: StreamId,
        droppable: Droppable,
        timestamp: u32,
    ) -> Result<(), UsageError> {
        match &self.item {
            Item::Media(m) => {
                let mut m = m.clone();
                m.timestamp = timestamp;
                session.send_media(stream, m, droppable)
            }
            Item::Metadata { payload, .. } => {
                session.send_metadata_payload(stream, payload.clone(), timestamp)
            }
        }
    }
}

impl Frame {
    /// The frame chunked once for every player on message stream `stream` whose session
    /// cuts at `chunk_size` ([`ServerSession::chunk_size`]) and sends it with `timestamp`
    /// ([`PlayerPolicy::timestamp`](super::PlayerPolicy::timestamp)): queue it with
    /// [`ServerSession::send_encoded`]. Copies the payload once; what each player then
    /// costs is a reference to the same bytes.
    pub fn encode(
        &self,
        stream: StreamId,
        chunk_size: u32,
        timestamp: u32,
    ) -> Result<EncodedMessage, UsageError> {
        let (type_id, lane) = match &self.item {
            Item::Media(m) if m.kind == MediaKind::Audio => (8, csid::AUDIO),
            Item::Media(_) => (9, csid::VIDEO),
            Item::Metadata { .. } => (18, csid::DATA),
        };
        let message = RawMessage {
            timestamp,
            type_id,
            stream_id: stream.0,
            payload: self.payload().clone(),
        };
        EncodedMessage::new(lane, chunk_size, message)
    }
}

fn classify(media: &Media) -> (FrameClass, u8) {
    match media.kind {
        MediaKind::Video => match VideoTag::parse(media.payload.clone()) {
            Ok(tag) => {
                let track = tag.tracks().map(|t| t.track_id).min().unwrap_or(0);
                let class = if tag.is_sequence_header() || tag.is_metadata() {
                    FrameClass::VideoConfig
                } else if tag.is_sequence_end() {
                    FrameClass::VideoSequenceEnd
                } else if tag.is_keyframe() {
                    FrameClass::VideoKeyframe
                } else {
                    FrameClass::VideoInter
                };
                (class, track)
            }
            Err(_) => (FrameClass::VideoInter, 0),
        },
        MediaKind::Audio => match AudioTag::parse(media.payload.clone()) {
            Ok(tag) => {
                let track = tag.tracks().map(|t| t.track_id).min().unwrap_or(0);
                let class = if tag.is_config() {
                    FrameClass::AudioConfig
                } else if tag.is_sequence_end() {
                    FrameClass::AudioSequenceEnd
                } else {
                    FrameClass::Audio
                };
                (class, track)
            }
            Err(_) => (FrameClass::Audio, 0),
        },
    }
}
