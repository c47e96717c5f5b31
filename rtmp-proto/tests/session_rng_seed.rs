//! `ServerSession::with_rng_seed`: a server shares one `Arc<ServerConfig>` among all its
//! sessions, and each still draws the handshake's randoms from a seed of its own.

use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use rtmp_proto::session::{ClientConfig, ClientSession, ServerConfig, ServerSession};

/// What `s` answers to `c0c1`: S0+S1+S2.
fn answer(mut s: ServerSession, now: Instant, c0c1: &[u8]) -> Vec<u8> {
    s.handle_input(now, &mut BytesMut::from(c0c1)).unwrap();
    let mut out = Vec::new();
    while let Some(seg) = s.poll_transmit() {
        out.extend_from_slice(&seg);
    }
    out
}

#[test]
fn sessions_sharing_a_config_draw_randoms_from_their_own_seed() {
    let now = Instant::now();
    let mut client = ClientSession::new(Arc::new(ClientConfig::default()), now);
    let mut c0c1 = Vec::new();
    while let Some(seg) = client.poll_transmit() {
        c0c1.extend_from_slice(&seg);
    }
    let config = Arc::new(ServerConfig::default());
    let seeded = |seed| {
        answer(
            ServerSession::with_rng_seed(config.clone(), seed, now),
            now,
            &c0c1,
        )
    };

    let (one, two) = (seeded(1), seeded(2));
    assert_eq!(one.len(), two.len());
    assert_ne!(one, two, "another seed, other randoms");
    assert_eq!(one, seeded(1), "the same seed, the same randoms");
    assert_eq!(
        answer(ServerSession::new(config.clone(), now), now, &c0c1),
        seeded(config.rng_seed),
        "new() draws from the config's seed"
    );
}
