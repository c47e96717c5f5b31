//! [`PublishLoop`] and [`PlayLoop`]: what each [`ClientEvent`] means for a resilient
//! publisher's and player's reconnect loop ([`Supervisor`]), the publisher's resend and
//! handover logic ([`PublisherCore`]) and the application.

use std::time::Instant;

use super::failure::FailureReason;
use super::fleet::{CodecPreference, CodecSelector};
use super::resend::{Outgoing, PublisherCore, Target};
use super::status::ClientStatus;
use super::supervisor::Supervisor;
use super::url::RtmpUrl;
use crate::session::{ClientEvent, Media, Metadata};

/// What a publisher's adapter does after an event of its current connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LinkStep {
    /// Nothing to do: keep going.
    Continue,
    /// The connection failed: drop it (and any handover connection); the supervisor
    /// says when to dial again.
    Lost,
    /// The server asked us to move: dial this URL for the handover (keep sending on the
    /// current connection meanwhile).
    DialIncoming(RtmpUrl),
}

/// The event handling of a resilient publisher's loop: a [`Supervisor`], a
/// [`PublisherCore`] and the [`ClientStatus`], told what each [`ClientEvent`] of the
/// current and the handover connection means.
///
/// An adapter's loop then only waits (sockets, timers, its queue), dials what it is told,
/// and applies the returned step ([`PublishTask`](super::PublishTask) is that loop's
/// steps, packaged):
///
/// ```text
/// for ev in current.events(): match pl.on_current_event(now, &ev, url, emit) {
///     Continue => {}, Lost => drop current and incoming,
///     DialIncoming(url) => start dialing the handover connection }
/// for ev in incoming.events(): if pl.on_incoming_event(&ev) { drop incoming }
/// if let Some(s) = pl.status_update() { publish s to the app }
/// ```
#[derive(Debug)]
pub struct PublishLoop {
    sup: Supervisor,
    core: PublisherCore,
    status: ClientStatus,
    /// Picks the video codec after each connect, when the application has a preference.
    codec: Option<CodecSelector>,
}

impl PublishLoop {
    /// A publisher's loop reconnecting as `sup` decides, with nothing remembered yet.
    pub fn new(sup: Supervisor) -> Self {
        PublishLoop {
            sup,
            core: PublisherCore::new(),
            status: ClientStatus::new(),
            codec: None,
        }
    }

    /// Chooses the video codec from the server's answer after each connect, and has the
    /// core drop frames of the other codec ([`PublisherCore::set_video_codec`]).
    pub fn set_codec_preference(&mut self, preference: CodecPreference) {
        self.codec = Some(CodecSelector::new(preference));
    }

    /// The reconnect decisions: dial when it says, and report dials to it.
    pub fn supervisor(&mut self) -> &mut Supervisor {
        &mut self.sup
    }

    /// The resend and handover decisions: feed it the application's frames and metadata.
    pub fn core(&mut self) -> &mut PublisherCore {
        &mut self.core
    }

    /// Call with each event of the current connection (to `url`), in order; `emit` sends
    /// what the core resends when the stream starts (see [`PublisherCore`]).
    pub fn on_current_event(
        &mut self,
        now: Instant,
        event: &ClientEvent,
        url: &RtmpUrl,
        emit: &mut impl FnMut(Target, Outgoing),
    ) -> LinkStep {
        if let ClientEvent::ReconnectRequested { tc_url, .. } = event {
            return match self.core.start_handover(url, tc_url.as_deref()) {
                Ok(Some(to)) => {
                    tracing::info!(from = %url, to = %to, "server asked to reconnect");
                    LinkStep::DialIncoming(to)
                }
                Ok(None) => LinkStep::Continue,
                Err(e) => {
                    tracing::warn!(error = %e, "unusable reconnect request ignored");
                    LinkStep::Continue
                }
            };
        }
        if let ClientEvent::Connected { enhanced, .. } = event {
            self.status.server_caps = enhanced.clone();
            if let Some(c) = self
                .codec
                .as_mut()
                .and_then(|s| s.on_connected(enhanced.as_ref()))
            {
                tracing::info!(codec = c.as_str(), url = %url, "video codec chosen");
                self.core.set_video_codec(c);
            }
        }
        if self.sup.on_event(now, event) {
            self.core.on_link_lost();
            return LinkStep::Lost;
        }
        if let ClientEvent::PublishStarted { .. } = event {
            self.status.starts += 1;
            self.core.on_published(emit);
        }
        LinkStep::Continue
    }

    /// Call with each event of the handover connection, in order; `true`: it failed, drop
    /// it (the core already went back to the current connection).
    pub fn on_incoming_event(&mut self, event: &ClientEvent) -> bool {
        let failed = match event {
            ClientEvent::PublishStarted { .. } => {
                self.core.on_incoming_ready();
                false
            }
            ClientEvent::Closed(_) => true,
            ev => FailureReason::from_event(ev).is_some(),
        };
        if failed {
            self.on_incoming_failed();
        }
        failed
    }

    /// Call when the handover connection could not be dialed or its socket broke.
    pub fn on_incoming_failed(&mut self) {
        tracing::info!("reconnect-request handover failed; staying on the current server");
        self.core.abort_handover();
    }

    /// Call on a socket error of the current connection; then drop it (and any handover
    /// connection).
    pub fn on_current_io_error(&mut self, now: Instant, error: &std::io::Error) {
        self.sup.on_io_error(now, error);
        self.core.on_link_lost();
    }

    /// Call when a handover completed ([`Sent::Switched`](super::Sent::Switched)) and the
    /// adapter made the incoming connection (to `url`) current.
    pub fn on_switched(&mut self, now: Instant, url: RtmpUrl) {
        tracing::info!(to = %url, "handed over to the new connection");
        self.sup.handed_over(now, url);
    }

    /// The status, refreshed; `Some` when something other than counters changed (state
    /// transitions are logged here). Call after every step, and publish what it returns.
    pub fn status_update(&mut self) -> Option<&ClientStatus> {
        self.status.counters = self.core.counters();
        self.status
            .refresh(&mut self.sup, "publisher")
            .then_some(&self.status)
    }

    /// The current status (counters included).
    pub fn status(&self) -> &ClientStatus {
        &self.status
    }
}

/// What a player receives.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlayerEvent {
    /// Playing started (again, after a reconnect): reset decoders; media follows
    /// (metadata and sequence headers first when the server has them).
    Started {
        /// The URL the connection plays from.
        url: RtmpUrl,
    },
    /// An audio or video frame.
    Media(Media),
    /// `onMetaData` from the publisher.
    Metadata(Metadata),
    /// The publisher went away (StreamEOF); the connection stays and waits.
    Unpublished,
    /// The connection failed; the player reconnects per its policy.
    Interrupted {
        /// Why, when the failure had a reason.
        reason: Option<FailureReason>,
    },
}

/// What a player's adapter does after an event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PlayStep {
    /// Hand this to the application.
    Deliver(PlayerEvent),
    /// The connection failed: hand this (`Interrupted`) to the application, drop the
    /// connection.
    Lost(PlayerEvent),
    /// Nothing for the application.
    Nothing,
}

/// The event handling of a resilient player's loop: a [`Supervisor`] and the
/// [`ClientStatus`], told what each [`ClientEvent`] means and what the application gets.
///
/// ```text
/// for ev in current.events(): match pl.on_event(now, ev, url) {
///     Deliver(e) => hand e to the app, Lost(e) => hand e over, drop current,
///     Nothing => {} }
/// if let Some(s) = pl.status_update() { publish s to the app }
/// ```
///
/// [`PlayTask`](super::PlayTask) is that loop's steps, packaged.
#[derive(Debug)]
pub struct PlayLoop {
    sup: Supervisor,
    status: ClientStatus,
}

impl PlayLoop {
    /// A player's loop reconnecting as `sup` decides.
    pub fn new(sup: Supervisor) -> Self {
        PlayLoop {
            sup,
            status: ClientStatus::new(),
        }
    }

    /// The reconnect decisions: dial when it says, and report dials to it.
    pub fn supervisor(&mut self) -> &mut Supervisor {
        &mut self.sup
    }

    /// Call with each event of the connection (to `url`), in order.
    pub fn on_event(&mut self, now: Instant, event: ClientEvent, url: &RtmpUrl) -> PlayStep {
        if self.sup.on_event(now, &event) {
            let reason = FailureReason::from_event(&event);
            return PlayStep::Lost(PlayerEvent::Interrupted { reason });
        }
        PlayStep::Deliver(match event {
            ClientEvent::PlayStarted { .. } => {
                self.status.starts += 1;
                PlayerEvent::Started { url: url.clone() }
            }
            ClientEvent::Media { media, .. } => PlayerEvent::Media(media),
            ClientEvent::Metadata { metadata, .. } => PlayerEvent::Metadata(metadata),
            ClientEvent::StreamEof { .. } => PlayerEvent::Unpublished,
            _ => return PlayStep::Nothing,
        })
    }

    /// Call on a socket error: returns the `Interrupted` event to hand over; then drop the
    /// connection.
    pub fn on_io_error(&mut self, now: Instant, error: &std::io::Error) -> PlayerEvent {
        self.sup.on_io_error(now, error);
        PlayerEvent::Interrupted {
            reason: self.sup.last_failure().cloned(),
        }
    }

    /// The status, refreshed; `Some` when it changed. Call after every step, and publish
    /// what it returns.
    pub fn status_update(&mut self) -> Option<&ClientStatus> {
        self.status
            .refresh(&mut self.sup, "player")
            .then_some(&self.status)
    }

    /// The current status.
    pub fn status(&self) -> &ClientStatus {
        &self.status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ConnectionState, Failover, SupervisorSettings};
    use crate::session::CloseReason;

    fn sup(now: Instant) -> (Supervisor, RtmpUrl) {
        let url = RtmpUrl::parse("rtmp://a/live/cam").unwrap();
        let s = SupervisorSettings::new(Failover::single(url.clone()));
        let mut sup = Supervisor::new(s, 7, now).unwrap();
        sup.dialing(now);
        sup.on_tcp_connected(now);
        (sup, url)
    }

    #[test]
    fn publish_loop_dials_the_handover_target_and_reports_loss() {
        let now = Instant::now();
        let (s, url) = sup(now);
        let mut pl = PublishLoop::new(s);
        assert_eq!(
            pl.status_update().map(|s| s.state),
            Some(ConnectionState::Handshaking)
        );
        assert!(pl.status_update().is_none(), "no change, no update");
        let mut sent = Vec::new();
        // Not publishing yet: a reconnect request has nothing to move.
        let req = ClientEvent::ReconnectRequested {
            tc_url: Some("rtmp://b:1936/live".into()),
            description: None,
        };
        let step = pl.on_current_event(now, &req, &url, &mut |t, o| sent.push((t, o)));
        assert_eq!(step, LinkStep::Continue);
        let mut emit = |_, _| {};
        pl.core().on_published(&mut emit);
        let step = pl.on_current_event(now, &req, &url, &mut emit);
        assert_eq!(
            step,
            LinkStep::DialIncoming(RtmpUrl::parse("rtmp://b:1936/live/cam").unwrap())
        );
        let closed = ClientEvent::Closed(CloseReason::PeerClosed);
        assert_eq!(
            pl.on_current_event(now, &closed, &url, &mut emit),
            LinkStep::Lost
        );
        assert!(!pl.core().is_publishing());
        assert_eq!(pl.core().handover_phase(), None);
        let s = pl.status_update().unwrap();
        assert_eq!(s.state, ConnectionState::Reconnecting);
        assert!(sent.is_empty());
    }

    #[test]
    fn a_codec_preference_drops_the_other_codec_and_a_switch_forgets_the_old_source() {
        use crate::client::{CodecPreference, Sent};
        use crate::media::FourCc;
        use crate::media::caps::{CodecKey, EnhancedCaps};
        use crate::session::MediaKind;
        use bytes::Bytes;
        let video = |b: &'static [u8]| Media {
            kind: MediaKind::Video,
            timestamp: 0,
            payload: Bytes::from_static(b),
        };
        let avc_header = video(&[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f]);
        let avc_key = video(&[0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]);
        let hevc_header = video(&[0x90, b'h', b'v', b'c', b'1', 1, 2, 3]);
        let hevc_key = video(&[0x91, b'h', b'v', b'c', b'1', 0, 0, 0, 9, 9]);
        let connected = |hevc: bool| ClientEvent::Connected {
            properties: crate::amf::Value::Null,
            information: crate::amf::Value::Null,
            enhanced: hevc.then(|| EnhancedCaps {
                fourcc_list: vec![CodecKey::FourCc(FourCc(*b"hvc1"))],
                ..EnhancedCaps::default()
            }),
        };
        let now = Instant::now();
        let (s, url) = sup(now);
        let mut pl = PublishLoop::new(s);
        pl.set_codec_preference(CodecPreference::HevcOrH264);
        let sent = std::cell::RefCell::new(Vec::new());
        let mut emit = |_: Target, o: Outgoing| sent.borrow_mut().push(o);
        // Before the first connect the source sent both headers; HEVC is chosen.
        assert_eq!(
            pl.core().on_media(avc_header.clone(), &mut emit),
            Sent::Offline
        );
        assert_eq!(
            pl.core().on_media(hevc_header.clone(), &mut emit),
            Sent::Offline
        );
        pl.on_current_event(now, &connected(true), &url, &mut emit);
        assert!(pl.status().server_caps.is_some());
        pl.core().on_published(&mut emit);
        assert_eq!(
            *sent.borrow(),
            [Outgoing::Media(hevc_header.clone())],
            "only the HEVC header"
        );
        assert_eq!(
            pl.core().on_media(avc_key.clone(), &mut emit),
            Sent::OtherCodec
        );
        assert_eq!(pl.core().on_media(hevc_key.clone(), &mut emit), Sent::Sent);
        // Failed over to a legacy server: H.264 from now on, nothing of the HEVC source.
        pl.core().on_link_lost();
        sent.borrow_mut().clear();
        pl.on_current_event(now, &connected(false), &url, &mut emit);
        pl.core().on_published(&mut emit);
        assert!(
            sent.borrow().is_empty(),
            "the old header is resent: {sent:?}"
        );
        assert_eq!(pl.core().on_media(hevc_key, &mut emit), Sent::OtherCodec);
        assert_eq!(
            pl.core().on_media(avc_header.clone(), &mut emit),
            Sent::Sent
        );
        assert_eq!(pl.core().on_media(avc_key, &mut emit), Sent::Sent);
        assert_eq!(pl.core().counters().dropped_other_codec, 2);
    }

    #[test]
    fn play_loop_ignores_other_events_and_reports_failures() {
        let now = Instant::now();
        let (s, url) = sup(now);
        let mut pl = PlayLoop::new(s);
        let status = ClientEvent::Status {
            handle: None,
            level: crate::session::StatusLevel::Status,
            code: crate::session::StatusCode::PlayReset,
            description: String::new(),
        };
        assert_eq!(pl.on_event(now, status, &url), PlayStep::Nothing);
        let step = pl.on_event(now, ClientEvent::Closed(CloseReason::PeerClosed), &url);
        assert_eq!(
            step,
            PlayStep::Lost(PlayerEvent::Interrupted {
                reason: Some(FailureReason::Closed(CloseReason::PeerClosed))
            })
        );
        assert_eq!(
            pl.status_update().map(|s| s.state),
            Some(ConnectionState::Reconnecting)
        );
    }
}
