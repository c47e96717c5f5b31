//! Real peers send odd C1/C2 contents: nothing but the version byte may fail a handshake, and
//! arbitrary bytes never panic (RTMP-NOTES items 12 and 13).

use bytes::BytesMut;
use proptest::prelude::*;
use rtmp_proto::handshake::{
    ClientConfig, Handshake, HandshakeMode, PACKET_LEN, PeerAnswer, ServerConfig,
};
use rtmp_proto::rng::Rng;

fn server() -> Handshake {
    Handshake::server(&ServerConfig::default(), &mut Rng::new(5), 0)
}

/// A C1 without a digest (zeros, any version) gets the simple handshake, and a garbage C2 is
/// reported as unrecognized instead of failing.
#[test]
fn server_falls_back_and_tolerates_a_garbage_c2() {
    let mut s = server();
    let mut input = BytesMut::new();
    input.extend_from_slice(&[3]);
    let mut c1 = [0u8; PACKET_LEN];
    c1[4..8].copy_from_slice(&[10, 0, 32, 18]); // claims a Flash version, but no digest
    input.extend_from_slice(&c1);
    s.handle_input(&mut input).unwrap();
    let sent = s.poll_transmit().expect("S0+S1+S2 as soon as C0+C1 are in");
    assert_eq!(sent.len(), 1 + 2 * PACKET_LEN);
    assert_eq!(sent[5..9], [0, 0, 0, 0], "a simple S1 has a zero version");
    assert_eq!(sent[1 + PACKET_LEN..], c1[..], "S2 echoes C1");
    assert!(s.poll_transmit().is_none());
    input.extend_from_slice(&[0xAB; PACKET_LEN]);
    s.handle_input(&mut input).unwrap();
    let n = s.negotiated().unwrap();
    assert_eq!(n.mode, HandshakeMode::Simple);
    assert_eq!(n.peer_version, [10, 0, 32, 18]);
    assert_eq!(n.peer_answer, PeerAnswer::Unrecognized);
}

/// A client whose S1 has no valid digest answers with an echo of S1 (simple handshake), and
/// a garbage S2 does not fail it either.
#[test]
fn client_falls_back_and_tolerates_a_garbage_s2() {
    let mut c = Handshake::client(&ClientConfig::default(), &mut Rng::new(5), 0);
    let c0c1 = c.poll_transmit().unwrap();
    assert_eq!(c0c1.len(), 1 + PACKET_LEN);
    let mut input = BytesMut::new();
    input.extend_from_slice(&[3]);
    let mut s1 = [0x11u8; PACKET_LEN];
    s1[4..8].copy_from_slice(&[4, 5, 1, 1]); // a version that promises a digest it lacks
    input.extend_from_slice(&s1);
    c.handle_input(&mut input).unwrap();
    let c2 = c.poll_transmit().expect("C2 as soon as S1 is in");
    assert_eq!(c2[..], s1[..]);
    assert!(!c.is_complete());
    input.extend_from_slice(&[0u8; PACKET_LEN]);
    input.extend_from_slice(b"after");
    c.handle_input(&mut input).unwrap();
    let n = c.negotiated().unwrap();
    assert_eq!(n.mode, HandshakeMode::Simple);
    assert_eq!(n.peer_answer, PeerAnswer::Unrecognized);
    assert_eq!(&input[..], b"after");
    // Complete: further input is left alone.
    c.handle_input(&mut input).unwrap();
    assert_eq!(&input[..], b"after");
}

fn feed_in_pieces(hs: &mut Handshake, data: &[u8], pieces: &[usize]) {
    let mut input = BytesMut::new();
    let mut rest = data;
    for &n in pieces.iter().cycle().take(data.len() + 1) {
        let (head, tail) = rest.split_at(n.min(rest.len()));
        rest = tail;
        input.extend_from_slice(head);
        let before = input.len();
        let result = hs.handle_input(&mut input);
        while hs.poll_transmit().is_some() {}
        assert!(input.len() <= before);
        if result.is_err() {
            // Sticky, and nothing more is consumed.
            let len = input.len();
            assert!(hs.handle_input(&mut input).is_err());
            assert_eq!(input.len(), len);
            return;
        }
        if rest.is_empty() {
            break;
        }
    }
    let consumed = data.len() - input.len();
    assert!(consumed <= 1 + 2 * PACKET_LEN);
    if hs.is_complete() {
        assert_eq!(consumed, 1 + 2 * PACKET_LEN);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(
        mut data in proptest::collection::vec(any::<u8>(), 0..4000),
        pieces in proptest::collection::vec(1usize..2000, 1..8),
        version_ok: bool,
    ) {
        if version_ok && !data.is_empty() {
            data[0] = 3; // get past C0 most of the time
        }
        feed_in_pieces(&mut server(), &data, &pieces);
        let mut client = Handshake::client(&ClientConfig::default(), &mut Rng::new(5), 0);
        feed_in_pieces(&mut client, &data, &pieces);
    }
}
