//! Fuzz body for the `client_bytes` target: a [`ClientSession`] after a valid S0+S1+S2 eats
//! arbitrary chunk-stream bytes from its "server".
//!
//! The client connects at once; once connected it publishes `a` and plays `b`, the way
//! ffmpeg numbers its transactions (connect 1, releaseStream 2, FCPublish 3, createStream 4,
//! createStream 5), so replies in a seed recorded from a real server line up. When a
//! publish starts it sends a frame and metadata. Checked after every input, with all
//! outputs drained: no panic; at most one `Closed`, always last; the outbound queue is
//! empty after a full drain and bounded by the input; what we send decodes as chunks.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtmp_proto::amf::Value;
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectParams, Media, MediaKind, Metadata,
    PublishMode,
};

use crate::session_check::{Emitted, HANDSHAKE_OUT};

/// Byte 0: bits 0-1 the read size, bits 2-6 the clock step per read (x 250 ms). The rest
/// follows a valid S0+S1+S2 into the session.
pub fn run(data: &[u8]) {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let piece = [1, 16, 300, usize::MAX][usize::from(control & 3)];
    let tick = Duration::from_millis(u64::from((control >> 2) & 0x1F) * 250);
    let mut config = ClientConfig::default();
    config.limits.max_message_len = 256 * 1024;

    let mut now = Instant::now();
    let mut out = Emitted::default();
    let mut c = ClientSession::new(Arc::new(config), now);
    c.connect(ConnectParams::new("live", "rtmp://127.0.0.1/live"))
        .expect("connect is allowed during the handshake");
    let mut input = BytesMut::new();
    // S0 + simple S1 + an S2 the client records but does not require.
    input.extend_from_slice(&[3]);
    input.resize(HANDSHAKE_OUT, 0);
    let mut fed = input.len();
    c.handle_input(now, &mut input)
        .expect("a simple handshake is valid");
    drain(&mut c, &mut out, fed);
    for part in stream.chunks(piece) {
        now += tick;
        input.extend_from_slice(part);
        fed += part.len();
        let before = input.len();
        let result = c.handle_input(now, &mut input);
        assert!(input.len() <= before, "handle_input grew the buffer");
        if let Err(e) = result {
            assert!(c.is_closed(), "a protocol error closes the session");
            assert_eq!(c.handle_input(now, &mut input), Err(e), "errors are sticky");
        }
        c.handle_timeout(now);
        drain(&mut c, &mut out, fed);
    }
    c.handle_eof(now);
    drain(&mut c, &mut out, fed);
    assert!(out.closed(), "handle_eof ends the session");
    assert!(c.poll_timeout().is_none());
}

fn drain(c: &mut ClientSession, out: &mut Emitted, fed: usize) {
    while let Some(ev) = c.poll_event() {
        out.event(matches!(ev, ClientEvent::Closed(_)));
        let r = match ev {
            ClientEvent::Connected { .. } => c
                .publish("a", PublishMode::Live)
                .and_then(|_| c.play("b"))
                .map(drop),
            ClientEvent::PublishStarted { handle, .. } => {
                let frame = Media {
                    kind: MediaKind::Video,
                    timestamp: 0,
                    payload: Bytes::from_static(&[0x17, 1, 0, 0, 0, 0x65, 0x88]),
                };
                let meta = Metadata::new(Value::object(vec![(
                    "width".to_owned(),
                    Value::Number(64.0),
                )]));
                c.send_media(handle, frame)
                    .and_then(|()| c.send_metadata(handle, &meta))
            }
            _ => Ok(()),
        };
        assert!(r.is_ok() || c.is_closed(), "a valid command failed: {r:?}");
    }
    assert_eq!(out.closed(), c.is_closed());
    assert!(
        out.written + c.pending_transmit_bytes() <= 64 * 1024 + 8 * fed,
        "output out of proportion to input"
    );
    while let Some(seg) = c.poll_transmit() {
        out.transmit(&seg);
    }
    assert_eq!(
        c.pending_transmit_bytes(),
        0,
        "drained queue still counts bytes"
    );
    assert_eq!(c.poll_timeout().is_none(), c.is_closed());
}
