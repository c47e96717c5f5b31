//! Shared helpers of the `client_*` tests: media frames and a client/server session link on
//! a virtual clock.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rtmp_proto::client::RtmpUrl;
use rtmp_proto::media::caps::{CapsEx, EnhancedCaps};
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectReply, Media, MediaKind, PublishMode,
    ServerConfig, ServerEvent, ServerSession, StreamHandle,
};

fn media(kind: MediaKind, timestamp: u32, bytes: Vec<u8>) -> Media {
    Media {
        kind,
        timestamp,
        payload: Bytes::from(bytes),
    }
}

/// AVC sequence header (legacy tag, config byte `cfg`).
pub fn avc_seq(ts: u32, cfg: u8) -> Media {
    media(MediaKind::Video, ts, vec![0x17, 0, 0, 0, 0, 1, cfg, 0, 31])
}

/// AVC keyframe; the byte after the header tags the frame so every frame is distinct.
pub fn avc_key(ts: u32) -> Media {
    media(
        MediaKind::Video,
        ts,
        vec![0x17, 1, 0, 0, 0, ts as u8, (ts >> 8) as u8],
    )
}

pub fn avc_inter(ts: u32) -> Media {
    media(
        MediaKind::Video,
        ts,
        vec![0x27, 1, 0, 0, 0, ts as u8, (ts >> 8) as u8],
    )
}

pub fn aac_seq(ts: u32, cfg: u8) -> Media {
    media(MediaKind::Audio, ts, vec![0xAF, 0, 0x12, cfg])
}

pub fn aac(ts: u32) -> Media {
    media(
        MediaKind::Audio,
        ts,
        vec![0xAF, 1, ts as u8, (ts >> 8) as u8],
    )
}

/// Connect parameters for `url` advertising E-RTMP reconnect support.
pub fn reconnect_capable(url: &RtmpUrl) -> rtmp_proto::session::ConnectParams {
    let mut p = url.connect_params();
    p.enhanced = Some(EnhancedCaps {
        caps_ex: CapsEx::RECONNECT,
        ..EnhancedCaps::default()
    });
    p
}

/// One TCP connection: a client session and the server it talks to, bytes moved whole.
/// The server accepts every connect and publish.
pub struct Link {
    pub client: ClientSession,
    pub server: ServerSession,
    pub client_events: Vec<ClientEvent>,
    pub server_events: Vec<ServerEvent>,
    client_in: BytesMut,
    server_in: BytesMut,
}

impl Link {
    pub fn new(now: Instant) -> Self {
        Link {
            client: ClientSession::new(Arc::new(ClientConfig::default()), now),
            server: ServerSession::new(Arc::new(ServerConfig::default()), now),
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_in: BytesMut::new(),
            server_in: BytesMut::new(),
        }
    }

    /// Moves bytes and drains events until both sides are quiet; returns the new client
    /// events.
    pub fn drive(&mut self, now: Instant) -> Vec<ClientEvent> {
        let first_new = self.client_events.len();
        loop {
            let mut progressed = false;
            while let Some(ev) = self.server.poll_event() {
                match &ev {
                    ServerEvent::ConnectRequested { id, .. } => self
                        .server
                        .accept_connect(now, *id, ConnectReply::default())
                        .unwrap(),
                    ServerEvent::PublishRequested { id, .. } => {
                        self.server.accept_publish(now, *id).unwrap()
                    }
                    _ => {}
                }
                self.server_events.push(ev);
                progressed = true;
            }
            while let Some(ev) = self.client.poll_event() {
                self.client_events.push(ev);
                progressed = true;
            }
            while let Some(seg) = self.client.poll_transmit() {
                self.server_in.extend_from_slice(&seg);
                progressed = true;
            }
            while let Some(seg) = self.server.poll_transmit() {
                self.client_in.extend_from_slice(&seg);
                progressed = true;
            }
            if !self.server_in.is_empty() {
                let _ = self.server.handle_input(now, &mut self.server_in);
                progressed = true;
            }
            if !self.client_in.is_empty() {
                let _ = self.client.handle_input(now, &mut self.client_in);
                progressed = true;
            }
            if !progressed {
                return self.client_events[first_new..].to_vec();
            }
        }
    }

    /// Connects and publishes the stream of `url`; returns the publishing handle.
    pub fn publish(&mut self, now: Instant, url: &RtmpUrl) -> StreamHandle {
        self.client.connect(reconnect_capable(url)).unwrap();
        self.drive(now);
        let h = self
            .client
            .publish(&url.stream(), PublishMode::Live)
            .unwrap();
        let events = self.drive(now);
        assert!(
            events
                .iter()
                .any(|e| matches!(e, ClientEvent::PublishStarted { .. })),
            "publish did not start: {events:?}"
        );
        h
    }

    /// Media the server received, in order.
    pub fn received(&self) -> Vec<Media> {
        self.server_events
            .iter()
            .filter_map(|e| match e {
                ServerEvent::Media { media, .. } => Some(media.clone()),
                _ => None,
            })
            .collect()
    }
}
