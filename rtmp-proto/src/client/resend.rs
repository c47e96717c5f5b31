//! [`PublisherCore`]: what a resilient publisher remembers, resends after a reconnect,
//! routes during a reconnect-request handover, and drops while offline.

use super::error::UrlError;
use super::fleet::StreamCodec;
use super::handover::{Handover, HandoverPhase, Route};
use super::url::RtmpUrl;
use crate::relay::{Frame, FrameClass};
use crate::session::{Media, MediaKind, Metadata};

/// Most sequence headers remembered (one per kind and track; E-RTMP has at most 256
/// tracks per kind).
const MAX_HEADERS: usize = 512;

/// Which connection an item goes to: the first argument of [`PublisherCore`]'s `emit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// The connection currently publishing.
    Current,
    /// The connection a handover is moving to.
    Incoming,
}

/// One thing to send: the second argument of [`PublisherCore`]'s `emit`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outgoing {
    /// `@setDataFrame onMetaData` with this metadata
    /// ([`ClientSession::send_metadata`](crate::session::ClientSession::send_metadata)).
    Metadata(Metadata),
    /// A frame ([`ClientSession::send_media`](crate::session::ClientSession::send_media)).
    Media(Media),
}

/// What [`PublisherCore::on_media`] did with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sent {
    /// Emitted to a connection.
    Sent,
    /// Dropped: no connection publishes.
    Offline,
    /// Skipped: an inter frame after a (re)start, before the next keyframe.
    AwaitingKeyframe,
    /// Dropped: a video frame of another codec than the connection's
    /// ([`PublisherCore::set_video_codec`]).
    OtherCodec,
    /// Emitted as the switch point of a handover: the incoming connection is now current;
    /// flush and close the old one.
    Switched,
}

/// Counters of a publisher, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PublisherCounters {
    /// Frames emitted to a connection ([`Sent::Sent`] and [`Sent::Switched`]).
    pub sent: u64,
    /// Payload bytes of the frames counted in `sent` (what a bitrate is computed from).
    pub sent_bytes: u64,
    /// Frames dropped because no connection published ([`Sent::Offline`]).
    pub dropped_offline: u64,
    /// Inter frames skipped after a (re)start ([`Sent::AwaitingKeyframe`]).
    pub skipped_to_keyframe: u64,
    /// Times metadata and sequence headers were resent to a fresh connection.
    pub resends: u64,
    /// Reconnect-request handovers completed.
    pub handovers: u64,
    /// Video frames dropped for being of another codec than the connection's
    /// ([`Sent::OtherCodec`]).
    pub dropped_other_codec: u64,
}

/// The decisions of a resilient publisher, shared by every adapter: what to remember so a
/// fresh connection can be decoded, what to resend after a reconnect, which connection a
/// frame goes to during a reconnect-request handover, and what to drop while offline.
///
/// The adapter owns the connections and calls the methods below in sending order; every
/// method reports what to send through an `emit(Target, Outgoing)` callback, so frames go
/// out in exactly the order decided here. [`PublishLoop`](super::PublishLoop) calls it
/// from the session events; [`PublishTask`](super::PublishTask) applies `emit` to its
/// links.
///
/// Rules:
/// - Sequence headers (per kind and track) and the latest metadata are always remembered.
/// - When a connection starts publishing ([`PublisherCore::on_published`]), the metadata
///   and then the sequence headers are resent before anything else, and video inter frames
///   are skipped until the next keyframe: a decoder joining there could not use them.
/// - While no connection publishes, frames are dropped and counted: a live stream does not
///   queue minutes of video for a server that may never return (the caller's sends stay
///   fast; the configuration is kept for the resend).
/// - A [`Handover`] routes each frame to the old or the new connection; at the switch
///   point the new connection first gets the metadata and the preamble, then the keyframe.
#[derive(Debug, Default)]
pub struct PublisherCore {
    metadata: Option<Metadata>,
    /// The latest sequence header per (kind, track), in arrival order.
    headers: Vec<(MediaKind, u8, Media)>,
    publishing: bool,
    has_video: bool,
    awaiting_keyframe: bool,
    handover: Option<Handover>,
    counters: PublisherCounters,
    /// The video codec the connection takes, once chosen; frames of another are dropped.
    codec: Option<StreamCodec>,
}

impl PublisherCore {
    /// A publisher with nothing remembered and no connection publishing.
    pub fn new() -> Self {
        PublisherCore::default()
    }

    /// The counters so far.
    pub fn counters(&self) -> PublisherCounters {
        self.counters
    }

    /// Whether a connection publishes (frames are not being dropped).
    pub fn is_publishing(&self) -> bool {
        self.publishing
    }

    /// The latest metadata the caller sent.
    pub fn metadata(&self) -> Option<&Metadata> {
        self.metadata.as_ref()
    }

    /// The remembered sequence headers, in arrival order.
    pub fn sequence_headers(&self) -> impl Iterator<Item = &Media> + '_ {
        self.headers.iter().map(|(_, _, m)| m)
    }

    /// Call when the current connection started publishing (`PublishStarted`, the first
    /// time or after a reconnect): emits the metadata and sequence headers to resend, then
    /// waits for a keyframe.
    pub fn on_published(&mut self, emit: &mut impl FnMut(Target, Outgoing)) {
        self.publishing = true;
        self.awaiting_keyframe = self.has_video;
        if self.metadata.is_none() && self.headers.is_empty() {
            return;
        }
        self.counters.resends += 1;
        self.resend(Target::Current, emit);
    }

    /// Call when the current connection is gone; frames are dropped until
    /// [`on_published`](Self::on_published). A handover in progress ends with it (the
    /// adapter drops the new connection).
    pub fn on_link_lost(&mut self) {
        self.publishing = false;
        self.handover = None;
    }

    /// Call when a codec choice ([`CodecSelector`](super::CodecSelector)) is made after a
    /// connect, before the stream starts: from now on video frames of another codec are
    /// dropped (the application's source switches, and its first frames of the new codec
    /// are a sequence header and a keyframe). A first choice forgets remembered video
    /// headers of the other codec; a change of codec forgets the metadata and every
    /// remembered header, since they belong to the old source.
    pub fn set_video_codec(&mut self, codec: StreamCodec) {
        match self.codec.replace(codec) {
            Some(old) if old != codec => {
                self.metadata = None;
                self.headers.clear();
            }
            _ => self.headers.retain(|(kind, _, m)| {
                *kind != MediaKind::Video
                    || StreamCodec::of_video(&m.payload).is_none_or(|c| c == codec)
            }),
        }
    }

    /// Call with metadata from the application: remembered, and emitted where media
    /// currently goes.
    pub fn on_metadata(&mut self, metadata: Metadata, emit: &mut impl FnMut(Target, Outgoing)) {
        self.metadata = Some(metadata.clone());
        if !self.publishing {
            return;
        }
        let target = match self.handover.as_ref().map(Handover::phase) {
            Some(HandoverPhase::Switched) => Target::Incoming,
            _ => Target::Current,
        };
        emit(target, Outgoing::Metadata(metadata));
    }

    /// Call with each frame from the application, in order: remembers sequence headers and
    /// emits the frame where it goes (see [`Sent`]). On [`Sent::Switched`] the adapter
    /// makes the incoming connection current.
    pub fn on_media(&mut self, media: Media, emit: &mut impl FnMut(Target, Outgoing)) -> Sent {
        if let (Some(want), MediaKind::Video) = (self.codec, media.kind)
            && StreamCodec::of_video(&media.payload).is_some_and(|c| c != want)
        {
            self.counters.dropped_other_codec += 1;
            return Sent::OtherCodec;
        }
        let frame = Frame::media(media);
        let class = frame.class();
        let track = frame.track();
        let Some(media) = frame.as_media().cloned() else {
            return Sent::Offline; // `Frame::media` always holds media
        };
        if class.is_video() {
            self.has_video = true;
        }
        if matches!(class, FrameClass::VideoConfig | FrameClass::AudioConfig) {
            self.remember(media.kind, track, &media);
        }
        if !self.publishing {
            self.counters.dropped_offline += 1;
            return Sent::Offline;
        }
        if self.awaiting_keyframe {
            match class {
                FrameClass::VideoKeyframe => self.awaiting_keyframe = false,
                FrameClass::VideoInter => {
                    self.counters.skipped_to_keyframe += 1;
                    return Sent::AwaitingKeyframe;
                }
                _ => {}
            }
        }
        let route = match &mut self.handover {
            Some(h) => h.route(&media),
            None => Route::Old,
        };
        self.counters.sent += 1;
        self.counters.sent_bytes += media.payload.len() as u64;
        match route {
            Route::Old => {
                emit(Target::Current, Outgoing::Media(media));
                Sent::Sent
            }
            Route::New => {
                emit(Target::Incoming, Outgoing::Media(media));
                Sent::Sent
            }
            Route::Switch => {
                if let Some(m) = &self.metadata {
                    emit(Target::Incoming, Outgoing::Metadata(m.clone()));
                }
                if let Some(h) = &self.handover {
                    for p in h.preamble() {
                        emit(Target::Incoming, Outgoing::Media(p.clone()));
                    }
                }
                emit(Target::Incoming, Outgoing::Media(media));
                self.handover = None;
                self.counters.handovers += 1;
                Sent::Switched
            }
        }
    }

    /// Call when the server asked us to reconnect (`ReconnectRequested`; `tc_url`: the new
    /// server, `None`: the same URL). Returns where to dial the incoming connection;
    /// frames keep going to the current one meanwhile. A second request while one is in
    /// progress, or one while nothing publishes, is ignored (`Ok(None)`).
    pub fn start_handover(
        &mut self,
        current: &RtmpUrl,
        tc_url: Option<&str>,
    ) -> Result<Option<RtmpUrl>, UrlError> {
        if self.handover.is_some() || !self.publishing {
            return Ok(None);
        }
        let mut h = Handover::new(current, tc_url)?;
        for (_, _, m) in &self.headers {
            h.remember(m);
        }
        let url = h.new_url().clone();
        self.handover = Some(h);
        Ok(Some(url))
    }

    /// Call when the incoming connection publishes: the switch happens at the next
    /// keyframe.
    pub fn on_incoming_ready(&mut self) {
        if let Some(h) = &mut self.handover {
            h.on_new_ready();
        }
    }

    /// Call when the incoming connection failed before the switch: media stays on the
    /// current one.
    pub fn abort_handover(&mut self) {
        self.handover = None;
    }

    /// The phase of the handover in progress, if any.
    pub fn handover_phase(&self) -> Option<HandoverPhase> {
        self.handover.as_ref().map(Handover::phase)
    }

    fn remember(&mut self, kind: MediaKind, track: u8, media: &Media) {
        self.headers.retain(|(k, t, _)| (*k, *t) != (kind, track));
        if self.headers.len() < MAX_HEADERS {
            self.headers.push((kind, track, media.clone()));
        }
    }

    fn resend(&self, target: Target, emit: &mut impl FnMut(Target, Outgoing)) {
        if let Some(m) = &self.metadata {
            emit(target, Outgoing::Metadata(m.clone()));
        }
        for (_, _, h) in &self.headers {
            emit(target, Outgoing::Media(h.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amf::Value;
    use bytes::Bytes;

    fn meta() -> Metadata {
        Metadata::new(Value::from("meta"))
    }

    fn video(ts: u32, bytes: &'static [u8]) -> Media {
        Media {
            kind: MediaKind::Video,
            timestamp: ts,
            payload: Bytes::from_static(bytes),
        }
    }
    const AVC_HEADER: &[u8] = &[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f];
    const KEY: &[u8] = &[0x17, 1, 0, 0, 0, 0xaa];
    const INTER: &[u8] = &[0x27, 1, 0, 0, 0, 0xbb];
    const AAC_HEADER: &[u8] = &[0xaf, 0, 0x12, 0x10];

    fn audio(ts: u32, bytes: &'static [u8]) -> Media {
        Media {
            kind: MediaKind::Audio,
            timestamp: ts,
            payload: Bytes::from_static(bytes),
        }
    }

    fn run(core: &mut PublisherCore, m: Media, log: &mut Vec<(Target, Outgoing)>) -> Sent {
        core.on_media(m, &mut |t, o| log.push((t, o)))
    }

    #[test]
    fn reconnect_resends_metadata_and_headers_then_waits_for_a_keyframe() {
        let mut c = PublisherCore::new();
        let mut log = Vec::new();
        c.on_published(&mut |t, o| log.push((t, o)));
        assert!(log.is_empty(), "nothing to resend on the first publish");
        c.on_metadata(meta(), &mut |t, o| log.push((t, o)));
        run(&mut c, video(0, AVC_HEADER), &mut log);
        run(&mut c, audio(0, AAC_HEADER), &mut log);
        assert_eq!(run(&mut c, video(0, KEY), &mut log), Sent::Sent);
        assert_eq!(log.len(), 4);

        c.on_link_lost();
        assert_eq!(run(&mut c, video(40, INTER), &mut log), Sent::Offline);
        log.clear();
        c.on_published(&mut |t, o| log.push((t, o)));
        assert_eq!(
            log,
            [
                (Target::Current, Outgoing::Metadata(meta())),
                (Target::Current, Outgoing::Media(video(0, AVC_HEADER))),
                (Target::Current, Outgoing::Media(audio(0, AAC_HEADER))),
            ]
        );
        log.clear();
        assert_eq!(
            run(&mut c, video(80, INTER), &mut log),
            Sent::AwaitingKeyframe
        );
        assert_eq!(run(&mut c, audio(90, &[0xaf, 1, 5]), &mut log), Sent::Sent);
        assert_eq!(run(&mut c, video(120, KEY), &mut log), Sent::Sent);
        assert_eq!(run(&mut c, video(160, INTER), &mut log), Sent::Sent);
        assert_eq!(log.len(), 3);
        let n = c.counters();
        assert_eq!(
            (n.dropped_offline, n.skipped_to_keyframe, n.resends),
            (1, 1, 1)
        );
    }

    #[test]
    fn newer_sequence_header_replaces_the_old_one() {
        let mut c = PublisherCore::new();
        let mut log = Vec::new();
        run(&mut c, video(0, AVC_HEADER), &mut log);
        run(&mut c, video(0, &[0x17, 0, 0, 0, 0, 1, 0x4d]), &mut log);
        assert_eq!(c.sequence_headers().count(), 1);
        assert_eq!(
            c.sequence_headers().next().unwrap().payload[6],
            0x4d,
            "the latest header wins"
        );
    }

    #[test]
    fn handover_switches_at_a_keyframe_with_metadata_and_preamble() {
        let mut c = PublisherCore::new();
        let mut log = Vec::new();
        c.on_published(&mut |t, o| log.push((t, o)));
        c.on_metadata(meta(), &mut |t, o| log.push((t, o)));
        run(&mut c, video(0, AVC_HEADER), &mut log);
        run(&mut c, video(0, KEY), &mut log);
        let cur = RtmpUrl::parse("rtmp://a/live/cam").unwrap();
        let to = c
            .start_handover(&cur, Some("rtmp://b:1936/live"))
            .unwrap()
            .unwrap();
        assert_eq!(to.to_string(), "rtmp://b:1936/live/cam");
        log.clear();
        // Not ready yet: everything stays on the current connection.
        run(&mut c, video(40, KEY), &mut log);
        c.on_incoming_ready();
        run(&mut c, video(80, INTER), &mut log);
        assert!(log.iter().all(|(t, _)| *t == Target::Current));
        log.clear();
        assert_eq!(run(&mut c, video(120, KEY), &mut log), Sent::Switched);
        assert_eq!(
            log,
            [
                (Target::Incoming, Outgoing::Metadata(meta())),
                (Target::Incoming, Outgoing::Media(video(0, AVC_HEADER))),
                (Target::Incoming, Outgoing::Media(video(120, KEY))),
            ]
        );
        // After the switch the adapter makes the incoming connection current.
        log.clear();
        run(&mut c, video(160, INTER), &mut log);
        assert_eq!(log, [(Target::Current, Outgoing::Media(video(160, INTER)))]);
        assert_eq!(c.counters().handovers, 1);
    }
}
