//! [`PlayTask`]: a resilient player's task, every step but the waits.

use std::io;
use std::time::Instant;

use crate::client::{DrivenLink, PlayLoop, PlayStep, PlayerEvent, RtmpUrl, Supervisor};

/// What a player's adapter waits for next ([`PlayTask::plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayWait {
    /// When to dial (no connection, none being dialed).
    pub dial_at: Option<Instant>,
    /// When the supervisor next checks the connection's health.
    pub healthy_at: Option<Instant>,
}

/// A resilient player's task: its connection, dial and decisions, and every step it takes,
/// shared by every adapter. The decisions themselves are [`PlayLoop`]'s.
///
/// An adapter's player task is this loop, where only the waits are its own:
///
/// ```text
/// loop {
///     while let Some(e) = task.next_event(now) { send e to the application (may wait) }
///     if let Some(e) = task.pump_out(now) { send e }
///     publish the status (task.play_loop().status_update())
///     let Some(plan) = task.plan() else { break };
///     wait for the first of: drive(task.current) -> on_current_driven(now, r) (an event to send)
///                            task.dialing         -> on_dialed(now, r)
///                            plan.dial_at         -> on_dial_time(now, dial)
///                            plan.healthy_at      -> on_health_time(now)
///                            stop, or the application gone -> break
/// }
/// task.take_current() -> finish it (close); task.stopped(now)
/// ```
///
/// Links (`L`, see [`DrivenLink`]) and dials (`D`) are the adapter's types; nothing here
/// awaits.
#[derive(Debug)]
pub struct PlayTask<L, D> {
    pl: PlayLoop,
    /// The connection being played from.
    pub current: Option<L>,
    /// A dial of the next connection.
    pub dialing: Option<D>,
}

impl<L: DrivenLink, D> PlayTask<L, D> {
    /// A player's task reconnecting as `sup` decides; nothing dialed yet.
    pub fn new(sup: Supervisor) -> Self {
        PlayTask {
            pl: PlayLoop::new(sup),
            current: None,
            dialing: None,
        }
    }

    /// The event handling, the supervisor and the status.
    pub fn play_loop(&mut self) -> &mut PlayLoop {
        &mut self.pl
    }

    /// The next event for the application from what the connection received; `None`
    /// when there is none left. A lost connection is dropped here (its `Interrupted`
    /// event is returned). Drain it at the top of every turn of the loop.
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
    /// the application gets. Call after draining [`next_event`](Self::next_event).
    pub fn pump_out(&mut self, now: Instant) -> Option<PlayerEvent> {
        let e = self.current.as_mut()?.pump_out().err()?;
        self.current = None;
        Some(self.pl.on_io_error(now, &e))
    }

    /// What to wait for next; `None`: no connection and the supervisor gave up (or was
    /// stopped). Call after [`pump_out`](Self::pump_out).
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

    /// Call when a socket step of the connection ended (it read, wrote or met a
    /// deadline); an error drops the connection and gives the event the application gets.
    pub fn on_current_driven(&mut self, now: Instant, r: io::Result<()>) -> Option<PlayerEvent> {
        let e = r.err()?;
        self.current = None;
        Some(self.pl.on_io_error(now, &e))
    }

    /// Call when the dial ([`dialing`](Self::dialing)) ended: its link, or why it failed.
    pub fn on_dialed(&mut self, now: Instant, r: io::Result<L>) {
        self.dialing = None;
        match r {
            Ok(link) => {
                self.pl.supervisor().on_tcp_connected(now);
                self.current = Some(link);
            }
            Err(e) => self.pl.supervisor().on_dial_error(now, &e),
        }
    }

    /// Call when [`PlayWait::dial_at`] came: starts `dial` to the URL the supervisor
    /// picks, kept in [`dialing`](Self::dialing).
    pub fn on_dial_time(&mut self, now: Instant, dial: impl FnOnce(RtmpUrl) -> D) {
        let url = self.pl.supervisor().dialing(now);
        self.dialing = Some(dial(url));
    }

    /// Call when [`PlayWait::healthy_at`] came.
    pub fn on_health_time(&mut self, now: Instant) {
        self.pl.supervisor().tick(now);
    }

    /// The connection to finish (close) when the loop is done: call after
    /// [`plan`](Self::plan) returned `None` or the loop stopped.
    pub fn take_current(&mut self) -> Option<L> {
        self.current.take()
    }

    /// Call when the loop is done and its connection finished: the supervisor stops.
    pub fn stopped(&mut self, now: Instant) {
        self.pl.supervisor().stop(now);
    }
}
