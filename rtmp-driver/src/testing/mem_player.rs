//! A player whose connection runs in memory, for tests and benchmarks of the fan-out.
//!
//! A real `ConnCore` behind a `ConnCell`, as the drivers build it, but over a
//! [`MemWire`] instead of a socket, with the player's `ClientSession` at the other end and
//! no task: the caller runs the player's turn ([`MemPlayer::turn`]) when a driver's task
//! would. What the fan-out writes is then exactly observable (or, for a benchmark,
//! discarded), without a runtime, a socket or a clock of its own.

use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use rtmp_proto::ProtocolError;
use rtmp_proto::relay::{ConnId, Frame, RelayConfig, StreamKey};
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectParams, ServerConfig, ServerSession,
    StreamHandle,
};

use crate::io::TxBatch;
use crate::server::Shared;
use crate::server::cell::{ConnCell, Turn, WireOut};
use crate::server::core::ConnCore;
use crate::server::hooks::Hooks;
use crate::server::hub::{Fanout, Hub};
use crate::server::link::ConnLink;

/// An in-memory socket: takes at most `room` more bytes (like a non-blocking socket with a
/// full send buffer) and keeps what it took in `taken`, or only counts it when `keep` is
/// off.
#[derive(Debug)]
pub struct MemWire {
    pub taken: BytesMut,
    pub room: usize,
    pub keep: bool,
    /// Bytes written since creation.
    pub written: u64,
    batch: TxBatch,
}

impl Default for MemWire {
    fn default() -> Self {
        MemWire {
            taken: BytesMut::new(),
            room: usize::MAX,
            keep: true,
            written: 0,
            batch: TxBatch::new(),
        }
    }
}

impl WireOut for MemWire {
    fn pump_out(&mut self, session: &mut ServerSession) -> io::Result<()> {
        let MemWire {
            taken,
            room,
            keep,
            written,
            batch,
        } = self;
        batch.pump(
            256 * 1024,
            || session.poll_transmit(),
            |slices| {
                if *room == 0 {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                let mut n = 0;
                for slice in slices {
                    let take = slice.len().min(*room - n);
                    if *keep {
                        taken.extend_from_slice(slice.get(..take).unwrap_or(&[]));
                    }
                    n += take;
                    if n == *room {
                        break;
                    }
                }
                *room -= n;
                *written += n as u64;
                Ok(n)
            },
        )
    }

    fn unsent(&self) -> usize {
        self.batch.len()
    }
}

/// A server without listener, hooks or recording, and one live stream on it whose
/// publisher is only a registration: frames go to the hub as a publisher's task hands
/// them over.
#[derive(Debug)]
pub struct MemStream {
    pub shared: Arc<Shared>,
    pub key: StreamKey,
    pub publisher: ConnId,
    scratch: Fanout,
}

impl MemStream {
    /// `app`/`name` is live, with default settings and the given write-merge window.
    pub fn new(app: &str, name: &str, write_merge: Duration) -> Self {
        Self::with_config(app, name, write_merge, RelayConfig::default())
    }

    /// [`new`](Self::new) with the given relay policy.
    pub fn with_config(app: &str, name: &str, write_merge: Duration, relay: RelayConfig) -> Self {
        let shared = Arc::new(Shared::new(
            ServerConfig::default(),
            Hooks::default(),
            None,
            Hub::new(relay, usize::MAX),
            Duration::from_secs(1),
            write_merge,
            Duration::from_secs(1),
        ));
        let key = StreamKey::new(app, name);
        let (publisher, _) = shared.hub.open_connection(([127, 0, 0, 1], 1935).into());
        // A fresh registry has no publisher for any key.
        let _ = shared.hub.publish(&key, publisher);
        let scratch = shared.hub.fanout();
        MemStream {
            shared,
            key,
            publisher,
            scratch,
        }
    }

    /// One publisher read's frames, handed to the fan-out.
    pub fn publish(&mut self, frames: &[Frame]) {
        self.shared
            .hub
            .ingest_all(&self.key, self.publisher, frames, &mut self.scratch);
    }

    /// The publisher stops: its players get the end of the stream.
    pub fn unpublish(&self) {
        self.shared.hub.unpublish(&self.key, self.publisher);
    }

    /// The publisher publishes again (refused while it is live).
    pub fn republish(&self) -> bool {
        self.shared.hub.publish(&self.key, self.publisher).is_ok()
    }

    /// Under a write-merge window: the players write what they hold now (what the
    /// publisher's task does once the stream went quiet for a window).
    pub fn flush_players(&self) {
        self.shared.hub.flush_players(&self.key);
    }

    /// A new player of this stream, playing.
    pub fn player(&self) -> Option<MemPlayer> {
        MemPlayer::play(&self.shared, self.key.app(), self.key.name())
    }
}

/// A server connection in memory that has connected to `app` and plays a stream, and the
/// client session at its other end.
#[derive(Debug)]
pub struct MemPlayer {
    pub id: ConnId,
    pub cell: Arc<ConnCell<MemWire>>,
    pub link: Arc<ConnLink>,
    pub client: ClientSession,
    /// The client's handle of the stream it plays.
    pub stream: Option<StreamHandle>,
    /// Bytes the client has not consumed yet (a partial chunk).
    s2c: BytesMut,
    shared: Arc<Shared>,
    now: Instant,
}

impl MemPlayer {
    /// Opens a connection on the server described by `shared` and plays `app`/`name` to
    /// `NetStream.Play.Start`. `None` if the server refuses (no such stream, a hook).
    /// Hooks answering later are not run: use it on a server without them.
    pub fn play(shared: &Arc<Shared>, app: &str, name: &str) -> Option<Self> {
        let now = Instant::now();
        let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 1935));
        let (id, link) = shared.hub.open_connection(peer);
        let core = ConnCore::new(id, link.clone(), peer, shared.clone(), now);
        let cell = ConnCell::new(core, MemWire::default());
        let mut client = ClientSession::new(Arc::new(ClientConfig::default()), now);
        let url = format!("rtmp://localhost/{app}");
        client.connect(ConnectParams::new(app, &url)).ok()?;
        let mut player = MemPlayer {
            id,
            cell,
            link,
            client,
            stream: None,
            s2c: BytesMut::new(),
            shared: shared.clone(),
            now,
        };
        for _ in 0..20 {
            for event in player.exchange() {
                match event {
                    ClientEvent::Connected { .. } => {
                        player.client.play(name).ok()?;
                    }
                    ClientEvent::PlayStarted { handle, .. } => {
                        player.stream = Some(handle);
                        // Take the wake-up that accepting the play raised.
                        player.turn();
                        player.woken();
                        return Some(player);
                    }
                    ClientEvent::StreamFailed { .. } | ClientEvent::ConnectRejected { .. } => {
                        return None;
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// The player's own turn, the one a driver's task runs after a wake-up (hook futures,
    /// which a server without hooks has none of, are dropped).
    pub fn turn(&self) -> Turn {
        let mut stopping = false;
        match self.cell.turn(self.now, false, &mut stopping, drop) {
            Ok(turn) => turn,
            // The in-memory socket does not fail.
            Err(_) => Turn::Again,
        }
    }

    /// Whether the player's task was woken since the last look (and lowers the flag, as
    /// the task's wait does).
    pub fn woken(&self) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        let wait = pin!(self.link.signal.wait());
        matches!(wait.poll(&mut cx), Poll::Ready(()))
    }

    /// One round trip: the client's output into the server, the player's turn, the
    /// server's output into the client. The client's events.
    pub fn exchange(&mut self) -> Vec<ClientEvent> {
        let mut c2s = BytesMut::new();
        while let Some(segment) = self.client.poll_transmit() {
            c2s.extend_from_slice(&segment);
        }
        {
            let mut state = self.cell.lock();
            // A protocol error closes the session; the next turn sees it.
            let _ = state.core.session().handle_input(self.now, &mut c2s);
        }
        self.turn();
        self.client_reads()
    }

    /// What the socket took so far, read by the client. The client's events.
    pub fn client_reads(&mut self) -> Vec<ClientEvent> {
        // A protocol error closes the client session; its events say so.
        let _ = self.client_read();
        std::iter::from_fn(|| self.client.poll_event()).collect()
    }

    /// What the socket took so far, read by the client (a partial chunk stays for the next
    /// read, as in a socket's read buffer); the client's verdict on the bytes. Its events
    /// are left in the client session.
    pub fn client_read(&mut self) -> Result<(), ProtocolError> {
        let taken = std::mem::take(&mut self.cell.lock().wire.taken);
        self.s2c.extend_from_slice(&taken);
        self.client.handle_input(self.now, &mut self.s2c)
    }

    /// The connection ended, as a driver ends it: everything it played is left and the
    /// hub forgets it.
    pub fn end(&self) {
        self.cell
            .lock()
            .core
            .leave_all(crate::server::StopReason::Disconnected);
        self.shared.hub.close_connection(self.id);
    }

    /// Bytes the socket holds, not yet read by the client.
    pub fn taken(&self) -> usize {
        self.cell.lock().wire.taken.len()
    }
}
