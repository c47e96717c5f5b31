//! The publisher's task writes relayed frames to a player's socket itself
//! ([`rtmp_driver::conn_cell`]): a real `ServerSession` behind a `ConnCell`, a player
//! `ClientSession` on the other end, an in-memory socket whose room the test controls, and
//! no task at all except where the test runs the player's turn by hand.
//!
//! What it pins: a frame ingested by the publisher reaches the player's socket without the
//! player's turn and without waking it; a socket too full to take everything, or a cell the
//! player's task holds, falls back to waking the task, whose turn then finishes the job; and
//! what the player decodes is exactly what was published, in order.

use std::future::Future;
use std::io::{self, IoSlice};
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rtmp_driver::conn_cell::{ConnCell, Turn, WireOut};
use rtmp_driver::conn_core::ConnCore;
use rtmp_driver::hooks::Hooks;
use rtmp_driver::hub::{ConnLink, Hub};
use rtmp_driver::shared::Shared;
use rtmp_driver::{MAX_IOV, TxBatch};
use rtmp_proto::relay::{Frame, RelayConfig, StreamKey};
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectParams, Media, MediaKind, ServerConfig,
    ServerSession,
};

/// A socket that takes at most `room` more bytes, like a non-blocking one with a full
/// send buffer, and keeps what it took.
struct MemWire {
    taken: BytesMut,
    room: usize,
    batch: TxBatch,
}

impl WireOut for MemWire {
    fn pump_out(&mut self, session: &mut ServerSession) -> io::Result<()> {
        loop {
            self.batch.fill(256 * 1024, || session.poll_transmit());
            if self.batch.is_empty() || self.room == 0 {
                return Ok(());
            }
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let n = self.batch.io_slices(&mut iov);
            let mut written = 0;
            for slice in &iov[..n] {
                let take = slice.len().min(self.room - written);
                self.taken.extend_from_slice(&slice[..take]);
                written += take;
                if written == self.room {
                    break;
                }
            }
            self.room -= written;
            self.batch.advance(written);
        }
    }

    fn unsent(&self) -> usize {
        self.batch.len()
    }
}

/// Whether the player's task was woken (and lowers the flag, as the task's wait does).
fn woken(link: &ConnLink) -> bool {
    let mut cx = Context::from_waker(Waker::noop());
    let wait = pin!(link.signal.wait());
    matches!(wait.poll(&mut cx), Poll::Ready(()))
}

/// The player's own turn, the one the drivers run after a wake-up.
fn player_turn(cell: &ConnCell<MemWire>) {
    let mut stopping = false;
    let turn = cell
        .turn(false, &mut stopping, |_| panic!("no hooks here"))
        .unwrap();
    assert!(matches!(turn, Turn::Wait { .. }), "{turn:?}");
}

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
    shared: Arc<Shared>,
    key: StreamKey,
    publisher: rtmp_proto::relay::ConnId,
    link: Arc<ConnLink>,
    cell: Arc<ConnCell<MemWire>>,
    client: ClientSession,
    now: Instant,
}

impl Setup {
    /// A live stream and one player that has connected and started playing it.
    fn playing() -> Self {
        Self::playing_with(Duration::ZERO)
    }

    /// The same under a write-merge window.
    fn playing_with(write_merge: Duration) -> Self {
        let now = Instant::now();
        let shared = Arc::new(Shared {
            session: ServerConfig::default(),
            hooks: Hooks::default(),
            record_dir: None,
            hub: Hub::new(RelayConfig::default()),
            grace: Duration::from_secs(1),
            write_merge,
        });
        let key = StreamKey::new("live", "cam");
        let (publisher, _) = shared.hub.open_connection();
        shared.hub.publish(&key, publisher).unwrap();
        let (id, link) = shared.hub.open_connection();
        let core = ConnCore::new(
            id,
            link.clone(),
            "127.0.0.1:1935".parse().unwrap(),
            shared.clone(),
        );
        let wire = MemWire {
            taken: BytesMut::new(),
            room: usize::MAX,
            batch: TxBatch::new(),
        };
        let cell = ConnCell::new(core, wire);
        let mut client = ClientSession::new(Arc::new(ClientConfig::default()), now);
        client
            .connect(ConnectParams::new("live", "rtmp://h/live"))
            .unwrap();
        let mut s = Setup {
            shared,
            key,
            publisher,
            link,
            cell,
            client,
            now,
        };
        let mut playing = false;
        for _ in 0..20 {
            for event in s.exchange() {
                match event {
                    ClientEvent::Connected { .. } => {
                        s.client.play("cam").unwrap();
                    }
                    ClientEvent::PlayStarted { .. } => playing = true,
                    _ => {}
                }
            }
            if playing {
                break;
            }
        }
        assert!(playing, "the player never started");
        // The player's turn after accepting the play has run; nothing is pending for it.
        player_turn(&s.cell);
        woken(&s.link);
        s
    }

    /// One round trip: client output into the server, the player's turn, server output
    /// into the client. Returns the client's events.
    fn exchange(&mut self) -> Vec<ClientEvent> {
        let mut c2s = BytesMut::new();
        while let Some(seg) = self.client.poll_transmit() {
            c2s.extend_from_slice(&seg);
        }
        {
            let mut state = self.cell.lock();
            state.core.session.handle_input(self.now, &mut c2s).unwrap();
        }
        player_turn(&self.cell);
        self.client_reads()
    }

    /// What the player's socket took so far, read by the client.
    fn client_reads(&mut self) -> Vec<ClientEvent> {
        let mut s2c = std::mem::take(&mut self.cell.lock().wire.taken);
        self.client.handle_input(self.now, &mut s2c).unwrap();
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    fn publish(&self, frames: &[Frame]) {
        let mut scratch = Vec::new();
        self.shared
            .hub
            .ingest_all(&self.key, self.publisher, frames, &mut scratch);
    }

    fn taken(&self) -> usize {
        self.cell.lock().wire.taken.len()
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
        !woken(&s.link),
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
    s.cell.lock().wire.room = 1000;
    let frame = video(true, 0, 20_000);
    s.publish(std::slice::from_ref(&frame));
    assert_eq!(s.taken(), 1000, "the socket took what it had room for");
    assert!(s.cell.lock().wire.unsent() > 0);
    assert!(woken(&s.link), "left-over output needs the task");
    // The socket drains; the task's turn writes the rest.
    s.cell.lock().wire.room = usize::MAX;
    player_turn(&s.cell);
    assert_eq!(s.cell.lock().wire.unsent(), 0);
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
        let _turn = s.cell.lock();
        s.publish(std::slice::from_ref(&frame));
    }
    assert_eq!(s.taken(), 0, "nothing written past a busy cell");
    assert!(woken(&s.link));
    player_turn(&s.cell);
    assert_eq!(
        media_payloads(s.client_reads()),
        vec![frame.payload().clone()]
    );
}

#[test]
fn the_end_of_the_stream_is_left_to_the_players_task() {
    let mut s = Setup::playing();
    s.publish(&[video(true, 0, 100)]);
    assert!(!woken(&s.link));
    s.shared.hub.unpublish(&s.key, s.publisher);
    assert!(woken(&s.link), "ending the stream wakes the player");
    player_turn(&s.cell);
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
        assert!(!woken(&s.link), "a held frame woke the player's task");
    }
    // The stream went quiet: the publisher's task flushes its players, in one write each.
    s.shared.hub.flush_players(&s.key);
    assert!(!woken(&s.link));
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
    assert!(!woken(&s.link));
    assert_eq!(
        media_payloads(s.client_reads()),
        vec![first.payload().clone(), second.payload().clone()]
    );
}
