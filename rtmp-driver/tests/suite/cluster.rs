//! Push and pull between servers of this process, on real sockets: an edge pulls a
//! stream from its origin once however many subscribers ask, from the first origin that
//! has it, and stops pulling a linger time after the last one left; a push reaches its
//! target and reports its state.

use std::time::Duration;

use crate::common::*;
use adapter::Server;
use adapter::driver::server::{StreamSource, SubscriptionEnd};
use adapter::proto::client::ConnectionState;
use adapter::proto::cluster::Remote;
use adapter::proto::relay::RelayConfig;

fn remote(addr: std::net::SocketAddr) -> Remote {
    Remote::parse(&format!("rtmp://{addr}/{{app}}/{{stream}}")).expect("template")
}

/// Polls `cond` every 20 ms until it holds (bounded by `STEP`).
async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    bounded(what, async {
        while !cond() {
            crate::rt::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
}

async fn an_edge_pulls_once_and_stops_after_its_last_subscriber() {
    // Each hop holds its players for its publisher grace: short on the origin, so the end
    // of the stream reaches the edge's subscribers within a test step.
    let mut relay = RelayConfig::default();
    relay.publisher_grace = Duration::from_millis(500);
    let origin = start(Server::builder().relay_config(relay)).await;
    // A first origin without the stream: the edge moves on after the probe time.
    let empty = start(Server::builder()).await;
    let edge = start(
        Server::builder()
            .pull_from(remote(empty.addr))
            .pull_from(remote(origin.addr))
            .pull_timing(Duration::from_millis(300), Duration::from_millis(300)),
    )
    .await;
    let mut publisher = origin.handle.publish("live", "cam").expect("publish");
    let mut subs: Vec<_> = (0..3)
        .map(|_| edge.handle.subscribe("live", "cam").expect("subscribe"))
        .collect();
    eventually("the pull to reach the origin", || {
        origin.handle.stats().players == 1
    })
    .await;
    let all = video_frames(40, 1500, 10);
    for m in &all {
        publisher.send_media(m.clone());
    }
    for (n, sub) in subs.iter_mut().enumerate() {
        for (i, m) in all.iter().enumerate() {
            let got = bounded("a pulled frame", sub.next())
                .await
                .expect("a frame");
            assert_eq!(got.frame.payload(), &m.payload, "subscriber {n} frame {i}");
        }
    }
    assert_eq!(
        origin.handle.stats().players,
        1,
        "one pull for three subscribers"
    );
    assert_eq!(empty.handle.stats().players, 0, "the empty origin was left");
    let view = edge.handle.streams();
    assert!(
        matches!(&view[0].source, StreamSource::Pulled { url, .. } if url.contains(&origin.addr.to_string())),
        "{:?}",
        view[0].source
    );
    // The last subscriber leaves: the pull stops after the linger time.
    drop(subs);
    eventually("the pull to stop", || origin.handle.stats().players == 0).await;
    // The origin's stream ending ends the edge's subscribers (after its grace).
    let mut again = edge
        .handle
        .subscribe("live", "cam")
        .expect("subscribe again");
    eventually("the pull to come back", || {
        origin.handle.stats().players == 1
    })
    .await;
    drop(publisher);
    loop {
        match bounded("the end of the pulled stream", again.next()).await {
            Ok(_) => continue,
            Err(end) => {
                assert_eq!(end, SubscriptionEnd::StreamEnded);
                break;
            }
        }
    }
    for s in [edge, origin, empty] {
        s.stop().await;
    }
}

async fn a_push_reaches_its_target_and_reports_its_state() {
    let target = start(Server::builder()).await;
    let source = start(Server::builder().push(remote(target.addr))).await;
    let mut watcher = target.handle.subscribe("live", "out").expect("subscribe");
    let mut publisher = source.handle.publish("live", "out").expect("publish");
    eventually("the push to publish", || {
        source.handle.streams().iter().any(|s| {
            s.pushes
                .iter()
                .any(|p| p.state == ConnectionState::Publishing && p.starts == 1)
        })
    })
    .await;
    let all = video_frames(30, 1200, 10);
    for m in &all {
        publisher.send_media(m.clone());
    }
    for (i, m) in all.iter().enumerate() {
        let got = bounded("a pushed frame", watcher.next())
            .await
            .expect("a frame");
        assert_eq!(got.frame.payload(), &m.payload, "frame {i}");
    }
    // The stream ends here: the push ends and the target's stream with it.
    drop(publisher);
    eventually("the push to end", || source.handle.streams().is_empty()).await;
    for s in [source, target] {
        s.stop().await;
    }
}

tests!(
    an_edge_pulls_once_and_stops_after_its_last_subscriber,
    a_push_reaches_its_target_and_reports_its_state,
);
