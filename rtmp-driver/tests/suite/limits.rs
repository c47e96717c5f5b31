//! Connection limit: connections beyond `max_connections` are closed at once, and a freed
//! slot is reused.

use std::time::Duration;

use crate::common::*;
use crate::rt;
use adapter::Server;
use adapter::proto::session::ClientEvent;

async fn connections_over_the_limit_are_closed_and_slots_come_back() {
    let srv = start(Server::builder().max_connections(1)).await;
    let mut first = connected(srv.addr, "live").await;

    let mut second = open(srv.addr, "live").await;
    loop {
        match bounded("second connection to end", second.next_event()).await {
            // A reset instead of a clean close is just as much a refusal.
            Err(_) | Ok(None) | Ok(Some(ClientEvent::Closed(_))) => break,
            Ok(Some(ClientEvent::Connected { .. })) => panic!("served over the limit"),
            Ok(Some(_)) => {}
        }
    }

    // Free the slot: close the first connection and let the server notice.
    first.session().close();
    while bounded("first to close", first.next_event())
        .await
        .expect("io")
        .is_some()
    {}
    drop(first);
    let mut third = None;
    for _ in 0..50 {
        rt::sleep(Duration::from_millis(20)).await;
        let mut c = open(srv.addr, "live").await;
        match bounded("third connection", c.next_event()).await {
            Ok(Some(ClientEvent::HandshakeDone)) => {
                third = Some(c);
                break;
            }
            _ => continue,
        }
    }
    let mut third = third.expect("slot reused after the first connection closed");
    until(&mut third, |e| {
        matches!(e, ClientEvent::Connected { .. }).then_some(())
    })
    .await;
    srv.stop().await;
}

tests!(connections_over_the_limit_are_closed_and_slots_come_back,);
