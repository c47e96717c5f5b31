//! Streams from the application's own code (`ServerHandle::publish`, `::subscribe`): a
//! local publisher reaches network players and in-process subscribers through the same
//! fan-out, byte-identical and zero-copy; a subscriber started before the publisher waits
//! for it; the slot is refused while held and released on drop, which ends the players'
//! stream.

use std::time::Duration;

use crate::common::*;
use adapter::Server;
use adapter::driver::server::SubscriptionEnd;
use adapter::proto::relay::RelayConfig;
use adapter::proto::session::ClientEvent;

async fn a_stream_from_code_reaches_network_players_and_subscribers() {
    let mut relay = RelayConfig::default();
    relay.publisher_grace = Duration::ZERO;
    let srv = start(Server::builder().relay_config(relay)).await;
    // Subscribed before anyone publishes: it waits, like a network player.
    let mut early = srv.handle.subscribe("live", "gen").expect("subscribe");
    let mut publisher = srv.handle.publish("live", "gen").expect("publish");
    assert!(
        srv.handle.publish("live", "gen").is_err(),
        "a second publisher of a held stream"
    );
    let mut player = connected(srv.addr, "live").await;
    playing(&mut player, "gen").await;
    let all = video_frames(60, 2000, 10);
    for m in &all {
        publisher.send_media(m.clone());
    }
    let got = media(&mut player, all.len(), "network player").await;
    assert!(got == all, "the network player's frames differ");
    for (i, m) in all.iter().enumerate() {
        let s = bounded("a subscribed frame", early.next())
            .await
            .expect("a frame, not the end");
        assert_eq!(s.frame.payload(), &m.payload, "frame {i}");
        assert_eq!(
            s.frame.payload().as_ptr(),
            m.payload.as_ptr(),
            "frame {i} was copied"
        );
        assert_eq!(s.timestamp, m.timestamp);
    }
    // A late subscriber starts at the cached GOP (the last keyframe, frame 50).
    let mut late = srv.handle.subscribe("live", "gen").expect("late subscribe");
    let first = bounded("late subscriber", late.next())
        .await
        .expect("frame");
    assert_eq!(first.frame.payload(), &all[50].payload);

    drop(publisher);
    assert_eq!(
        bounded("the end for the subscriber", early.next())
            .await
            .err(),
        Some(SubscriptionEnd::StreamEnded)
    );
    until(&mut player, |e| {
        matches!(e, ClientEvent::StreamEof { .. }).then_some(())
    })
    .await;
    assert!(
        srv.handle.publish("live", "gen").is_ok(),
        "the slot was not released"
    );
    srv.stop().await;
}

tests!(a_stream_from_code_reaches_network_players_and_subscribers);
