//! The player task's state and every step it takes, shared by both adapters.
//!
//! An adapter's player task is this loop, where only the waits are its own:
//!
//! ```text
//! loop {
//!     while let Some(e) = task.next_event(now) { send e to the application (may wait) }
//!     if let Some(e) = task.pump_out(now) { send e }
//!     publish the status (task.play_loop().status_update())
//!     let Some(plan) = task.plan() else { break };
//!     wait for the first of: drive(task.current) -> on_current_driven (an event to send)
//!                            task.dialing         -> on_dialed
//!                            plan.dial_at         -> on_dial_time(dial)
//!                            plan.healthy_at      -> on_health_time
//!                            stop, or the application gone -> break
//! }
//! task.take_current() -> finish it (close); task.stopped(now)
//! ```
//!
//! The decisions are [`PlayLoop`]'s; links (`L`) and dials (`D`) are the adapter's types.

use std::io;
use std::time::Instant;

use rtmp_proto::client::{RtmpUrl, Supervisor};

use super::link::DrivenLink;
use rtmp_proto::client::{PlayLoop, PlayStep, PlayerEvent};

/// What the adapter waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayWait {
    /// When to dial (no connection, none being dialed).
    pub dial_at: Option<Instant>,
    /// When the supervisor next checks the connection's health.
    pub healthy_at: Option<Instant>,
}

/// The player task's connection, dial and decisions; see the module docs.
#[derive(Debug)]
pub struct PlayTask<L, D> {
    pl: PlayLoop,
    /// The connection being played from.
    pub current: Option<L>,
    /// A dial of the next connection.
    pub dialing: Option<D>,
}

impl<L: DrivenLink, D> PlayTask<L, D> {
    pub fn new(sup: Supervisor) -> Self {
        PlayTask {
            pl: PlayLoop::new(sup),
            current: None,
            dialing: None,
        }
    }

    pub fn play_loop(&mut self) -> &mut PlayLoop {
        &mut self.pl
    }

    /// The next event for the application from what the connection received; `None`
    /// when there is none left. A lost connection is dropped here (its `Interrupted`
    /// event is returned).
    pub fn next_event(&mut self, now: Instant) -> Option<PlayerEvent> {
        loop {
            let cur = self.current.as_mut()?;
            let ev = cur.link().poll_event()?;
            let url = cur.link().url().clone();
            match self.pl.on_event(now, ev, &url) {
                PlayStep::Deliver(e) => return Some(e),
                PlayStep::Lost(e) => {
                    self.current = None;
                    return Some(e);
                }
                _ => {}
            }
        }
    }

    /// Writes what the connection queued; a write error drops it and gives the event
    /// the application gets.
    pub fn pump_out(&mut self, now: Instant) -> Option<PlayerEvent> {
        let e = self.current.as_mut()?.pump_out().err()?;
        self.current = None;
        Some(self.pl.on_io_error(now, &e))
    }

    /// What to wait for next; `None`: no connection and the supervisor gave up.
    pub fn plan(&mut self) -> Option<PlayWait> {
        let sup = self.pl.supervisor();
        let next_dial = sup.next_dial().map(|d| d.at);
        if self.current.is_none() && self.dialing.is_none() && next_dial.is_none() {
            return None;
        }
        let dial_at = match (&self.current, &self.dialing) {
            (None, None) => next_dial,
            _ => None,
        };
        Some(PlayWait {
            dial_at,
            healthy_at: sup.healthy_deadline(),
        })
    }

    /// The connection's socket step ended; an error drops it and gives the event the
    /// application gets.
    pub fn on_current_driven(&mut self, r: io::Result<()>) -> Option<PlayerEvent> {
        let e = r.err()?;
        self.current = None;
        Some(self.pl.on_io_error(Instant::now(), &e))
    }

    /// The dial ended.
    pub fn on_dialed(&mut self, r: io::Result<L>) {
        self.dialing = None;
        match r {
            Ok(link) => {
                self.pl.supervisor().on_tcp_connected(Instant::now());
                self.current = Some(link);
            }
            Err(e) => self.pl.supervisor().on_dial_error(Instant::now(), &e),
        }
    }

    /// [`PlayWait::dial_at`] came: dial the URL the supervisor picks.
    pub fn on_dial_time(&mut self, dial: impl FnOnce(RtmpUrl) -> D) {
        let url = self.pl.supervisor().dialing(Instant::now());
        self.dialing = Some(dial(url));
    }

    /// [`PlayWait::healthy_at`] came.
    pub fn on_health_time(&mut self) {
        self.pl.supervisor().tick(Instant::now());
    }

    /// The connection to finish (close) when the loop is done.
    pub fn take_current(&mut self) -> Option<L> {
        self.current.take()
    }

    /// The loop is done and its connection finished.
    pub fn stopped(&mut self, now: Instant) {
        self.pl.supervisor().stop(now);
    }
}
