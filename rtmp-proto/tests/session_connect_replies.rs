//! The server's answer to `connect` is queued as one burst: Window Acknowledgement Size, Set
//! Peer Bandwidth, Set Chunk Size and the `_result`, all available from one `poll_transmit`
//! drain right after `accept_connect`. A driver that writes one drain per wake-up (the tokio
//! and smol adapters gather it into one vectored write) therefore answers a connect in one
//! write, so no reply waits behind Nagle and the client's delayed ACK (nginx-rtmp writes them
//! one by one and stalls ~40 ms per connect on that).

use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use rtmp_proto::Limits;
use rtmp_proto::amf::DecodeLimits;
use rtmp_proto::chunk::ChunkDecoder;
use rtmp_proto::message::{Command, Encoding};
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectParams, ConnectReply, ServerConfig,
    ServerEvent, ServerSession,
};

fn drain(poll: impl FnMut() -> Option<bytes::Bytes>) -> BytesMut {
    let mut out = BytesMut::new();
    for seg in std::iter::from_fn(poll) {
        out.extend_from_slice(&seg);
    }
    out
}

/// Message type ids in `bytes` (chunked at `chunk_size`, which a Set Chunk Size in the
/// stream changes), with the command name for commands.
fn messages(mut bytes: BytesMut) -> Vec<(u8, String)> {
    let mut decoder = ChunkDecoder::new(&Limits::default());
    let mut out = Vec::new();
    while let Some(m) = decoder.decode(&mut bytes).expect("valid chunks") {
        let name = if m.type_id == 20 {
            let c = Command::decode(&m.payload, Encoding::Amf0, &DecodeLimits::default())
                .expect("a command");
            c.name.to_string()
        } else {
            String::new()
        };
        out.push((m.type_id, name));
    }
    assert!(bytes.is_empty(), "a partial message left over");
    out
}

#[test]
fn connect_replies_come_out_of_one_drain() {
    let now = Instant::now();
    let mut client = ClientSession::new(Arc::new(ClientConfig::default()), now);
    let mut server = ServerSession::new(Arc::new(ServerConfig::default()), now);
    client
        .connect(ConnectParams::new("live", "rtmp://h/live"))
        .unwrap();

    // Handshake, then the connect request (the server's S0S1S2 is its own write).
    let mut c2s = drain(|| client.poll_transmit());
    server.handle_input(now, &mut c2s).unwrap();
    let mut s2c = drain(|| server.poll_transmit());
    client.handle_input(now, &mut s2c).unwrap();
    while client.poll_event().is_some() {}
    let mut c2s = drain(|| client.poll_transmit());
    server.handle_input(now, &mut c2s).unwrap();
    let mut connect = None;
    while let Some(ev) = server.poll_event() {
        if let ServerEvent::ConnectRequested { id, .. } = ev {
            connect = Some(id);
        }
    }
    let id = connect.expect("connect requested");
    // Nothing goes out while the application decides: the replies are not split around
    // the decision.
    assert!(
        server.poll_transmit().is_none(),
        "output before the decision"
    );

    server
        .accept_connect(now, id, ConnectReply::default())
        .unwrap();
    let burst = drain(|| server.poll_transmit());
    let kinds = messages(burst.clone());
    assert_eq!(
        kinds,
        vec![
            (5, String::new()),
            (6, String::new()),
            (1, String::new()),
            (20, "_result".to_owned()),
        ],
        "WinAck, SetPeerBW, SetChunkSize, _result in one drain"
    );
    assert!(server.poll_transmit().is_none());

    // And it is everything the client needs to be connected.
    let mut s2c = burst;
    client.handle_input(now, &mut s2c).unwrap();
    let connected = std::iter::from_fn(|| client.poll_event())
        .any(|e| matches!(e, ClientEvent::Connected { .. }));
    assert!(connected);
}
