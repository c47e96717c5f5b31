//! The handshake state machine, both roles.
//!
//! Each side sends a version byte and a 1536-byte packet (C0+C1, S0+S1), then answers the
//! peer's packet (C2, S2). The server answers as soon as it has C0+C1, in one segment
//! S0+S1+S2; the client sends C2 as soon as it has S1 (the spec allows it, and a server that
//! waits for C2 before sending S2 would otherwise deadlock us).
//!
//! Input is read from the caller's buffer only when a whole piece (the version byte, or a
//! 1536-byte packet) is there, so any split of the stream gives the same result, and nothing
//! after the handshake (the first chunks) is ever consumed.

use std::collections::VecDeque;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::digest::{self, Key};
use super::{
    ClientConfig, HandshakeError, HandshakeMode, Negotiated, PACKET_LEN, PeerAnswer, RTMP_VERSION,
    Schema, ServerConfig, simple,
};
use crate::rng::Rng;

/// Which end of the connection we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// Sends C0+C1 first, then C2 once S1 is in.
    Client,
    /// Answers C0+C1 with S0+S1+S2.
    Server,
}

#[derive(Debug, Clone)]
enum Local {
    Client(ClientConfig),
    Server(ServerConfig),
}

#[derive(Debug, Clone)]
enum State {
    /// Waiting for C0/S0.
    AwaitVersion,
    /// Waiting for C1/S1.
    AwaitPacket,
    /// Waiting for C2/S2; our answer to the peer's packet is queued.
    AwaitAnswer {
        mode: HandshakeMode,
        peer_version: [u8; 4],
        peer_epoch: u32,
    },
    Done(Negotiated),
    Failed(HandshakeError),
}

/// One side of an RTMP handshake (sans-IO).
///
/// Feed what the peer sends to [`handle_input`](Self::handle_input), send what
/// [`poll_transmit`](Self::poll_transmit) yields, until [`is_complete`](Self::is_complete).
/// Bytes after the handshake stay in the input buffer for the chunk decoder.
///
/// ```
/// use bytes::BytesMut;
/// use rtmp_proto::handshake::{ClientConfig, Handshake, ServerConfig};
/// use rtmp_proto::rng::Rng;
///
/// let mut rng = Rng::new(1);
/// let mut client = Handshake::client(&ClientConfig::default(), &mut rng, 0);
/// let mut server = Handshake::server(&ServerConfig::default(), &mut rng, 0);
/// let (mut to_server, mut to_client) = (BytesMut::new(), BytesMut::new());
/// while !(client.is_complete() && server.is_complete()) {
///     while let Some(seg) = client.poll_transmit() { to_server.extend_from_slice(&seg); }
///     server.handle_input(&mut to_server).unwrap();
///     while let Some(seg) = server.poll_transmit() { to_client.extend_from_slice(&seg); }
///     client.handle_input(&mut to_client).unwrap();
/// }
/// let (c, s) = (client.negotiated().unwrap(), server.negotiated().unwrap());
/// assert_eq!(c.mode, s.mode); // HandshakeMode::Digest(Schema::One)
/// ```
#[derive(Debug, Clone)]
pub struct Handshake {
    local: Local,
    state: State,
    rng: Rng,
    epoch: u32,
    /// Our C1/S1 as sent (a slice of the transmitted segment), for the echo check.
    ours: Bytes,
    /// The digest of our C1/S1, when we signed it.
    our_digest: Option<[u8; digest::DIGEST_LEN]>,
    /// Classify the peer's C2/S2 (an HMAC over 1504 bytes for a digest peer). Sessions,
    /// which never show [`Negotiated::peer_answer`], turn it off.
    check_answer: bool,
    transmit: VecDeque<Bytes>,
}

impl Handshake {
    /// A client handshake; C0+C1 is ready in [`poll_transmit`](Self::poll_transmit) at once.
    /// `rng` seeds the filler (one draw); `epoch` is our time field (milliseconds, any base).
    pub fn client(config: &ClientConfig, rng: &mut Rng, epoch: u32) -> Self {
        let mut hs = Handshake::new(Local::Client(config.clone()), rng, epoch);
        let mut c1 = [0u8; PACKET_LEN];
        match config.digest {
            Some(schema) => {
                simple::write_packet(&mut c1, epoch, config.version, &mut hs.rng);
                hs.our_digest = Some(digest::sign(&mut c1, schema, Key::PlayerPublic));
            }
            None => simple::write_packet(&mut c1, epoch, [0; 4], &mut hs.rng),
        }
        let mut seg = BytesMut::with_capacity(1 + PACKET_LEN);
        seg.put_u8(RTMP_VERSION);
        seg.extend_from_slice(&c1);
        let seg = seg.freeze();
        hs.ours = seg.slice(1..);
        hs.transmit.push_back(seg);
        hs
    }

    /// A server handshake; it answers once C0+C1 are in.
    /// `rng` seeds the filler (one draw); `epoch` is our time field (milliseconds, any base).
    pub fn server(config: &ServerConfig, rng: &mut Rng, epoch: u32) -> Self {
        Handshake::new(Local::Server(config.clone()), rng, epoch)
    }

    fn new(local: Local, rng: &mut Rng, epoch: u32) -> Self {
        Handshake {
            local,
            state: State::AwaitVersion,
            rng: Rng::new(rng.next_u64()),
            epoch,
            ours: Bytes::new(),
            our_digest: None,
            check_answer: true,
            transmit: VecDeque::with_capacity(2),
        }
    }

    /// Leaves the peer's C2/S2 unclassified ([`PeerAnswer::NotChecked`]): it is read and
    /// skipped without an HMAC. For owners that never look at
    /// [`Negotiated::peer_answer`].
    pub(crate) fn without_answer_check(mut self) -> Self {
        self.check_answer = false;
        self
    }

    /// Which end we are.
    pub fn role(&self) -> Role {
        match self.local {
            Local::Client(_) => Role::Client,
            Local::Server(_) => Role::Server,
        }
    }

    /// Consumes handshake bytes from the front of `input`: whole pieces only, and nothing
    /// after the peer's C2/S2. An error is sticky: later calls return it again.
    ///
    /// Call after every read appended to `input`, until [`is_complete`](Self::is_complete);
    /// then drain [`poll_transmit`](Self::poll_transmit). Once complete it leaves `input`
    /// alone, and what remains there is the chunk stream.
    pub fn handle_input(&mut self, input: &mut BytesMut) -> Result<(), HandshakeError> {
        loop {
            match &self.state {
                State::Done(_) => return Ok(()),
                State::Failed(e) => return Err(e.clone()),
                State::AwaitVersion => {
                    let Some(&version) = input.first() else {
                        return Ok(());
                    };
                    if let Err(e) = check_version(version) {
                        self.state = State::Failed(e.clone());
                        return Err(e);
                    }
                    input.advance(1);
                    self.state = State::AwaitPacket;
                }
                State::AwaitPacket => {
                    let Some(packet) = input.first_chunk::<PACKET_LEN>() else {
                        return Ok(());
                    };
                    self.state = self.on_peer_packet(packet);
                    input.advance(PACKET_LEN);
                }
                State::AwaitAnswer {
                    mode,
                    peer_version,
                    peer_epoch,
                } => {
                    let Some(packet) = input.first_chunk::<PACKET_LEN>() else {
                        return Ok(());
                    };
                    self.state = State::Done(Negotiated {
                        mode: *mode,
                        peer_version: *peer_version,
                        peer_epoch: *peer_epoch,
                        peer_answer: self.check_answer(packet),
                    });
                    input.advance(PACKET_LEN);
                }
            }
        }
    }

    /// The next segment to send, in order. The server's S0+S1+S2 is one segment.
    ///
    /// Call right after [`client`](Self::client) (C0+C1 is ready at once) and after every
    /// [`handle_input`](Self::handle_input), until it returns `None`.
    #[must_use]
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.transmit.pop_front()
    }

    /// Whether the peer's C2/S2 is in: what follows in the input is the chunk stream. (A
    /// client may still have C2 to drain from [`poll_transmit`](Self::poll_transmit).)
    pub fn is_complete(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// What was negotiated, once complete.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        match &self.state {
            State::Done(n) => Some(n),
            _ => None,
        }
    }

    /// Handles C1 (server) or S1 (client): queues our answer and says what comes next.
    fn on_peer_packet(&mut self, packet: &[u8; PACKET_LEN]) -> State {
        let mode = match self.local.clone() {
            Local::Server(config) => self.answer_c1(packet, &config),
            Local::Client(config) => self.answer_s1(packet, &config),
        };
        State::AwaitAnswer {
            mode,
            peer_version: simple::version(packet),
            peer_epoch: simple::epoch(packet),
        }
    }

    /// Queues S0+S1+S2: digest ones when C1 carries a valid digest, otherwise a simple S1
    /// (zero version, so clients look for no digest) and S2 = C1. Schema 1 is tried first:
    /// ffmpeg, librtmp (OBS) and Flash Player 10+ sign in it, so a digest client usually
    /// costs one validation, not two.
    fn answer_c1(&mut self, c1: &[u8; PACKET_LEN], config: &ServerConfig) -> HandshakeMode {
        let found = config
            .digest
            .then(|| digest::find(c1, [Schema::One, Schema::Zero], Key::PlayerPublic))
            .flatten();
        // S1 and S2 are written in place in the segment that goes out: no packet copies.
        let mut seg = BytesMut::zeroed(1 + 2 * PACKET_LEN);
        let mode = match seg.split_first_mut() {
            Some((s0, rest)) => {
                *s0 = RTMP_VERSION;
                let (s1, s2) = rest.split_at_mut(PACKET_LEN);
                match (<&mut [u8; PACKET_LEN]>::try_from(s1), s2.try_into()) {
                    (Ok(s1), Ok(s2)) => self.write_s1_s2(s1, s2, c1, found, config),
                    _ => HandshakeMode::Simple, // unreachable: the lengths are constants
                }
            }
            None => HandshakeMode::Simple, // unreachable: the segment is not empty
        };
        let seg = seg.freeze();
        if self.check_answer {
            // Kept for the echo check only: the first slice of a fresh buffer allocates.
            self.ours = seg.slice(1..1 + PACKET_LEN);
        }
        self.transmit.push_back(seg);
        mode
    }

    /// Fills S1 and S2 for [`answer_c1`](Self::answer_c1).
    fn write_s1_s2(
        &mut self,
        s1: &mut [u8; PACKET_LEN],
        s2: &mut [u8; PACKET_LEN],
        c1: &[u8; PACKET_LEN],
        found: Option<(Schema, [u8; digest::DIGEST_LEN])>,
        config: &ServerConfig,
    ) -> HandshakeMode {
        match found {
            Some((schema, client_digest)) => {
                simple::write_packet(s1, self.epoch, config.version, &mut self.rng);
                self.our_digest = Some(digest::sign(s1, schema, Key::ServerPublic));
                digest::write_answer(s2, &client_digest, Key::Server, &mut self.rng);
                HandshakeMode::Digest(schema)
            }
            None => {
                simple::write_packet(s1, self.epoch, [0; 4], &mut self.rng);
                s2.copy_from_slice(c1);
                HandshakeMode::Simple
            }
        }
    }

    /// Queues C2: a digest answer when we signed C1 and S1's digest validates (our schema
    /// tried first), otherwise an echo of S1.
    fn answer_s1(&mut self, s1: &[u8; PACKET_LEN], config: &ClientConfig) -> HandshakeMode {
        let found = config
            .digest
            .and_then(|ours| digest::find(s1, [ours, ours.other()], Key::ServerPublic));
        let mut c2 = *s1;
        let mode = match found {
            Some((schema, server_digest)) => {
                digest::write_answer(&mut c2, &server_digest, Key::Player, &mut self.rng);
                HandshakeMode::Digest(schema)
            }
            None => HandshakeMode::Simple,
        };
        self.transmit.push_back(Bytes::copy_from_slice(&c2));
        mode
    }

    /// Classifies C2 (server) or S2 (client) against our S1/C1.
    fn check_answer(&self, answer: &[u8; PACKET_LEN]) -> PeerAnswer {
        if !self.check_answer {
            return PeerAnswer::NotChecked;
        }
        let peer_key = match self.local {
            Local::Server(_) => Key::Player,
            Local::Client(_) => Key::Server,
        };
        match self.our_digest {
            Some(ours) if digest::is_answer(answer, &ours, peer_key) => PeerAnswer::Digest,
            _ if simple::is_echo(answer, &self.ours) => PeerAnswer::Echo,
            _ => PeerAnswer::Unrecognized,
        }
    }
}

/// C0/S0 must be 3; 6 and 8 are RTMPE, anything else is not RTMP we know.
fn check_version(version: u8) -> Result<(), HandshakeError> {
    match version {
        RTMP_VERSION => Ok(()),
        6 | 8 => Err(HandshakeError::Encrypted(version)),
        other => Err(HandshakeError::UnsupportedVersion(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a client and a server to completion; returns what each negotiated.
    fn pair(client: Handshake, server: Handshake) -> (Negotiated, Negotiated) {
        let (mut c, mut s) = (client, server);
        let (mut to_server, mut to_client) = (BytesMut::new(), BytesMut::new());
        while !(c.is_complete() && s.is_complete()) {
            while let Some(seg) = c.poll_transmit() {
                to_server.extend_from_slice(&seg);
            }
            s.handle_input(&mut to_server).unwrap();
            while let Some(seg) = s.poll_transmit() {
                to_client.extend_from_slice(&seg);
            }
            c.handle_input(&mut to_client).unwrap();
        }
        (
            c.negotiated().unwrap().clone(),
            s.negotiated().unwrap().clone(),
        )
    }

    /// Skipping the answer check changes only `peer_answer`, and only on the side that
    /// skipped it; both schemas still negotiate.
    #[test]
    fn without_answer_check_only_leaves_the_answer_unclassified() {
        let mut rng = Rng::new(9);
        for schema in [Schema::Zero, Schema::One] {
            let cc = ClientConfig {
                digest: Some(schema),
                ..ClientConfig::default()
            };
            let sc = ServerConfig::default();
            let client = Handshake::client(&cc, &mut rng, 0);
            let server = Handshake::server(&sc, &mut rng, 0).without_answer_check();
            let (c, s) = pair(client, server);
            assert_eq!((c.mode, s.mode), (HandshakeMode::Digest(schema), c.mode));
            assert_eq!(c.peer_answer, PeerAnswer::Digest);
            assert_eq!(s.peer_answer, PeerAnswer::NotChecked);

            let client = Handshake::client(&cc, &mut rng, 0).without_answer_check();
            let server = Handshake::server(&sc, &mut rng, 0);
            let (c, s) = pair(client, server);
            assert_eq!(c.peer_answer, PeerAnswer::NotChecked);
            assert_eq!(s.peer_answer, PeerAnswer::Digest);
        }
    }
}
