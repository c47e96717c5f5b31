//! Lifecycle events (`on_event`) and the accept filter (`on_accept`): every step of a
//! connection reported exactly once, in order, for a publish and its stop, a killed
//! publisher, a player that pauses and resumes, a player cut for lag and a connection
//! refused before the handshake; a callback that sleeps and panics holds up no player.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::rt;
use adapter::proto::relay::{ConnId, StreamKey};
use adapter::proto::session::{ClientEvent, CloseReason, MediaKind, StatusCode};
use adapter::{CloseCause, Event, EventKind, Server, StopReason};

/// Every event the callback got, in order.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<Event>>>);

impl Log {
    fn hook(&self) -> impl Fn(Event) + Send + Sync + 'static {
        let log = self.0.clone();
        move |e| log.lock().unwrap().push(e)
    }

    fn all(&self) -> Vec<Event> {
        self.0.lock().unwrap().clone()
    }

    /// Waits until `n` connections reported their close.
    async fn closed(&self, n: usize) {
        bounded("connections to report their close", async {
            loop {
                let closed = self
                    .all()
                    .iter()
                    .filter(|e| matches!(e.kind, EventKind::Closed { .. }))
                    .count();
                if closed >= n {
                    return;
                }
                rt::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
    }

    /// The events of the connection that reported `pick`, in order.
    fn of(&self, pick: impl Fn(&EventKind) -> bool) -> Vec<EventKind> {
        let all = self.all();
        let conn: ConnId = all
            .iter()
            .find(|e| pick(&e.kind))
            .map(|e| e.conn)
            .unwrap_or_else(|| panic!("no such event in {all:#?}"));
        all.into_iter()
            .filter(|e| e.conn == conn)
            .map(|e| e.kind)
            .collect()
    }
}

fn key() -> StreamKey {
    StreamKey::new("live", "cam")
}

/// `Opened, HandshakeDone, Connected` with the app and tcUrl of `addr`.
fn opening(kinds: &[EventKind], addr: SocketAddr) {
    assert_eq!(
        kinds[..3],
        [
            EventKind::Opened,
            EventKind::HandshakeDone,
            EventKind::Connected {
                app: "live".into(),
                tc_url: Some(format!("rtmp://{addr}/live")),
            }
        ],
        "{kinds:#?}"
    );
}

/// The last event: a close for `reason`, with bytes both ways.
fn closed(kinds: &[EventKind], want: impl Fn(&CloseCause) -> bool) {
    match kinds.last() {
        Some(EventKind::Closed {
            reason,
            bytes_in,
            bytes_out,
        }) => {
            assert!(want(reason), "closed for {reason:?}");
            // The handshake alone is 1537 bytes each way.
            assert!(
                *bytes_in > 1537 && *bytes_out > 1537,
                "{bytes_in} in, {bytes_out} out"
            );
        }
        other => panic!("last event {other:?}"),
    }
}

fn peer_closed(c: &CloseCause) -> bool {
    *c == CloseCause::Session(CloseReason::PeerClosed)
}

/// A publisher sends a few frames and leaves, closing its stream first (`unpublish`) or
/// vanishing as a killed process would: its events, in order, end with `reason`.
async fn publish_and_leave(unpublish: bool, reason: StopReason) {
    let log = Log::default();
    let srv = start(Server::builder().on_event(log.hook())).await;
    let mut c = connected(srv.addr, "live").await;
    let h = publishing(&mut c, "cam").await;
    for m in video_frames(5, 100, 5) {
        c.session().send_media(h, m).unwrap();
    }
    if unpublish {
        c.session().close_stream(h).unwrap();
    }
    bounded("flush", c.flush()).await.unwrap();
    drop(c);
    log.closed(1).await;
    let kinds = log.of(|k| matches!(k, EventKind::PublishStarted { .. }));
    opening(&kinds, srv.addr);
    assert_eq!(
        kinds[3..kinds.len() - 1],
        [
            EventKind::FcPublish { name: "cam".into() },
            EventKind::PublishStarted { key: key() },
            EventKind::PublishStopped { key: key(), reason },
        ],
        "{kinds:#?}"
    );
    closed(&kinds, peer_closed);
    srv.stop().await;
}

async fn a_publish_and_its_stop_are_reported_in_order() {
    publish_and_leave(true, StopReason::Client).await;
}

async fn a_killed_publisher_stops_its_publish_as_disconnected() {
    // Gone without a word, as a killed process.
    publish_and_leave(false, StopReason::Disconnected).await;
}

async fn a_player_that_pauses_and_resumes_is_reported_in_order() {
    let log = Log::default();
    let srv = start(Server::builder().on_event(log.hook())).await;
    let mut publisher = connected(srv.addr, "live").await;
    let ph = publishing(&mut publisher, "cam").await;
    let mut player = connected(srv.addr, "live").await;
    let h = playing(&mut player, "cam").await;
    for m in video_frames(3, 100, 1) {
        publisher.session().send_media(ph, m).unwrap();
    }
    bounded("flush", publisher.flush()).await.unwrap();
    media(&mut player, 3, "player").await;
    player.session().pause(h, true, 120.0).unwrap();
    bounded("flush", player.flush()).await.unwrap();
    // The pause's answer, then the resume.
    until(&mut player, |e| match e {
        ClientEvent::Status {
            code: StatusCode::PauseNotify,
            ..
        } => Some(()),
        _ => None,
    })
    .await;
    player.session().pause(h, false, 120.0).unwrap();
    player.session().close_stream(h).unwrap();
    bounded("flush", player.flush()).await.unwrap();
    drop(player);
    log.closed(1).await;
    let kinds = log.of(|k| matches!(k, EventKind::PlayStarted { .. }));
    opening(&kinds, srv.addr);
    assert_eq!(
        kinds[3..kinds.len() - 1],
        [
            EventKind::PlayStarted { key: key() },
            EventKind::Paused { key: key() },
            EventKind::Unpaused { key: key() },
            EventKind::PlayStopped {
                key: key(),
                reason: StopReason::Client
            },
        ],
        "{kinds:#?}"
    );
    closed(&kinds, peer_closed);
    drop(publisher);
    srv.stop().await;
}

async fn a_player_cut_for_lag_is_reported_as_too_slow() {
    let log = Log::default();
    let mut relay = adapter::proto::relay::RelayConfig::default();
    relay.player_soft_bytes = 256 * 1024;
    relay.player_hard_bytes = 1024 * 1024;
    relay.max_consecutive_lag_events = 0;
    relay.player_max_age = Duration::from_millis(500);
    let srv = start(Server::builder().relay_config(relay).on_event(log.hook())).await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "cam").await;
    // Plays and never reads again.
    let mut stalled = connected(srv.addr, "live").await;
    playing(&mut stalled, "cam").await;
    let mut i = 0u32;
    bounded("the stalled player to be cut", async {
        while srv.handle.stats().lag_disconnects == 0 {
            let head: &[u8] = if i.is_multiple_of(25) {
                &[0x17, 1, 0, 0, 0]
            } else {
                &[0x27, 1, 0, 0, 0]
            };
            let mut body = head.to_vec();
            body.resize(40 * 1024, i as u8);
            let m = adapter::proto::session::Media {
                kind: MediaKind::Video,
                timestamp: i * 40,
                payload: body.into(),
            };
            publisher.session().send_media(h, m).unwrap();
            i += 1;
            if i.is_multiple_of(5) {
                bounded("publisher flush", publisher.flush()).await.unwrap();
                rt::sleep(Duration::from_millis(5)).await;
            }
        }
    })
    .await;
    log.closed(1).await;
    let kinds = log.of(|k| matches!(k, EventKind::PlayStarted { .. }));
    opening(&kinds, srv.addr);
    assert_eq!(
        kinds[3..kinds.len() - 1],
        [
            EventKind::PlayStarted { key: key() },
            EventKind::PlayStopped {
                key: key(),
                reason: StopReason::TooSlow
            },
        ],
        "{kinds:#?}"
    );
    closed(&kinds, |c| matches!(c, CloseCause::TooSlow(_)));
    drop(stalled);
    drop(publisher);
    srv.stop().await;
}

async fn a_connection_refused_by_address_gets_no_byte_and_no_event() {
    let log = Log::default();
    let refuse = Arc::new(AtomicBool::new(true));
    let r = refuse.clone();
    let srv = start(
        Server::builder()
            .on_accept(move |peer| !(peer.ip().is_loopback() && r.load(Ordering::SeqCst)))
            .on_event(log.hook()),
    )
    .await;
    let addr = srv.addr;
    let got = rt::unblock(move || {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(STEP)).unwrap();
        // C0 + C1: a server that answered would send S0 S1 S2.
        let _ = s.write_all(&[3; 1537]);
        let mut buf = [0u8; 4096];
        match s.read(&mut buf) {
            Ok(n) => Ok(n),
            Err(e) => Err(e.kind()),
        }
    })
    .await;
    match got {
        Ok(0) => {}
        Err(std::io::ErrorKind::ConnectionReset) => {}
        other => panic!("the refused peer read {other:?}"),
    }
    // The filter lets the next one in: its events are the only ones.
    refuse.store(false, Ordering::SeqCst);
    let c = connected(srv.addr, "live").await;
    drop(c);
    log.closed(1).await;
    let all = log.all();
    assert_eq!(
        all.iter().filter(|e| e.kind == EventKind::Opened).count(),
        1,
        "{all:#?}"
    );
    srv.stop().await;
}

async fn a_callback_that_sleeps_and_panics_holds_up_no_player() {
    let log = Log::default();
    let record = log.hook();
    let srv = start(Server::builder().on_event(move |e| {
        let panics = matches!(e.kind, EventKind::PublishStarted { .. });
        record(e);
        std::thread::sleep(Duration::from_millis(100));
        if panics {
            panic!("a buggy callback");
        }
    }))
    .await;
    let mut publisher = connected(srv.addr, "live").await;
    let h = publishing(&mut publisher, "cam").await;
    let mut player = connected(srv.addr, "live").await;
    playing(&mut player, "cam").await;
    // Each frame crosses the relay while the callback is still busy with the events
    // before it; the player's latency stays a local relay's.
    let mut worst = Duration::ZERO;
    for m in video_frames(20, 1000, 1) {
        let sent = Instant::now();
        publisher.session().send_media(h, m).unwrap();
        bounded("flush", publisher.flush()).await.unwrap();
        media(&mut player, 1, "player").await;
        worst = worst.max(sent.elapsed());
    }
    assert!(
        worst < Duration::from_millis(100),
        "worst latency {worst:?}"
    );
    drop(player);
    drop(publisher);
    // Every event still arrives after the panic, in order.
    log.closed(2).await;
    let kinds = log.of(|k| matches!(k, EventKind::PublishStarted { .. }));
    assert!(
        matches!(
            kinds[kinds.len() - 2],
            EventKind::PublishStopped {
                reason: StopReason::Disconnected,
                ..
            }
        ),
        "{kinds:#?}"
    );
    srv.stop().await;
}

tests!(
    a_publish_and_its_stop_are_reported_in_order,
    a_killed_publisher_stops_its_publish_as_disconnected,
    a_player_that_pauses_and_resumes_is_reported_in_order,
    a_player_cut_for_lag_is_reported_as_too_slow,
    a_connection_refused_by_address_gets_no_byte_and_no_event,
    a_callback_that_sleeps_and_panics_holds_up_no_player,
);
