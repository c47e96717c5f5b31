//! `ServerSession::with_rng_seed`: a server shares one `Arc<ServerConfig>` among all its
//! sessions, and each still draws the handshake's randoms from a seed of its own.

use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rtmp_proto::session::{ClientConfig, ClientSession, ServerConfig, ServerSession};

/// Everything a session has queued for its peer.
fn drain(mut poll: impl FnMut() -> Option<Bytes>) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(seg) = poll() {
        out.extend_from_slice(&seg);
    }
    out
}

/// What `s` answers to `c0c1`: S0+S1+S2.
fn answer(mut s: ServerSession, now: Instant, c0c1: &[u8]) -> Vec<u8> {
    s.handle_input(now, &mut BytesMut::from(c0c1)).unwrap();
    drain(|| s.poll_transmit())
}

#[test]
fn sessions_sharing_a_config_draw_randoms_from_their_own_seed() {
    let now = Instant::now();
    let mut client = ClientSession::new(Arc::new(ClientConfig::default()), now);
    let c0c1 = drain(|| client.poll_transmit());
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
