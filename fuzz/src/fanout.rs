//! Fuzz body for the `fanout` target: the relay's runtime-independent server half
//! (`rtmp-driver`: the hub, each player's connection state behind its `ConnCell`, direct
//! delivery from the publisher's turn, merged writes) with real `ServerSession`s and, at
//! the other end of in-memory sockets, our `ClientSession` as the players.
//!
//! The operations interleave what the tasks of a real server interleave: publisher reads
//! of arbitrary frames, players joining, their sockets filling up and draining by any
//! amount, their own turns and timers, pauses, acknowledgements, merged output flushed,
//! the stream ending and starting again, connections shut down by the server or ending. The relay policy is configured small so
//! that lag drops and disconnects happen.
//!
//! Panics are bugs, and so is any byte stream our client cannot parse: whatever the
//! interleaving, every player's socket must carry a valid RTMP stream. Every media message
//! a player receives must be one the publisher sent, byte for byte.

use std::collections::HashSet;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use bytes::{Bytes, BytesMut};
use rtmp_driver::testing::mem_player::{MemPlayer, MemStream};
use rtmp_proto::amf::{self, Value};
use rtmp_proto::relay::{Frame, RelayConfig};
use rtmp_proto::session::{ClientEvent, MediaKind};

use crate::frame_spec::{FrameSpec, Kind};

/// Most operations taken from one input.
const MAX_OPS: usize = 192;
/// Most players at once.
const MAX_PLAYERS: usize = 4;
/// Most frames in one publisher read.
const MAX_READ: usize = 8;

#[derive(Debug, Arbitrary)]
struct Setup {
    /// Hold players' output until flushed (a window no test run reaches) instead of
    /// writing at once.
    merge: bool,
    gop_max_bytes: u16,
    soft_kib: u8,
    hard_kib: u8,
    consecutive: u8,
}

#[derive(Debug, Arbitrary)]
enum Op {
    Join,
    /// One publisher read.
    Publish(Vec<FrameSpec>),
    /// How many more bytes a player's socket takes (`u16::MAX`: any amount).
    Room {
        player: u8,
        room: u16,
    },
    /// The player's own turn, as its task runs it after a wake-up.
    Turn(u8),
    /// The client reads what the socket took.
    Read(u8),
    /// Client → server → client: acknowledgements, commands, a turn, a read.
    Exchange(u8),
    Pause {
        player: u8,
        paused: bool,
    },
    /// The publisher's quiet-stream flush of merged output.
    Flush,
    Unpublish,
    Republish,
    /// The player's connection ends.
    End(u8),
    /// The server shuts down this connection (the graceful-shutdown turn).
    Stop(u8),
    /// The player's timer fires (pings, timeouts).
    Timer(u8),
}

struct World {
    stream: MemStream,
    players: Vec<MemPlayer>,
    /// (kind, payload) of every media message published.
    published: HashSet<(bool, Bytes)>,
    ts: u32,
}

impl World {
    fn frame(&mut self, spec: &FrameSpec) -> Frame {
        if spec.kind != Kind::Metadata {
            return spec.build(&mut self.ts);
        }
        // A publisher's session only passes on metadata that decodes; send such.
        let mut payload = BytesMut::new();
        amf::amf0::encode_all(
            &[
                Value::from("onMetaData"),
                Value::object(vec![(
                    "width".to_owned(),
                    Value::Number(f64::from(spec.pad)),
                )]),
            ],
            &mut payload,
        );
        self.ts = self.ts.wrapping_add(u32::from(spec.ts_step));
        Frame::metadata_payload(payload.freeze(), self.ts)
    }

    fn player(&mut self, i: u8) -> Option<&mut MemPlayer> {
        let n = self.players.len();
        (n > 0).then(|| &mut self.players[usize::from(i) % n])
    }

    /// The client reads what its socket took; it must all parse, and all media must be
    /// published media.
    fn read(published: &HashSet<(bool, Bytes)>, p: &mut MemPlayer) {
        if let Err(e) = p.client_read() {
            panic!("our client rejects what the relay wrote: {e}");
        }
        while let Some(event) = p.client.poll_event() {
            if let ClientEvent::Media { media, .. } = event {
                let key = (media.kind == MediaKind::Video, media.payload);
                assert!(
                    published.contains(&key),
                    "a player got media nobody published"
                );
            }
        }
    }
}

/// Runs one input; panics on a bug.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(setup) = Setup::arbitrary(&mut u) else {
        return;
    };
    let mut relay = RelayConfig::default();
    relay.gop_max_bytes = usize::from(setup.gop_max_bytes);
    relay.player_soft_bytes = 1024 * usize::from(setup.soft_kib % 64 + 1);
    relay.player_hard_bytes = relay.player_soft_bytes + 1024 * usize::from(setup.hard_kib);
    relay.max_consecutive_lag_events = u32::from(setup.consecutive % 4);
    let merge = if setup.merge {
        Duration::from_secs(3600)
    } else {
        Duration::ZERO
    };
    let mut w = World {
        stream: MemStream::with_config("live", "cam", merge, relay),
        players: Vec::new(),
        published: HashSet::new(),
        ts: 0,
    };

    // `FUZZ_TRACE=1` prints each operation (to read a crash).
    let trace = std::env::var_os("FUZZ_TRACE").is_some();
    if trace {
        eprintln!("{setup:?}");
    }
    for _ in 0..MAX_OPS {
        let Ok(op) = Op::arbitrary(&mut u) else {
            break;
        };
        if trace {
            eprintln!("{op:?}");
        }
        match op {
            Op::Join => {
                if w.players.len() < MAX_PLAYERS
                    && let Some(p) = w.stream.player()
                {
                    w.players.push(p);
                }
            }
            Op::Publish(specs) => {
                let frames: Vec<Frame> = specs.iter().take(MAX_READ).map(|s| w.frame(s)).collect();
                for f in &frames {
                    if let Some(m) = f.as_media() {
                        w.published
                            .insert((m.kind == MediaKind::Video, m.payload.clone()));
                    }
                }
                w.stream.publish(&frames);
            }
            Op::Room { player, room } => {
                if let Some(p) = w.player(player) {
                    p.cell.lock().wire.room = if room == u16::MAX {
                        usize::MAX
                    } else {
                        usize::from(room)
                    };
                }
            }
            Op::Turn(i) => {
                if let Some(p) = w.player(i) {
                    p.turn();
                }
            }
            Op::Read(i) => {
                let n = w.players.len();
                if n > 0 {
                    World::read(&w.published, &mut w.players[usize::from(i) % n]);
                }
            }
            Op::Exchange(i) => {
                let n = w.players.len();
                if n > 0 {
                    let p = &mut w.players[usize::from(i) % n];
                    let mut c2s = BytesMut::new();
                    while let Some(segment) = p.client.poll_transmit() {
                        c2s.extend_from_slice(&segment);
                    }
                    {
                        let mut state = p.cell.lock();
                        let now = std::time::Instant::now();
                        if let Err(e) = state.core.session().handle_input(now, &mut c2s) {
                            panic!("the relay rejects what our client wrote: {e}");
                        }
                    }
                    p.turn();
                    World::read(&w.published, p);
                }
            }
            Op::Pause { player, paused } => {
                if let Some(p) = w.player(player)
                    && let Some(h) = p.stream
                {
                    // Refused once the stream or connection is gone: fine.
                    let _ = p.client.pause(h, paused, 0.0);
                }
            }
            Op::Flush => w.stream.flush_players(),
            Op::Unpublish => w.stream.unpublish(),
            Op::Republish => {
                // Refused while live: fine.
                let _ = w.stream.republish();
            }
            Op::Stop(i) => {
                if let Some(p) = w.player(i) {
                    let mut stopping = false;
                    // The in-memory socket does not fail.
                    let _ = p
                        .cell
                        .turn(std::time::Instant::now(), true, &mut stopping, drop);
                }
            }
            Op::Timer(i) => {
                if let Some(p) = w.player(i) {
                    p.cell.check_timers(std::time::Instant::now(), true);
                }
            }
            Op::End(i) => {
                let n = w.players.len();
                if n > 0 {
                    let p = w.players.remove(usize::from(i) % n);
                    p.end();
                }
            }
        }
    }
    // Whatever is left must still be a valid stream.
    for p in &mut w.players {
        p.cell.lock().wire.room = usize::MAX;
        p.turn();
        World::read(&w.published, p);
    }
}
