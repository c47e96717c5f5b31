//! [`ClientLink`]: one client connection with a job (connect to a URL, then publish or
//! play its stream), and [`DrivenLink`], what the task steps need of such a link on an
//! adapter's socket.

use std::sync::Arc;
use std::time::Instant;

use super::url::RtmpUrl;
use crate::error::UsageError;
use crate::media::caps::CapsEx;
use crate::session::{
    ClientConfig, ClientEvent, ClientSession, Media, Metadata, PublishMode, StreamHandle,
};

/// What the link does once connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkRole {
    /// `publish` the URL's stream (live), and advertise E-RTMP reconnect support.
    Publish,
    /// `play` the URL's stream.
    Play,
}

/// One client connection with a job: connect to a URL, then publish or play its stream.
///
/// It wraps a [`ClientSession`] and takes the steps every adapter would otherwise repeat:
/// `connect` with the URL's parameters (advertising E-RTMP reconnect support for
/// publishers, so servers may send `ReconnectRequest`), `publish`/`play` once connected,
/// and remembering the stream handle. The adapter moves bytes (the session is a
/// [`Session`](crate::session::Session), reached through [`ClientLink::session`]) and
/// reads the events through [`ClientLink::poll_event`].
#[derive(Debug)]
pub struct ClientLink {
    session: ClientSession,
    url: RtmpUrl,
    role: LinkRole,
    handle: Option<StreamHandle>,
    started: bool,
}

impl ClientLink {
    /// A session for a freshly opened socket to `url`; `connect` is queued to go out when
    /// the handshake completes. Call once the TCP connection is up.
    ///
    /// The handshake filler is drawn from `config.rng_seed`: give every connection a seed
    /// of its own (from the OS in production, fixed in tests).
    pub fn new(config: &ClientConfig, url: RtmpUrl, role: LinkRole, now: Instant) -> Self {
        let mut session = ClientSession::new(Arc::new(config.clone()), now);
        let mut params = url.connect_params();
        params.enhanced = config.advertise.clone();
        if role == LinkRole::Publish {
            // Tell E-RTMP servers we honour NetConnection.Connect.ReconnectRequest.
            let mut caps = params.enhanced.take().unwrap_or_default();
            caps.caps_ex = caps.caps_ex | CapsEx::RECONNECT;
            params.enhanced = Some(caps);
        }
        // Invariant: a new session is in its handshake and has no connect queued.
        let queued = session.connect(params);
        debug_assert!(queued.is_ok());
        ClientLink {
            session,
            url,
            role,
            handle: None,
            started: false,
        }
    }

    /// The URL this link connects to.
    pub fn url(&self) -> &RtmpUrl {
        &self.url
    }

    /// Whether the link publishes or plays.
    pub fn role(&self) -> LinkRole {
        self.role
    }

    /// The session, for the socket loop: feed it input, timeouts and EOF, and write what
    /// its `poll_transmit` gives. Read its events through [`poll_event`](Self::poll_event),
    /// not the session's own.
    pub fn session(&mut self) -> &mut ClientSession {
        &mut self.session
    }

    /// Whether the stream publishes or plays (its `PublishStarted`/`PlayStarted` came).
    pub fn is_started(&self) -> bool {
        self.started
    }

    /// The next session event, after the link reacted to it: `Connected` sends
    /// `publish`/`play`; `PublishStarted`/`PlayStarted` mark the link started. Events of
    /// other streams are passed through unchanged. Drain it after every input to the
    /// session, as the session's own `poll_event`.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        let event = self.session.poll_event()?;
        match &event {
            ClientEvent::Connected { .. } => {
                let key = self.url.stream().into_owned();
                let opened = match self.role {
                    LinkRole::Publish => self.session.publish(&key, PublishMode::Live),
                    LinkRole::Play => self.session.play(&key),
                };
                match opened {
                    Ok(h) => self.handle = Some(h),
                    Err(e) => tracing::warn!(url = %self.url, error = %e, "cannot open the stream"),
                }
            }
            ClientEvent::PublishStarted { handle, .. }
            | ClientEvent::PlayStarted { handle, .. }
                if Some(*handle) == self.handle =>
            {
                self.started = true;
            }
            _ => {}
        }
        Some(event)
    }

    /// Sends a frame on the publishing stream. `QueueFull` is the session's outbound
    /// limit ([`ClientConfig::max_outbound_bytes`]).
    pub fn send_media(&mut self, media: Media) -> Result<(), UsageError> {
        let h = self.publishing_handle()?;
        self.session.send_media(h, media)
    }

    /// Sends `@setDataFrame onMetaData` on the publishing stream
    /// ([`ClientSession::send_metadata`]).
    pub fn send_metadata(&mut self, metadata: &Metadata) -> Result<(), UsageError> {
        let h = self.publishing_handle()?;
        self.session.send_metadata(h, metadata)
    }

    /// Payload bytes queued in the session (the socket's batch is the adapter's).
    pub fn pending_bytes(&self) -> usize {
        self.session.pending_transmit_bytes()
    }

    /// Ends the stream politely (FCUnpublish/deleteStream) and closes the session; drain
    /// `poll_transmit` afterwards so the server sees it.
    pub fn close(&mut self) {
        if let Some(h) = self.handle.take() {
            let _ = self.session.close_stream(h);
        }
        self.session.close();
    }

    fn publishing_handle(&self) -> Result<StreamHandle, UsageError> {
        match (self.role, self.handle, self.started) {
            (LinkRole::Publish, Some(h), true) => Ok(h),
            _ => Err(UsageError::WrongState("stream is not publishing")),
        }
    }
}

/// What the publisher and player tasks ([`PublishTask`](super::PublishTask),
/// [`PlayTask`](super::PlayTask)) need of a connection on an adapter's socket: the adapter
/// implements it for its link type (a [`ClientLink`] with its socket and write buffer).
pub trait DrivenLink {
    /// The link's session and job.
    fn link(&mut self) -> &mut ClientLink;
    /// Payload bytes accepted but not yet on the socket: the session's queue plus the
    /// adapter's own write buffer.
    fn pending(&self) -> usize;
    /// Writes what the session queued, as far as the socket takes it without waiting. An
    /// error means the connection is broken.
    fn pump_out(&mut self) -> std::io::Result<()>;
}
