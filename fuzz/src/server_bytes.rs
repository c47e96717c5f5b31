//! Fuzz body for the `server_bytes` target: a [`ServerSession`] after a valid simple
//! handshake eats arbitrary chunk-stream bytes.
//!
//! The application side says yes to everything (connect, publish, play, custom calls) and
//! relays every published frame to every player, so the fuzzer reaches the whole command
//! surface and the outbound path. Checked after every input, with all outputs drained:
//! no panic; at most one `Closed`, always last, and `is_closed` agrees; a fresh request id
//! is always accepted while the session is open; the outbound queue is empty after a full
//! drain and never grows faster than the input; what we send decodes as a chunk stream.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtmp_proto::session::{
    ConnectReply, Droppable, ServerConfig, ServerEvent, ServerSession, StreamId,
};

use crate::session_check::{Emitted, HANDSHAKE_OUT};

/// Byte 0 controls the run: bits 0-1 the read size, bits 2-6 how far the clock moves per
/// read (x 250 ms), bit 7 whether unknown commands go to the application. The rest follows a
/// valid C0+C1+C2 into the session.
pub fn run(data: &[u8]) {
    let Some((&control, stream)) = data.split_first() else {
        return;
    };
    let piece = [1, 16, 300, usize::MAX][usize::from(control & 3)];
    let tick = Duration::from_millis(u64::from((control >> 2) & 0x1F) * 250);
    let mut config = ServerConfig::default();
    config.custom_calls = control & 0x80 != 0;
    config.limits.max_message_len = 256 * 1024;
    config.max_blocked_bytes = 256 * 1024;
    config.max_outbound_bytes = 1024 * 1024;

    let mut now = Instant::now();
    let mut app = App {
        custom_calls: config.custom_calls,
        ..App::default()
    };
    let mut s = ServerSession::new(Arc::new(config), now);
    let mut input = BytesMut::new();
    // C0 + simple C1 (zero version) + a C2 the server does not check.
    input.extend_from_slice(&[3]);
    input.resize(HANDSHAKE_OUT, 0);
    let mut fed = input.len();
    s.handle_input(now, &mut input)
        .expect("a simple handshake is valid");
    app.drain(now, &mut s, fed);
    for part in stream.chunks(piece) {
        now += tick;
        input.extend_from_slice(part);
        fed += part.len();
        let before = input.len();
        let result = s.handle_input(now, &mut input);
        assert!(input.len() <= before, "handle_input grew the buffer");
        if let Err(e) = result {
            assert!(s.is_closed(), "a protocol error closes the session");
            assert_eq!(s.handle_input(now, &mut input), Err(e), "errors are sticky");
        }
        s.handle_timeout(now);
        app.drain(now, &mut s, fed);
    }
    s.handle_eof(now);
    app.drain(now, &mut s, fed);
    assert!(app.out.closed(), "handle_eof ends the session");
    assert!(s.poll_timeout().is_none());
}

/// An application that accepts everything and relays media to its players.
#[derive(Debug, Default)]
struct App {
    custom_calls: bool,
    out: Emitted,
    players: Vec<StreamId>,
}

impl App {
    fn drain(&mut self, now: Instant, s: &mut ServerSession, fed: usize) {
        while let Some(ev) = s.poll_event() {
            self.out.event(matches!(ev, ServerEvent::Closed(_)));
            let answered = match ev {
                ServerEvent::ConnectRequested { id, .. } => {
                    s.accept_connect(now, id, ConnectReply::default())
                }
                ServerEvent::PublishRequested { id, .. } => s.accept_publish(now, id),
                ServerEvent::PlayRequested { id, request } => {
                    self.players.push(request.stream);
                    s.accept_play(now, id)
                }
                ServerEvent::Call { id, call } => {
                    let r = s.answer_call(now, id, Ok(vec![call.command_object]));
                    if self.custom_calls {
                        r
                    } else {
                        // Without custom calls the session answered already: the id is spent.
                        assert!(r.is_err(), "an already answered call was accepted");
                        Ok(())
                    }
                }
                ServerEvent::Media { media, .. } => {
                    for p in &self.players {
                        // Players that stopped or paused refuse: a usage error, nothing more.
                        let _ = s.send_media(*p, media.clone(), Droppable::Yes);
                    }
                    Ok(())
                }
                ServerEvent::Metadata { metadata, .. } => {
                    for p in &self.players {
                        let _ = s.send_metadata(*p, &metadata);
                    }
                    Ok(())
                }
                _ => Ok(()),
            };
            assert!(
                answered.is_ok() || s.is_closed(),
                "a fresh request id was refused: {answered:?}"
            );
        }
        assert_eq!(self.out.closed(), s.is_closed());
        // Relaying multiplies bytes by the number of players (at most `max_streams`).
        let bound = 64 * 1024 + 32 * fed;
        assert!(
            self.out.written + s.pending_transmit_bytes() <= bound,
            "output out of proportion to input"
        );
        while let Some(seg) = s.poll_transmit() {
            self.out.transmit(&seg);
        }
        assert_eq!(
            s.pending_transmit_bytes(),
            0,
            "drained queue still counts bytes"
        );
        assert_eq!(s.poll_timeout().is_none(), s.is_closed());
    }
}
