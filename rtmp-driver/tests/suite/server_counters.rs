//! The server's own counters (issue 19, "per server"): connections by state, accepts by
//! transport (plain and TLS), refusals by cause (hook, relay, limit) for connects,
//! publishes and plays. Each is made to move by a real client and checked exactly in the
//! snapshot (`ServerHandle::stats`), in `GET /api/server` and in `/metrics` (which
//! `promtool` accepts).

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::common::*;
use crate::http::{get, promtool_accepts, series};
use crate::rt;
use crate::tls::{Leaf, pki};
use adapter::proto::relay::{Counters, DuplicatePublish, RelayConfig};
use adapter::proto::session::{ClientEvent, PublishMode, Rejection};
use adapter::{Client, ConnectDecision, Server, ServerHandle, StreamDecision};

/// Polls the snapshot until `ok` holds; the snapshot that did.
async fn settle(handle: &ServerHandle, what: &str, ok: impl Fn(&Counters) -> bool) -> Counters {
    bounded(what, async {
        loop {
            let c = handle.stats();
            if ok(&c) {
                return c;
            }
            rt::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

/// Waits for the failure of the request on `handle`'s stream.
async fn refused(c: &mut adapter::ClientConnection, h: adapter::proto::session::StreamHandle) {
    until(c, |e| match e {
        ClientEvent::StreamFailed { handle, .. } if *handle == h => Some(()),
        _ => None,
    })
    .await;
}

async fn server_counters_move_for_states_transports_and_each_refusal() {
    let pki = pki(Leaf::Good);
    let mut relay = RelayConfig::default();
    relay.duplicate_publish = DuplicatePublish::Reject;
    relay.wait_for_publisher = false;
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = Server::builder()
        .listen(local)
        .tls_listen(local, pki.acceptor())
        .http_listen(local)
        .relay_config(relay)
        .max_connections(6)
        .on_connect(|ctx| async move {
            if ctx.request.app == "denied" {
                ConnectDecision::Reject(Rejection::new("no such app"))
            } else {
                ConnectDecision::Accept
            }
        })
        .on_publish(|ctx| async move {
            if ctx.request.name == "forbidden" {
                StreamDecision::reject("not yours")
            } else {
                StreamDecision::Accept
            }
        })
        .on_play(|ctx| async move {
            if ctx.request.name == "secret" {
                StreamDecision::reject("not for you")
            } else {
                StreamDecision::Accept
            }
        })
        .bind()
        .await
        .expect("bind");
    let (addr, tls, http) = (
        server.local_addr(),
        server.tls_local_addr().expect("tls"),
        server.http_addr().expect("http"),
    );
    let handle = server.handle();
    let run = rt::serve(server);

    // A socket that never starts its handshake.
    let raw = TcpStream::connect(addr).unwrap();
    settle(&handle, "handshaking", |c| c.states.handshaking == 1).await;
    let mut idle = connected(addr, "live").await;
    settle(&handle, "idle", |c| c.states.idle == 1).await;
    let mut publisher = connected(addr, "live").await;
    publishing(&mut publisher, "cam").await;
    let mut player = connected(addr, "live").await;
    playing(&mut player, "cam").await;
    let over_tls = bounded(
        "publish over rtmps",
        Client::builder()
            .url(&format!("rtmps://localhost:{}/live/tlscam", tls.port()))
            .tls(pki.connector())
            .publish(),
    )
    .await
    .expect("publishing over rtmps");
    let c = settle(&handle, "publishing and playing", |c| {
        c.states.publishing == 2 && c.states.playing == 1
    })
    .await;
    assert_eq!((c.accepted_plain, c.accepted_tls), (4, 1));

    // A connect the hook refuses; the connection ends after the refusal.
    let mut denied = open(addr, "denied").await;
    until(&mut denied, |e| {
        matches!(e, ClientEvent::ConnectRejected { .. }).then_some(())
    })
    .await;
    drop(denied);
    settle(&handle, "the denied connection gone", |c| {
        c.connections == 5 && c.states.handshaking == 1
    })
    .await;

    // Publishes refused by the hook and by the relay (the stream has a publisher), plays
    // refused by the hook and by the relay (not live), over RTMP and over HTTP-FLV.
    let h = idle
        .session()
        .publish("forbidden", PublishMode::Live)
        .unwrap();
    refused(&mut idle, h).await;
    let h = idle.session().publish("cam", PublishMode::Live).unwrap();
    refused(&mut idle, h).await;
    let h = idle.session().play("secret").unwrap();
    refused(&mut idle, h).await;
    let h = idle.session().play("nothere").unwrap();
    refused(&mut idle, h).await;
    let (forbidden, _) = rt::unblock(move || get(http, "/live/secret.flv")).await;
    let (not_live, _) = rt::unblock(move || get(http, "/live/nothere.flv")).await;
    assert_eq!((forbidden, not_live), (403, 404));

    // The connection limit (6): a sixth connection is served, a seventh closed on accept.
    rt::sleep(Duration::from_millis(100)).await;
    let sixth = TcpStream::connect(addr).unwrap();
    settle(&handle, "the sixth connection", |c| {
        c.states.handshaking == 2
    })
    .await;
    let closed = rt::unblock(move || {
        let mut seventh = TcpStream::connect(addr).unwrap();
        seventh
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        matches!(seventh.read(&mut [0u8; 16]), Ok(0) | Err(_))
    })
    .await;
    assert!(closed, "the connection over the limit was not closed");

    let c = settle(&handle, "the refusal over the limit", |c| {
        c.rejected.connects.limit == 1
    })
    .await;
    let s = c.states;
    assert_eq!(
        (s.handshaking, s.idle, s.publishing, s.playing),
        (2, 1, 2, 1),
        "{c:?}"
    );
    assert_eq!((c.accepted_plain, c.accepted_tls), (6, 1), "{c:?}");
    let r = c.rejected;
    assert_eq!(
        (r.connects.hook, r.connects.relay, r.connects.limit),
        (1, 0, 1)
    );
    assert_eq!(
        (r.publishes.hook, r.publishes.relay, r.publishes.limit),
        (1, 1, 0)
    );
    assert_eq!((r.plays.hook, r.plays.relay, r.plays.limit), (2, 2, 0));
    assert_eq!(r.http_connections, 0);
    assert_eq!(c.publishers, 2);

    let (status, body) = rt::unblock(move || get(http, "/api/server")).await;
    assert_eq!(status, 200, "{body}");
    let doc: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let states = &doc["connections_by_state"];
    assert_eq!(
        (
            &states["handshaking"],
            &states["idle"],
            &states["publishing"],
            &states["playing"]
        ),
        (&2.into(), &1.into(), &2.into(), &1.into()),
        "{body}"
    );
    assert_eq!(doc["accepted"]["plain"], 6, "{body}");
    assert_eq!(doc["accepted"]["tls"], 1, "{body}");
    assert_eq!(doc["rejected"]["connects"]["hook"], 1, "{body}");
    assert_eq!(doc["rejected"]["connects"]["limit"], 1, "{body}");
    assert_eq!(doc["rejected"]["publishes"]["hook"], 1, "{body}");
    assert_eq!(doc["rejected"]["publishes"]["relay"], 1, "{body}");
    assert_eq!(doc["rejected"]["plays"]["hook"], 2, "{body}");
    assert_eq!(doc["rejected"]["plays"]["relay"], 2, "{body}");
    let (_, streams) = rt::unblock(move || get(http, "/api/streams")).await;
    let streams: serde_json::Value = serde_json::from_str(&streams).expect("JSON");
    assert_eq!(streams["server"], doc, "/api/streams' server object");

    let (status, metrics) = rt::unblock(move || get(http, "/metrics")).await;
    assert_eq!(status, 200);
    for (series_name, value) in [
        (r#"rtmp_connections{state="handshaking"}"#, 2.0),
        (r#"rtmp_connections{state="idle"}"#, 1.0),
        (r#"rtmp_connections{state="publishing"}"#, 2.0),
        (r#"rtmp_connections{state="playing"}"#, 1.0),
        (
            r#"rtmp_accepted_network_connections_total{transport="plain"}"#,
            6.0,
        ),
        (
            r#"rtmp_accepted_network_connections_total{transport="tls"}"#,
            1.0,
        ),
        (r#"rtmp_rejected_connects_total{cause="hook"}"#, 1.0),
        (r#"rtmp_rejected_connects_total{cause="limit"}"#, 1.0),
        (r#"rtmp_rejected_publishes_total{cause="hook"}"#, 1.0),
        (r#"rtmp_rejected_publishes_total{cause="relay"}"#, 1.0),
        (r#"rtmp_rejected_plays_total{cause="hook"}"#, 2.0),
        (r#"rtmp_rejected_plays_total{cause="relay"}"#, 2.0),
        (r#"rtmp_rejected_plays_total{cause="limit"}"#, 0.0),
        ("rtmp_rejected_http_connections_total", 0.0),
    ] {
        assert_eq!(
            series(&metrics, series_name),
            Some(value),
            "{series_name}:\n{metrics}"
        );
    }
    promtool_accepts(metrics).await;

    // Everyone leaves: the state gauges go back to zero.
    drop((raw, sixth, idle, publisher, player));
    bounded("tls publisher close", over_tls.close())
        .await
        .expect("close");
    settle(&handle, "every connection gone", |c| {
        let s = c.states;
        c.connections == 0 && (s.handshaking, s.idle, s.publishing, s.playing) == (0, 0, 0, 0)
    })
    .await;
    handle.shutdown();
    bounded("server to stop", run).await.expect("run");
}

tests!(server_counters_move_for_states_transports_and_each_refusal);
