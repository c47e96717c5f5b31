//! Found by the `session_ops` fuzz target: `set_chunk_size` during the handshake queued a
//! Set Chunk Size chunk that went out right after C0+C1 (or before S0+S1+S2), ahead of the
//! rest of the handshake, and the peer read it as handshake bytes. It is now a usage error
//! that changes nothing; after the handshake it works as before.

use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use rtmp_proto::UsageError;
use rtmp_proto::handshake::PACKET_LEN;
use rtmp_proto::session::{ClientConfig, ClientSession, ServerConfig, ServerSession};

fn transmitted_client(c: &mut ClientSession) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(seg) = c.poll_transmit() {
        out.extend_from_slice(&seg);
    }
    out
}

fn transmitted_server(s: &mut ServerSession) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(seg) = s.poll_transmit() {
        out.extend_from_slice(&seg);
    }
    out
}

#[test]
fn chunk_size_changes_wait_for_the_end_of_the_handshake() {
    let now = Instant::now();
    let mut c = ClientSession::new(Arc::new(ClientConfig::default()), now);
    let mut s = ServerSession::new(Arc::new(ServerConfig::default()), now);

    assert_eq!(
        c.set_chunk_size(186),
        Err(UsageError::WrongState("the handshake is not finished"))
    );
    assert_eq!(
        s.set_chunk_size(186),
        Err(UsageError::WrongState("the handshake is not finished"))
    );
    let c0c1 = transmitted_client(&mut c);
    assert_eq!(c0c1.len(), 1 + PACKET_LEN, "only C0+C1, no chunk after it");
    assert!(
        transmitted_server(&mut s).is_empty(),
        "nothing before C0+C1 arrived"
    );

    let mut to_server = BytesMut::from(&c0c1[..]);
    s.handle_input(now, &mut to_server).unwrap();
    let s0s1s2 = transmitted_server(&mut s);
    assert_eq!(s0s1s2.len(), 1 + 2 * PACKET_LEN);
    let mut to_client = BytesMut::from(&s0s1s2[..]);
    c.handle_input(now, &mut to_client).unwrap();
    let mut to_server = BytesMut::from(&transmitted_client(&mut c)[..]);
    s.handle_input(now, &mut to_server).unwrap();

    // Both handshakes are done: now the change is allowed and goes out as a chunk.
    c.set_chunk_size(186).unwrap();
    s.set_chunk_size(186).unwrap();
    // Set Chunk Size: basic header csid 2, type 1, payload 186.
    let sent = transmitted_server(&mut s);
    assert_eq!(sent.get(7), Some(&1), "{sent:02x?}");
    assert!(sent.ends_with(&186u32.to_be_bytes()), "{sent:02x?}");
    let sent = transmitted_client(&mut c);
    assert!(sent.ends_with(&186u32.to_be_bytes()), "{sent:02x?}");
}
