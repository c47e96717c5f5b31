//! A connect is answered in one write: the drivers fill a [`TxBatch`] from the session until
//! it is empty (or 256 KiB) and hand the batch to one vectored write. This checks that the
//! whole answer to `connect` (WinAck, SetPeerBW, SetChunkSize, `_result`) fits in the
//! `IoSlice` array of that one write. (`strace -e writev` on the relay example shows the
//! same: one `writev` of 5 segments, 259 bytes.)

use std::io::IoSlice;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use rtmp_driver::io::{MAX_IOV, TxBatch};
use rtmp_proto::session::{
    ClientConfig, ClientSession, ConnectParams, ConnectReply, ServerConfig, ServerEvent,
    ServerSession,
};

fn drain(poll: impl FnMut() -> Option<bytes::Bytes>) -> BytesMut {
    let mut out = BytesMut::new();
    for seg in std::iter::from_fn(poll) {
        out.extend_from_slice(&seg);
    }
    out
}

#[test]
fn the_connect_answer_is_one_vectored_write() {
    let now = Instant::now();
    let mut client = ClientSession::new(Arc::new(ClientConfig::default()), now);
    let mut server = ServerSession::new(Arc::new(ServerConfig::default()), now);
    client
        .connect(ConnectParams::new("live", "rtmp://h/live"))
        .unwrap();
    let mut connect = None;
    for _ in 0..4 {
        let mut c2s = drain(|| client.poll_transmit());
        server.handle_input(now, &mut c2s).unwrap();
        while let Some(ev) = server.poll_event() {
            if let ServerEvent::ConnectRequested { id, .. } = ev {
                connect = Some(id);
            }
        }
        if connect.is_some() {
            break;
        }
        let mut s2c = drain(|| server.poll_transmit());
        client.handle_input(now, &mut s2c).unwrap();
        while client.poll_event().is_some() {}
    }
    let id = connect.expect("connect requested");
    assert!(server.poll_transmit().is_none());
    server
        .accept_connect(now, id, ConnectReply::default())
        .unwrap();

    // What the tokio and smol `Wire::pump_out` do with it.
    let mut batch = TxBatch::new();
    batch.fill(256 * 1024, || server.poll_transmit());
    assert!(
        server.poll_transmit().is_none(),
        "the whole answer is in the batch"
    );
    let mut iov = [IoSlice::new(&[]); MAX_IOV];
    let n = batch.io_slices(&mut iov);
    let covered: usize = iov[..n].iter().map(|s| s.len()).sum();
    assert_eq!(covered, batch.len(), "one write covers the whole answer");
    // The session gathers small control and command chunks into few segments.
    assert!(n <= 5, "{n} segments for four small messages");
}
