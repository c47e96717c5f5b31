//! Fuzz body for the `handshake` target: a server and a client handshake each eat the input,
//! split into pieces, and must never panic, consume more than the handshake, or consume
//! anything after an error.

use bytes::BytesMut;
use rtmp_proto::handshake::{ClientConfig, Handshake, PACKET_LEN, ServerConfig};
use rtmp_proto::rng::Rng;

/// C0 + C1/S1 + C2/S2.
const HANDSHAKE_LEN: usize = 1 + 2 * PACKET_LEN;

/// The first byte picks the piece size (and seeds the filler), the rest is the peer's bytes.
pub fn run(data: &[u8]) {
    let Some((&control, bytes)) = data.split_first() else {
        return;
    };
    let piece = match control % 4 {
        0 => 1,
        1 => 1 + usize::from(control >> 2),
        2 => PACKET_LEN - 32 + usize::from(control >> 2),
        _ => usize::MAX,
    };
    let mut rng = Rng::new(u64::from(control));
    let mut server = Handshake::server(&ServerConfig::default(), &mut rng, 0);
    feed(&mut server, bytes, piece);
    let mut client = Handshake::client(&ClientConfig::default(), &mut rng, 0);
    feed(&mut client, bytes, piece);
}

fn feed(hs: &mut Handshake, bytes: &[u8], piece: usize) {
    let mut input = BytesMut::new();
    let mut given = 0;
    for part in bytes.chunks(piece) {
        input.extend_from_slice(part);
        given += part.len();
        let before = input.len();
        let result = hs.handle_input(&mut input);
        while hs.poll_transmit().is_some() {}
        assert!(input.len() <= before, "handle_input grew the buffer");
        if result.is_err() {
            let len = input.len();
            assert!(hs.handle_input(&mut input).is_err(), "errors are sticky");
            assert_eq!(input.len(), len, "nothing consumed after an error");
            return;
        }
    }
    let consumed = given - input.len();
    assert!(consumed <= HANDSHAKE_LEN, "consumed past the handshake");
    assert_eq!(hs.is_complete(), consumed == HANDSHAKE_LEN);
}
