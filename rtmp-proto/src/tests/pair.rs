//! The Pair harness: a [`ClientSession`] and a [`ServerSession`] in one thread on a virtual
//! clock, with the byte streams between them re-split by a [`Segmenter`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::rng::Rng;
use crate::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectReply, ServerConfig, ServerEvent,
    ServerSession,
};

/// How bytes in flight are cut before they reach the other side.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Segmenter {
    /// Everything written so far, at once.
    Whole,
    /// One byte per `handle_input` call.
    OneByte,
    /// Pieces of random length 1..=97 from a seeded PRNG.
    Random(u64),
}

impl Segmenter {
    pub(crate) const ALL: [Segmenter; 4] = [
        Segmenter::Whole,
        Segmenter::OneByte,
        Segmenter::Random(1),
        Segmenter::Random(0xDEAD),
    ];
}

/// What the server side's automatic decisions are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decide {
    /// Accept connect, publish and play as soon as asked.
    AcceptAll,
    /// Leave every decision to the test.
    Manual,
}

pub(crate) struct Pair {
    pub(crate) now: Instant,
    pub(crate) client: ClientSession,
    pub(crate) server: ServerSession,
    pub(crate) client_events: Vec<ClientEvent>,
    pub(crate) server_events: Vec<ServerEvent>,
    /// Every byte the client wrote / the server read, for symmetry checks.
    pub(crate) c2s_log: Vec<u8>,
    pub(crate) s2c_log: Vec<u8>,
    c2s: BytesMut,
    s2c: BytesMut,
    server_in: BytesMut,
    client_in: BytesMut,
    rng: Rng,
    seg: Segmenter,
    pub(crate) decide: Decide,
}

impl Pair {
    pub(crate) fn new(seg: Segmenter) -> Self {
        Self::with_configs(seg, ServerConfig::default(), ClientConfig::default())
    }

    pub(crate) fn with_configs(seg: Segmenter, server: ServerConfig, client: ClientConfig) -> Self {
        let now = Instant::now();
        let seed = match seg {
            Segmenter::Random(s) => s,
            _ => 0,
        };
        Pair {
            now,
            client: ClientSession::new(Arc::new(client), now),
            server: ServerSession::new(Arc::new(server), now),
            client_events: Vec::new(),
            server_events: Vec::new(),
            c2s_log: Vec::new(),
            s2c_log: Vec::new(),
            c2s: BytesMut::new(),
            s2c: BytesMut::new(),
            server_in: BytesMut::new(),
            client_in: BytesMut::new(),
            rng: Rng::new(seed),
            seg,
            decide: Decide::AcceptAll,
        }
    }

    /// Advances the virtual clock and lets both sides check their deadlines.
    pub(crate) fn advance(&mut self, d: Duration) {
        self.now += d;
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
        self.drive();
    }

    /// Moves bytes and drains events until neither side has anything left to say.
    pub(crate) fn drive(&mut self) {
        for _ in 0..1_000_000 {
            let mut progressed = false;
            while let Some(ev) = self.server.poll_event() {
                self.auto_decide(&ev);
                self.server_events.push(ev);
                progressed = true;
            }
            while let Some(ev) = self.client.poll_event() {
                self.client_events.push(ev);
                progressed = true;
            }
            while let Some(seg) = self.client.poll_transmit() {
                self.c2s.extend_from_slice(&seg);
                progressed = true;
            }
            while let Some(seg) = self.server.poll_transmit() {
                self.s2c.extend_from_slice(&seg);
                progressed = true;
            }
            if !self.c2s.is_empty() {
                let piece = self.cut(true);
                self.c2s_log.extend_from_slice(&piece);
                self.server_in.extend_from_slice(&piece);
                let _ = self.server.handle_input(self.now, &mut self.server_in);
                progressed = true;
            }
            if !self.s2c.is_empty() {
                let piece = self.cut(false);
                self.s2c_log.extend_from_slice(&piece);
                self.client_in.extend_from_slice(&piece);
                let _ = self.client.handle_input(self.now, &mut self.client_in);
                progressed = true;
            }
            if !progressed {
                return;
            }
        }
        panic!("pair did not settle");
    }

    fn cut(&mut self, c2s: bool) -> Bytes {
        let buf = if c2s { &mut self.c2s } else { &mut self.s2c };
        let n = match self.seg {
            Segmenter::Whole => buf.len(),
            Segmenter::OneByte => 1,
            Segmenter::Random(_) => (1 + self.rng.below(97) as usize).min(buf.len()),
        };
        buf.split_to(n).freeze()
    }

    fn auto_decide(&mut self, ev: &ServerEvent) {
        if self.decide != Decide::AcceptAll {
            return;
        }
        match ev {
            ServerEvent::ConnectRequested { id, .. } => {
                self.server
                    .accept_connect(self.now, *id, ConnectReply::default())
                    .unwrap();
            }
            ServerEvent::PublishRequested { id, .. } => {
                self.server.accept_publish(self.now, *id).unwrap()
            }
            ServerEvent::PlayRequested { id, .. } => {
                self.server.accept_play(self.now, *id).unwrap()
            }
            _ => {}
        }
    }

    /// Server events that match `f`.
    pub(crate) fn server_saw(&self, f: impl Fn(&ServerEvent) -> bool) -> usize {
        self.server_events.iter().filter(|e| f(e)).count()
    }

    /// Client events that match `f`.
    pub(crate) fn client_saw(&self, f: impl Fn(&ClientEvent) -> bool) -> usize {
        self.client_events.iter().filter(|e| f(e)).count()
    }
}
