//! A server connection's state behind one mutex, so the task of a stream's publisher can
//! write a frame to this player's socket itself instead of waking this connection's task.
//!
//! Relaying one frame to N players used to cost N task wake-ups, each polling the
//! connection's whole wait (socket, timer, mailbox, signal, shutdown) only to move the frame
//! into the session and write it: more CPU than the write. nginx-rtmp writes to every player
//! from the publisher's event. With the session and the socket's write side in a
//! [`ConnCell`], the fan-out does the same through [`Deliver`]: it `try_lock`s the cell,
//! offers the run to the player's `Playback` (which queues the shared encodings in the
//! session) and writes.
//!
//! The connection's own task keeps everything else: reads, timers, hooks, closing. It takes
//! the lock for each of its turns and never across an await. When the cell is busy the
//! publisher queues the run on the player's link and wakes the task; when the delivery
//! leaves work only the task can do (a socket too full to take everything, a player cut
//! for lag) the publisher wakes it. So the publisher never waits on a player.
//!
//! Under a write-merge window (`ServerBuilder::write_merge`) the fan-out moves frames into the
//! player's session but writes only once the oldest held output is a window old; when the
//! stream goes quiet, the publisher's task flushes its players a window after the last
//! frame (`Hub::flush_players`). No player task is woken
//! for either.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use rtmp_proto::relay::{Encodings, Frame, PlayerStats, StreamKey};
use rtmp_proto::session::{ServerSession, StreamId};

use super::core::ConnCore;
use super::hooks::BoxFuture;
use super::link::Deliver;
use crate::io::Wire;
use crate::runtime::Socket;

/// The write side of a connection's wire: a socket's [`Wire`], or an in-memory one in
/// tests and benchmarks.
pub trait WireOut {
    /// Moves the session's output into the wrapper's batch and writes what the socket takes
    /// without waiting.
    fn pump_out(&mut self, session: &mut ServerSession) -> io::Result<()>;
    /// Bytes taken from the session but not written yet.
    fn unsent(&self) -> usize;
}

impl<S: Socket> WireOut for Wire<S> {
    fn pump_out(&mut self, session: &mut ServerSession) -> io::Result<()> {
        Wire::pump_out(self, session)
    }

    fn unsent(&self) -> usize {
        Wire::unsent(self)
    }
}

/// What the lock guards: the connection's logic and its wire.
#[derive(Debug)]
pub struct ConnState<W> {
    /// The connection's logic and session.
    pub core: ConnCore,
    /// Where its output goes.
    pub wire: W,
}

/// A connection's state, reachable from the fan-out; see the module docs.
#[derive(Debug)]
pub struct ConnCell<W> {
    state: Mutex<ConnState<W>>,
    /// `Shared::write_merge` is set: output is held for merged writes.
    merging: bool,
}

impl<W: WireOut + Send + 'static> ConnCell<W> {
    /// Wraps the state and registers the cell as the connection's direct delivery path.
    pub fn new(core: ConnCore, wire: W) -> Arc<Self> {
        let link = core.link().clone();
        let merging = !core.write_merge().is_zero();
        let cell = Arc::new(ConnCell {
            state: Mutex::new(ConnState { core, wire }),
            merging,
        });
        let weak = Arc::downgrade(&cell);
        let direct: Weak<dyn Deliver> = weak;
        link.set_direct(direct);
        cell
    }
}

impl<W> ConnCell<W> {
    /// The connection's state for one turn of its task.
    pub fn lock(&self) -> MutexGuard<'_, ConnState<W>> {
        // Every turn leaves the state consistent between calls; a panic in one (already
        // logged) must not make the connection's cleanup panic too.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a connection's task does after a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    /// Wait for the socket (readable; also writable when `write`), the deadline `at`,
    /// hook answers, the fan-out signal and shutdown; then run another turn.
    Wait {
        /// Output waits for the socket.
        write: bool,
        /// The next deadline.
        at: Option<Instant>,
    },
    /// The session closed: flush (`ConnCell::flush_step`) for at most this long, close
    /// the socket, end.
    Flush(Duration),
    /// Shutdown began in this turn: run another at once.
    Again,
}

impl<W: WireOut> ConnCell<W> {
    /// One turn of the connection's task, the same under every runtime: session events and
    /// player frames, hook futures handed to `spawn`, write what the socket takes; then
    /// what to wait for. `stop`: the server is shutting down (`stopping` records that the
    /// connection began to).
    pub fn turn(
        &self,
        now: Instant,
        stop: bool,
        stopping: &mut bool,
        mut spawn: impl FnMut(BoxFuture<()>),
    ) -> io::Result<Turn> {
        let mut state = self.lock();
        let ConnState { core, wire } = &mut *state;
        core.process(now, wire.unsent());
        for fut in core.take_spawns() {
            spawn(fut);
        }
        wire.pump_out(core.session())?;
        core.wrote(wire.unsent());
        Ok(if core.session().is_closed() {
            Turn::Flush(core.final_flush_limit())
        } else if stop && !*stopping {
            *stopping = true;
            core.begin_shutdown();
            Turn::Again
        } else {
            Turn::Wait {
                write: wire.unsent() > 0,
                at: core.next_deadline(),
            }
        })
    }

    /// One step of the final flush: writes what the socket takes; whether all is out (if
    /// not, the driver waits until the socket is writable and steps again).
    pub fn flush_step(&self) -> io::Result<bool> {
        let mut state = self.lock();
        let ConnState { core, wire } = &mut *state;
        wire.pump_out(core.session())?;
        Ok(wire.unsent() == 0)
    }

    /// After a wake-up: runs the session's timers when the driver's deadline `fired` or
    /// one is due anyway.
    pub fn check_timers(&self, now: Instant, fired: bool) {
        let mut state = self.lock();
        let session = state.core.session();
        if fired || session.poll_timeout().is_some_and(|t| t <= now) {
            session.handle_timeout(now);
        }
    }

    /// Writes what the session holds; whether everything went out.
    fn write(core: &mut ConnCore, wire: &mut W) -> bool {
        if wire.pump_out(core.session()).is_err() {
            // The task sees the same error on its next write and ends the connection.
            return false;
        }
        let unsent = wire.unsent();
        core.wrote(unsent);
        // Left-over output needs the task to wait for the socket.
        unsent == 0
    }
}

impl<W: WireOut + Send> Deliver for ConnCell<W> {
    fn offer(
        &self,
        now: Instant,
        stream: StreamId,
        frames: &[Frame],
        encodings: &mut Encodings,
    ) -> Option<u64> {
        let Ok(mut guard) = self.state.try_lock() else {
            return None;
        };
        let ConnState { core, wire } = &mut *guard;
        let sent = core.offer(now, stream, frames, encodings, wire.unsent());
        let done = if core.session().is_closed() {
            // Cut for lag or closing: the task ends the connection.
            false
        } else if self.merging && core.hold(now) {
            core.wrote(wire.unsent());
            true
        } else {
            Self::write(core, wire)
        };
        if !done {
            core.link().signal.raise();
        }
        Some(sent)
    }

    fn flush(&self) -> bool {
        let Ok(mut guard) = self.state.try_lock() else {
            return false;
        };
        let ConnState { core, wire } = &mut *guard;
        Self::write(core, wire)
    }

    fn take_stats(&self, into: &mut Vec<(StreamKey, PlayerStats)>) {
        if let Ok(mut guard) = self.state.try_lock() {
            guard.core.take_stats(into);
        }
    }
}
