//! Servers that break the protocol cannot take our client down: after a good handshake a
//! raw server sends one kind of bad input (bytes that are no chunk stream, a message over
//! the client's configured `max_message_len`, a flood of chunk streams, an AMF0 nesting
//! bomb). Each time the client's player, with auto-reconnect off, reports that protocol
//! error as its typed failure and closes the connection within a bounded time.
//!
//! The hostile servers are plain blocking `std::net` sockets (`hostile.rs`).

use std::net::TcpListener;

use crate::common::*;
use crate::hostile::*;
use crate::rt;
use adapter::proto::client::FailureReason;
use adapter::proto::session::{ClientConfig, CloseReason};
use adapter::{Client, PlayerEvent};

async fn our_client_gives_up_on_hostile_servers_with_a_typed_error() {
    for what in AFTER_HANDSHAKE {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let server = rt::unblock(move || {
            let (mut s, _) = listener.accept().map_err(|e| e.to_string())?;
            server_handshake(&mut s).map_err(|e| format!("{what:?}: handshake: {e}"))?;
            send_and_await_close(&mut s, what)
        });
        let mut config = ClientConfig::default();
        config.limits.max_message_len = MAX_MESSAGE_LEN;
        let mut player = Client::builder()
            .url(&format!("rtmp://{addr}/live/cam"))
            .auto_reconnect(false)
            .session_config(config)
            .play()
            .await
            .unwrap_or_else(|e| panic!("{what:?}: play: {e}"));
        // The player connects in its own task: it reports the failure, then ends.
        let failure = loop {
            match bounded("the player's events", player.next()).await {
                Some(PlayerEvent::Interrupted { reason }) => break reason,
                Some(PlayerEvent::Media(_)) => panic!("{what:?}: media from a hostile server"),
                Some(_) => {}
                None => break player.status().last_failure,
            }
        };
        match failure {
            Some(FailureReason::Closed(CloseReason::Protocol(e))) => {
                eprintln!("{}: {what:?} -> {e}", rt::NAME);
            }
            other => panic!("{what:?}: not a protocol error: {other:?}"),
        }
        let closed_after = bounded("hostile server", server)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            closed_after < CLOSE_WITHIN,
            "{what:?} closed after {closed_after:?}"
        );
    }
}

tests!(our_client_gives_up_on_hostile_servers_with_a_typed_error);
