//! The publisher's task writes relayed frames to a player's socket itself
//! (`rtmp_driver::server`): a real `ServerSession` behind a `ConnCell`, a player
//! `ClientSession` on the other end, an in-memory socket whose room the test controls, and
//! no task at all except where the test runs the player's turn by hand
//! ([`rtmp_driver::testing::mem_player`]).
//!
//! What it pins: a frame ingested by the publisher reaches the player's socket without the
//! player's turn and without waking it; a socket too full to take everything, or a cell the
//! player's task holds, falls back to waking the task, whose turn then finishes the job; and
//! what the player decodes is exactly what was published, in order.

use std::time::Duration;

use bytes::Bytes;
use rtmp_driver::server::WireOut;
use rtmp_driver::testing::mem_player::{MemPlayer, MemStream};
use rtmp_proto::relay::Frame;
use rtmp_proto::relay::RelayConfig;
use rtmp_proto::session::{ClientEvent, Media, MediaKind};
use tracing_subscriber::layer::SubscriberExt;

fn video(key: bool, timestamp: u32, len: usize) -> Frame {
    let mut body = vec![if key { 0x17 } else { 0x27 }, 0x01, 0, 0, 0];
    body.extend((0..len).map(|i| (i % 251) as u8));
    Frame::media(Media {
        kind: MediaKind::Video,
        timestamp,
        payload: Bytes::from(body),
    })
}

struct Setup {
    stream: MemStream,
    player: MemPlayer,
}

impl Setup {
    /// A live stream and one player that has connected and started playing it.
    fn playing() -> Self {
        Self::playing_with(Duration::ZERO)
    }

    /// The same under a write-merge window.
    fn playing_with(write_merge: Duration) -> Self {
        Self::playing_config(write_merge, RelayConfig::default())
    }

    fn playing_config(write_merge: Duration, relay: RelayConfig) -> Self {
        let stream = MemStream::with_config("live", "cam", write_merge, relay);
        let player = stream.player().expect("the player starts");
        Setup { stream, player }
    }

    fn publish(&mut self, frames: &[Frame]) {
        self.stream.publish(frames);
    }

    fn taken(&self) -> usize {
        self.player.taken()
    }

    fn woken(&self) -> bool {
        self.player.woken()
    }

    fn client_reads(&mut self) -> Vec<ClientEvent> {
        self.player.client_reads()
    }
}

fn media_payloads(events: Vec<ClientEvent>) -> Vec<Bytes> {
    events
        .into_iter()
        .filter_map(|e| match e {
            ClientEvent::Media { media, .. } => Some(media.payload),
            _ => None,
        })
        .collect()
}

#[test]
fn the_publisher_writes_to_the_player_without_waking_its_task() {
    let mut s = Setup::playing();
    let frames = [video(true, 0, 20_000), video(false, 40, 3_000)];
    s.publish(&frames);
    assert!(
        !s.woken(),
        "the player's task was woken for a routine frame"
    );
    assert!(s.taken() > 23_000, "the frames are on the player's socket");
    let got = media_payloads(s.client_reads());
    let sent: Vec<Bytes> = frames.iter().map(|f| f.payload().clone()).collect();
    assert_eq!(got, sent);
}

#[test]
fn a_full_socket_leaves_the_rest_to_the_players_task() {
    let mut s = Setup::playing();
    s.player.cell.lock().wire.room = 1000;
    let frame = video(true, 0, 20_000);
    s.publish(std::slice::from_ref(&frame));
    assert_eq!(s.taken(), 1000, "the socket took what it had room for");
    assert!(s.player.cell.lock().wire.unsent() > 0);
    assert!(s.woken(), "left-over output needs the task");
    // The socket drains; the task's turn writes the rest.
    s.player.cell.lock().wire.room = usize::MAX;
    s.player.turn();
    assert_eq!(s.player.cell.lock().wire.unsent(), 0);
    assert_eq!(
        media_payloads(s.client_reads()),
        vec![frame.payload().clone()]
    );
}

#[test]
fn a_busy_cell_wakes_the_task_which_delivers_on_its_turn() {
    let mut s = Setup::playing();
    let frame = video(true, 0, 5_000);
    {
        // The player's task is in the middle of a turn.
        let _turn = s.player.cell.lock();
        s.stream.publish(std::slice::from_ref(&frame));
    }
    assert_eq!(s.taken(), 0, "nothing written past a busy cell");
    assert!(s.woken());
    s.player.turn();
    assert_eq!(
        media_payloads(s.client_reads()),
        vec![frame.payload().clone()]
    );
}

#[test]
fn the_end_of_the_stream_is_left_to_the_players_task() {
    // Players end with their publisher here (no grace period).
    let mut relay = RelayConfig::default();
    relay.publisher_grace = Duration::ZERO;
    let mut s = Setup::playing_config(Duration::ZERO, relay);
    s.publish(&[video(true, 0, 100)]);
    assert!(!s.woken());
    s.stream.unpublish();
    assert!(s.woken(), "ending the stream wakes the player");
    s.player.turn();
    let events = s.client_reads();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ClientEvent::StreamEof { .. })),
        "{events:?}"
    );
}

#[test]
fn under_a_write_merge_window_output_is_held_until_the_publisher_flushes_it() {
    let mut s = Setup::playing_with(Duration::from_secs(3600));
    let frames = [
        video(true, 0, 4_000),
        video(false, 40, 1_000),
        video(false, 80, 1_000),
    ];
    for f in &frames {
        s.publish(std::slice::from_ref(f));
        assert_eq!(s.taken(), 0, "written before the window passed");
        assert!(!s.woken(), "a held frame woke the player's task");
    }
    // The stream went quiet: the publisher's task flushes its players, in one write each.
    s.stream.flush_players();
    assert!(!s.woken());
    let sent: Vec<Bytes> = frames.iter().map(|f| f.payload().clone()).collect();
    assert_eq!(media_payloads(s.client_reads()), sent);
    // Nothing is held any more: the next frame starts a new window.
    s.publish(&[video(false, 120, 100)]);
    assert_eq!(s.taken(), 0);
}

#[test]
fn under_a_write_merge_window_the_first_delivery_after_the_window_writes_everything() {
    let mut s = Setup::playing_with(Duration::from_millis(1));
    let first = video(true, 0, 2_000);
    s.publish(std::slice::from_ref(&first));
    assert_eq!(s.taken(), 0, "the first frame opens the window");
    std::thread::sleep(Duration::from_millis(5));
    let second = video(false, 40, 2_000);
    s.publish(std::slice::from_ref(&second));
    assert!(!s.woken());
    assert_eq!(
        media_payloads(s.client_reads()),
        vec![first.payload().clone(), second.payload().clone()]
    );
}

/// A log line a player writes while the publisher's task delivers to it (here: cut for
/// lag) is a child of the player's connection span, not of the publisher's, in whose
/// task it runs: else the line would name the publisher's id and address.
#[test]
fn a_player_cut_during_delivery_logs_under_its_own_connection() {
    let log = log_spans::LogSpans::default();
    let subscriber = tracing_subscriber::registry().with(log.clone());
    tracing::subscriber::with_default(subscriber, || {
        let mut relay = RelayConfig::default();
        relay.player_soft_bytes = 16 * 1024;
        relay.player_hard_bytes = 64 * 1024;
        // Cut at the first lag event.
        relay.max_consecutive_lag_events = 1;
        let mut s = tracing::info_span!("conn", id = 2u64)
            .in_scope(|| Setup::playing_config(Duration::ZERO, relay));
        // The player's socket takes nothing from here on.
        s.player.cell.lock().wire.room = 0;
        tracing::info_span!("conn", id = 1u64).in_scope(|| {
            for i in 0..20 {
                s.publish(&[video(i % 10 == 0, i * 40, 20_000)]);
            }
        });
        assert!(s.woken(), "the cut player's task is woken to close it");
    });
    let lines = log.lines();
    let cut = lines
        .iter()
        .find(|(message, _)| message.contains("player too slow"))
        .unwrap_or_else(|| panic!("no cut logged: {lines:?}"));
    assert_eq!(cut.1, Some(2), "{lines:?}");
}

/// A tracing layer that keeps each event's message and the `id` field of its parent span.
mod log_spans {
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::layer::Context;
    use tracing_subscriber::registry::LookupSpan;

    /// An event's message and its parent span's `id`.
    pub type Line = (String, Option<u64>);

    #[derive(Clone, Default)]
    pub struct LogSpans(Arc<Mutex<Vec<Line>>>);

    impl LogSpans {
        /// Every event so far.
        pub fn lines(&self) -> Vec<Line> {
            self.0.lock().unwrap().clone()
        }
    }

    /// A span's `id` field, kept in its extensions.
    struct ConnTag(u64);

    #[derive(Default)]
    struct Fields {
        id: Option<u64>,
        message: String,
    }

    impl Visit for Fields {
        fn record_u64(&mut self, field: &Field, value: u64) {
            if field.name() == "id" {
                self.id = Some(value);
            }
        }

        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                self.message = format!("{value:?}");
            }
        }
    }

    impl<S: Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for LogSpans {
        fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            attrs.record(&mut fields);
            if let (Some(conn), Some(span)) = (fields.id, ctx.span(id)) {
                span.extensions_mut().insert(ConnTag(conn));
            }
        }

        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let mut fields = Fields::default();
            event.record(&mut fields);
            let conn = ctx
                .event_span(event)
                .and_then(|span| span.extensions().get::<ConnTag>().map(|c| c.0));
            self.0.lock().unwrap().push((fields.message, conn));
        }
    }
}
