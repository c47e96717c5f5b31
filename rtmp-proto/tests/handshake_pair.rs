//! A client and a server handshake in memory, under every way of splitting the byte streams
//! (whole segments, one byte at a time, seeded random pieces): both roles, simple and digest,
//! both schemas (RTMP-NOTES items 12 and 13). Each side appends its first "chunk" bytes right
//! after its handshake, and they must come out untouched on the other side.

use bytes::BytesMut;
use proptest::prelude::*;
use rtmp_proto::handshake::{
    ClientConfig, Handshake, HandshakeMode, PACKET_LEN, PeerAnswer, Schema, ServerConfig,
};
use rtmp_proto::rng::Rng;

const HANDSHAKE_LEN: usize = 1 + 2 * PACKET_LEN;
const CLIENT_TRAILER: &[u8] = b"\x03client-connect-chunk";
const SERVER_TRAILER: &[u8] = b"\x02server-control";

/// One direction: what a side has sent, and how much the other side has been given.
#[derive(Default)]
struct Pipe {
    sent: Vec<u8>,
    delivered: usize,
    input: BytesMut,
}

impl Pipe {
    fn drain_from(&mut self, hs: &mut Handshake, trailer: &[u8]) {
        let before = self.sent.len();
        while let Some(seg) = hs.poll_transmit() {
            self.sent.extend_from_slice(&seg);
        }
        // Like a real peer: the first chunk goes out right after the last handshake byte.
        if before < HANDSHAKE_LEN && self.sent.len() == HANDSHAKE_LEN {
            self.sent.extend_from_slice(trailer);
        }
        assert!(self.sent.len() <= HANDSHAKE_LEN + trailer.len());
    }

    /// Moves up to `n` bytes to the receiver's buffer and lets it consume them.
    fn deliver(&mut self, n: usize, to: &mut Handshake) -> bool {
        let end = self.delivered.saturating_add(n).min(self.sent.len());
        let moved = end > self.delivered;
        self.input
            .extend_from_slice(&self.sent[self.delivered..end]);
        self.delivered = end;
        to.handle_input(&mut self.input).unwrap();
        moved
    }
}

struct Outcome {
    client: Handshake,
    server: Handshake,
    c2s: Vec<u8>,
    s2c: Vec<u8>,
}

fn run(client: &ClientConfig, server: &ServerConfig, mut split: impl FnMut() -> usize) -> Outcome {
    let mut rng = Rng::new(99);
    let mut c = Handshake::client(client, &mut rng, 0x0102_0304);
    let mut s = Handshake::server(server, &mut rng, 0x0A0B_0C0D);
    let (mut c2s, mut s2c) = (Pipe::default(), Pipe::default());
    for _ in 0..100_000 {
        c2s.drain_from(&mut c, CLIENT_TRAILER);
        let a = c2s.deliver(split(), &mut s);
        s2c.drain_from(&mut s, SERVER_TRAILER);
        let b = s2c.deliver(split(), &mut c);
        if !a && !b && c.is_complete() && s.is_complete() {
            break;
        }
    }
    assert!(c.is_complete() && s.is_complete(), "handshake stalled");
    // Exactly the handshake was consumed: the trailers are left, whole, in the buffers.
    assert_eq!(&c2s.input[..], CLIENT_TRAILER);
    assert_eq!(&s2c.input[..], SERVER_TRAILER);
    Outcome {
        client: c,
        server: s,
        c2s: c2s.sent,
        s2c: s2c.sent,
    }
}

fn client_config(digest: Option<Schema>) -> ClientConfig {
    let mut config = ClientConfig::default();
    config.digest = digest;
    config
}

fn server_config(digest: bool) -> ServerConfig {
    let mut config = ServerConfig::default();
    config.digest = digest;
    config
}

/// Every combination we support, and what both sides must conclude.
fn cases() -> Vec<(ClientConfig, ServerConfig, HandshakeMode, PeerAnswer)> {
    vec![
        (
            client_config(Some(Schema::One)),
            server_config(true),
            HandshakeMode::Digest(Schema::One),
            PeerAnswer::Digest,
        ),
        (
            client_config(Some(Schema::Zero)),
            server_config(true),
            HandshakeMode::Digest(Schema::Zero),
            PeerAnswer::Digest,
        ),
        (
            client_config(None),
            server_config(true),
            HandshakeMode::Simple,
            PeerAnswer::Echo,
        ),
        (
            client_config(Some(Schema::One)),
            server_config(false),
            HandshakeMode::Simple,
            PeerAnswer::Echo,
        ),
        (
            client_config(None),
            server_config(false),
            HandshakeMode::Simple,
            PeerAnswer::Echo,
        ),
    ]
}

fn check(
    out: &Outcome,
    client: &ClientConfig,
    server: &ServerConfig,
    mode: HandshakeMode,
    answer: PeerAnswer,
) {
    let (c, s) = (
        out.client.negotiated().unwrap(),
        out.server.negotiated().unwrap(),
    );
    assert_eq!((c.mode, s.mode), (mode, mode));
    assert_eq!((c.peer_answer, s.peer_answer), (answer, answer));
    assert_eq!(c.peer_epoch, 0x0A0B_0C0D);
    assert_eq!(s.peer_epoch, 0x0102_0304);
    let client_version = if client.digest.is_some() {
        client.version
    } else {
        [0; 4]
    };
    let server_version = if mode == HandshakeMode::Simple {
        [0; 4]
    } else {
        server.version
    };
    assert_eq!(s.peer_version, client_version);
    assert_eq!(c.peer_version, server_version);
    assert_eq!((out.c2s[0], out.s2c[0]), (3, 3));
    if mode == HandshakeMode::Simple {
        // Item 12: S2 echoes C1, C2 echoes S1, byte for byte.
        assert_eq!(
            out.s2c[1 + PACKET_LEN..HANDSHAKE_LEN],
            out.c2s[1..1 + PACKET_LEN]
        );
        assert_eq!(
            out.c2s[1 + PACKET_LEN..HANDSHAKE_LEN],
            out.s2c[1..1 + PACKET_LEN]
        );
    }
}

#[test]
fn whole_segments() {
    for (client, server, mode, answer) in cases() {
        let out = run(&client, &server, || usize::MAX);
        check(&out, &client, &server, mode, answer);
    }
}

#[test]
fn one_byte_at_a_time_gives_the_same_bytes() {
    for (client, server, mode, answer) in cases() {
        let whole = run(&client, &server, || usize::MAX);
        let out = run(&client, &server, || 1);
        check(&out, &client, &server, mode, answer);
        assert_eq!(
            (out.c2s, out.s2c),
            (whole.c2s, whole.s2c),
            "splitting changed the output"
        );
    }
}

#[test]
fn different_seeds_give_different_filler() {
    let client = ClientConfig::default();
    let a = Handshake::client(&client, &mut Rng::new(1), 0)
        .poll_transmit()
        .unwrap();
    let b = Handshake::client(&client, &mut Rng::new(2), 0)
        .poll_transmit()
        .unwrap();
    assert_eq!(a[..9], b[..9]);
    assert_ne!(a[9..], b[9..]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_splits(seed: u64, max_piece in 1u64..4000, case in 0usize..5) {
        let (client, server, mode, answer) = cases().swap_remove(case);
        let whole = run(&client, &server, || usize::MAX);
        let mut rng = Rng::new(seed);
        let out = run(&client, &server, || 1 + rng.below(max_piece) as usize);
        check(&out, &client, &server, mode, answer);
        prop_assert_eq!((out.c2s, out.s2c), (whole.c2s, whole.s2c));
    }
}
