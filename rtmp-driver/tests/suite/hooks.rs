//! Auth hooks: async callbacks decide connect, publish and play.

use crate::common::*;
use crate::rt;
use adapter::proto::session::{ClientEvent, PublishMode, Rejection, StatusCode};
use adapter::{ConnectDecision, Server, StreamDecision};

async fn connect_hook_rejects_with_its_reason_and_the_connection_ends() {
    let srv = start(Server::builder().on_connect(|ctx| async move {
        if ctx.request.app == "live" {
            ConnectDecision::Accept
        } else {
            ConnectDecision::Reject(Rejection::new("no such app"))
        }
    }))
    .await;
    let _ok = connected(srv.addr, "live").await;
    let mut c = open(srv.addr, "secret").await;
    let desc = until(&mut c, |e| match e {
        ClientEvent::ConnectRejected { description, .. } => Some(description.clone()),
        _ => None,
    })
    .await;
    assert_eq!(desc, "no such app");
    // The server closes after the _error: the client sees the end of the connection.
    loop {
        if let ClientEvent::Closed(_) = next(&mut c).await {
            break;
        }
    }
    srv.stop().await;
}

async fn connect_hook_redirects() {
    let srv =
        start(Server::builder().on_connect(|_| async {
            ConnectDecision::Redirect("rtmp://other.example/live".into())
        }))
        .await;
    let mut c = open(srv.addr, "live").await;
    let redirect = until(&mut c, |e| match e {
        ClientEvent::ConnectRejected { redirect, .. } => Some(redirect.clone()),
        _ => None,
    })
    .await;
    assert_eq!(redirect.as_deref(), Some("rtmp://other.example/live"));
    srv.stop().await;
}

async fn slow_publish_hook_answers_later_and_a_refusal_keeps_the_connection() {
    let srv = start(Server::builder().on_publish(|ctx| async move {
        // An auth service that takes a while: the connection keeps running meanwhile.
        rt::sleep(std::time::Duration::from_millis(100)).await;
        if ctx.request.query.as_deref() == Some("key=good") {
            StreamDecision::Accept
        } else {
            StreamDecision::reject("bad key")
        }
    }))
    .await;
    let mut c = connected(srv.addr, "live").await;
    let bad = c
        .session()
        .publish("cam?key=bad", PublishMode::Live)
        .unwrap();
    let desc = until(&mut c, |e| match e {
        ClientEvent::StreamFailed {
            handle,
            description,
            ..
        } if *handle == bad => Some(description.clone()),
        _ => None,
    })
    .await;
    assert_eq!(desc, "bad key");
    // Same connection, right key.
    publishing(&mut c, "cam?key=good").await;
    srv.stop().await;
}

async fn play_hook_refuses_with_a_stream_status() {
    let srv = start(Server::builder().on_play(|ctx| async move {
        if ctx.request.name == "private" {
            StreamDecision::Reject(Rejection::with_code(
                StatusCode::PlayStreamNotFound,
                "not for you",
            ))
        } else {
            StreamDecision::Accept
        }
    }))
    .await;
    let mut c = connected(srv.addr, "live").await;
    let h = c.session().play("private").unwrap();
    let (code, desc) = until(&mut c, |e| match e {
        ClientEvent::StreamFailed {
            handle,
            code,
            description,
        } if *handle == h => Some((code.clone(), description.clone())),
        _ => None,
    })
    .await;
    assert_eq!(code, StatusCode::PlayStreamNotFound);
    assert_eq!(desc, "not for you");
    // The connection stays: a publish on it is accepted.
    publishing(&mut c, "cam").await;
    srv.stop().await;
}

tests!(
    connect_hook_rejects_with_its_reason_and_the_connection_ends,
    connect_hook_redirects,
    slow_publish_hook_answers_later_and_a_refusal_keeps_the_connection,
    play_hook_refuses_with_a_stream_status,
);
