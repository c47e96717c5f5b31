//! Lifecycle events with a real peer killed mid-stream: an ffmpeg publisher and an ffmpeg
//! player, the publisher SIGKILLed. The publisher's connection reports its publish stopped
//! as `Disconnected` and its close as the peer's, once each, in order; the player's play
//! stops as `StreamEnded` once the grace period is over.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rtmp_interop::ffmpeg::{self, FPS, Play};
use rtmp_interop::{
    Adapter, EventSink, Proc, ServerOpts, for_each_adapter, peers, start, wait_until,
};
use rtmp_proto::relay::StreamKey;
use rtmp_proto::session::CloseReason;
use rtmp_tokio::{CloseCause, Event, EventKind, StopReason};

fn kinds_of(all: &[Event], pick: impl Fn(&EventKind) -> bool) -> Vec<EventKind> {
    let conn = all
        .iter()
        .find(|e| pick(&e.kind))
        .unwrap_or_else(|| panic!("no such event in {all:#?}"))
        .conn;
    all.iter()
        .filter(|e| e.conn == conn)
        .map(|e| e.kind.clone())
        .collect()
}

fn a_killed_ffmpeg_publisher_is_reported_once_in_order(adapter: Adapter) {
    let Some(p) = peers::legacy("events") else {
        return;
    };
    let events = Arc::new(Mutex::new(Vec::<Event>::new()));
    let log = events.clone();
    let mut opts = ServerOpts::default();
    opts.relay.publisher_grace = Duration::from_millis(300);
    opts.on_event = Some(EventSink(Arc::new(move |e| log.lock().unwrap().push(e))));
    let srv = start(adapter, &opts);
    let mut player = Proc::spawn(
        "ffmpeg player",
        &mut ffmpeg::player(&p.ffmpeg, &srv.url("cam"), Play::Decode),
    );
    srv.wait_players(1);
    // Long enough never to end by itself.
    let mut publisher = Proc::spawn(
        "ffmpeg publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &srv.url("cam"), 60 * FPS, FPS),
    );
    wait_until(
        "the publisher to be live for a second",
        Duration::from_secs(15),
        || ffmpeg::frames(&player) >= u64::from(FPS),
    );
    publisher.kill();
    let closed = |events: &Arc<Mutex<Vec<Event>>>| {
        events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Closed { .. }))
            .count()
    };
    wait_until("the publisher's close", Duration::from_secs(10), || {
        closed(&events) >= 1
    });
    let _ = player.wait(Duration::from_secs(15));
    wait_until("the player's close", Duration::from_secs(10), || {
        closed(&events) >= 2
    });
    srv.stop();
    let all = events.lock().unwrap().clone();
    let key = StreamKey::new("live", "cam");
    let publisher = kinds_of(&all, |k| matches!(k, EventKind::PublishStarted { .. }));
    assert!(
        matches!(
            &publisher[..],
            [
                EventKind::Opened,
                EventKind::HandshakeDone,
                EventKind::Connected { .. },
                EventKind::FcPublish { .. },
                EventKind::PublishStarted { key: k1 },
                EventKind::Metadata { .. },
                EventKind::PublishStopped { key: k2, reason: StopReason::Disconnected },
                EventKind::Closed { reason: CloseCause::Session(CloseReason::PeerClosed), .. },
            ] if *k1 == key && *k2 == key
        ),
        "{publisher:#?}"
    );
    let player = kinds_of(&all, |k| matches!(k, EventKind::PlayStarted { .. }));
    assert!(
        matches!(
            &player[..],
            [
                EventKind::Opened,
                EventKind::HandshakeDone,
                EventKind::Connected { .. },
                EventKind::PlayStarted { .. },
                EventKind::PlayStopped {
                    reason: StopReason::StreamEnded,
                    ..
                },
                EventKind::Closed { .. },
            ]
        ),
        "{player:#?}"
    );
}

for_each_adapter!(a_killed_ffmpeg_publisher_is_reported_once_in_order);
