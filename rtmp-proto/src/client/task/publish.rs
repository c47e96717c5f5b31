//! [`PublishTask`]: a resilient publisher's task, every step but the waits.

use std::io;
use std::time::Instant;

use crate::client::{
    DrivenLink, LinkStep, Outgoing, PublishLoop, RtmpUrl, Sent, Supervisor, Target,
};
use crate::session::{Media, Metadata};

/// What a publisher's adapter waits for next ([`PublishTask::plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPlan {
    /// Take frames from the queue: every link holds less than the `high_water` of
    /// [`PublishTask::new`] unsent.
    pub accept: bool,
    /// When to dial (no connection, none being dialed).
    pub dial_at: Option<Instant>,
    /// When the supervisor next checks the connection's health.
    pub healthy_at: Option<Instant>,
}

/// A resilient publisher's task: its connections, dials and decisions, and every step it
/// takes, shared by every adapter. The decisions themselves are [`PublishLoop`]'s.
///
/// An adapter's publisher task is this loop, where only the wait is its own:
///
/// ```text
/// loop {
///     task.settle(now, dial)            // links' events, writes, a handover dial
///     publish the status (task.publish_loop().status_update())
///     let Some(plan) = task.plan(closing) else { break };
///     wait for the first of: drive(task.current) -> on_current_driven(now, r)
///                            drive(task.incoming) -> on_incoming_driven(r)
///                            task.dialing         -> on_dialed(now, r)
///                            task.handover_dial   -> on_handover_dialed(r)
///                            plan.dial_at         -> on_dial_time(now, dial)
///                            plan.healthy_at      -> on_health_time(now)
///                            the queue, if plan.accept -> on_media / on_metadata / close
/// }
/// task.take_current() -> finish it (flush, close); task.stopped(now)
/// ```
///
/// Links (`L`: a connection on the adapter's socket, see [`DrivenLink`]) and dials in
/// progress (`D`: the adapter's future, or whatever it waits on) are opaque here; nothing
/// here awaits. The adapter polls `current`, `incoming`, `dialing` and `handover_dial`
/// itself, and reports what they gave through the `on_*` steps.
#[derive(Debug)]
pub struct PublishTask<L, D> {
    pl: PublishLoop,
    high_water: usize,
    /// The connection frames go to.
    pub current: Option<L>,
    /// The connection a reconnect request moves us to, while the handover runs.
    pub incoming: Option<L>,
    /// A dial of the next `current`.
    pub dialing: Option<D>,
    /// A dial of the handover connection.
    pub handover_dial: Option<D>,
}

impl<L: DrivenLink, D> PublishTask<L, D> {
    /// A publisher's task reconnecting as `sup` decides; nothing dialed yet.
    /// `high_water`: bytes a link may hold unsent before the queue stops being read.
    pub fn new(sup: Supervisor, high_water: usize) -> Self {
        PublishTask {
            pl: PublishLoop::new(sup),
            high_water,
            current: None,
            incoming: None,
            dialing: None,
            handover_dial: None,
        }
    }

    /// The event handling, the supervisor and the status.
    pub fn publish_loop(&mut self) -> &mut PublishLoop {
        &mut self.pl
    }

    /// Handles every event the links produced, starts a handover dial (with `dial`) when
    /// the server asks for one, and writes what the links queued. Call at the top of
    /// every turn of the loop, before [`plan`](Self::plan).
    pub fn settle(&mut self, now: Instant, dial: &mut impl FnMut(RtmpUrl) -> D) {
        while let Some(ev) = self.current.as_mut().and_then(|c| c.link().poll_event()) {
            let Some(url) = self.current.as_mut().map(|c| c.link().url().clone()) else {
                break;
            };
            let (current, incoming) = (&mut self.current, &mut self.incoming);
            let step = self
                .pl
                .on_current_event(now, &ev, &url, &mut |t, o| emit(t, o, current, incoming));
            match step {
                LinkStep::Lost => self.drop_links(),
                LinkStep::DialIncoming(to) => self.handover_dial = Some(dial(to)),
                _ => {}
            }
        }
        while let Some(ev) = self.incoming.as_mut().and_then(|c| c.link().poll_event()) {
            if self.pl.on_incoming_event(&ev) {
                self.incoming = None;
            }
        }
        if let Some(cur) = self.current.as_mut()
            && let Err(e) = cur.pump_out()
        {
            self.pl.on_current_io_error(now, &e);
            self.drop_links();
        }
        if let Some(inc) = self.incoming.as_mut()
            && inc.pump_out().is_err()
        {
            self.pl.on_incoming_failed();
            self.incoming = None;
        }
    }

    /// What to wait for next; `None`: the task is done (`closing`, or no connection and
    /// the supervisor gave up). Call after [`settle`](Self::settle); `closing`: the
    /// application asked to close (or dropped its handle).
    pub fn plan(&mut self, closing: bool) -> Option<WaitPlan> {
        let sup = self.pl.supervisor();
        let next_dial = sup.next_dial().map(|d| d.at);
        if closing || (self.current.is_none() && self.dialing.is_none() && next_dial.is_none()) {
            return None;
        }
        let healthy_at = sup.healthy_deadline();
        let accept = [&self.current, &self.incoming]
            .into_iter()
            .flatten()
            .all(|l| l.pending() < self.high_water);
        let dial_at = match (&self.current, &self.dialing) {
            (None, None) => next_dial,
            _ => None,
        };
        Some(WaitPlan {
            accept,
            dial_at,
            healthy_at,
        })
    }

    /// Call when a socket step of the current connection ended (it read, wrote or met a
    /// deadline); an error drops the connection.
    pub fn on_current_driven(&mut self, now: Instant, r: io::Result<()>) {
        if let Err(e) = r {
            self.pl.on_current_io_error(now, &e);
            self.drop_links();
        }
    }

    /// Call when a socket step of the handover connection ended; an error drops it and
    /// media stays on the current one.
    pub fn on_incoming_driven(&mut self, r: io::Result<()>) {
        if r.is_err() {
            self.pl.on_incoming_failed();
            self.incoming = None;
        }
    }

    /// Call when the dial of the next current connection ([`dialing`](Self::dialing))
    /// ended: its link, or why it failed.
    pub fn on_dialed(&mut self, now: Instant, r: io::Result<L>) {
        self.dialing = None;
        match r {
            Ok(link) => {
                self.pl.supervisor().on_tcp_connected(now);
                self.current = Some(link);
            }
            Err(e) => {
                tracing::debug!(error = %e, "dial failed");
                self.pl.supervisor().on_dial_error(now, &e);
            }
        }
    }

    /// Call when the dial of the handover connection
    /// ([`handover_dial`](Self::handover_dial)) ended.
    pub fn on_handover_dialed(&mut self, r: io::Result<L>) {
        self.handover_dial = None;
        match r {
            Ok(link) => self.incoming = Some(link),
            Err(e) => {
                tracing::info!(error = %e, "reconnect-request dial failed");
                self.pl.on_incoming_failed();
            }
        }
    }

    /// Call when [`WaitPlan::dial_at`] came: starts `dial` to the URL the supervisor
    /// picks, kept in [`dialing`](Self::dialing).
    pub fn on_dial_time(&mut self, now: Instant, dial: impl FnOnce(RtmpUrl) -> D) {
        let url = self.pl.supervisor().dialing(now);
        tracing::debug!(url = %url, "dialing");
        self.dialing = Some(dial(url));
    }

    /// Call when [`WaitPlan::healthy_at`] came.
    pub fn on_health_time(&mut self, now: Instant) {
        self.pl.supervisor().tick(now);
    }

    /// Call with a frame the application queued (only while [`WaitPlan::accept`]). When
    /// it completed a handover, returns the old connection: the adapter finishes it
    /// (flush, close) in the background.
    #[must_use]
    pub fn on_media(&mut self, now: Instant, m: Media) -> Option<L> {
        let (current, incoming) = (&mut self.current, &mut self.incoming);
        let sent = self
            .pl
            .core()
            .on_media(m, &mut |t, o| emit(t, o, current, incoming));
        if sent != Sent::Switched {
            return None;
        }
        let mut new = self.incoming.take()?;
        let url = new.link().url().clone();
        let old = self.current.replace(new);
        self.pl.on_switched(now, url);
        old
    }

    /// Call with metadata the application queued (only while [`WaitPlan::accept`]).
    pub fn on_metadata(&mut self, v: Metadata) {
        let (current, incoming) = (&mut self.current, &mut self.incoming);
        self.pl
            .core()
            .on_metadata(v, &mut |t, o| emit(t, o, current, incoming));
    }

    /// The connection to finish (flush, close) when the loop is done: call after
    /// [`plan`](Self::plan) returned `None`.
    pub fn take_current(&mut self) -> Option<L> {
        self.current.take()
    }

    /// Call when the loop is done and its connection finished: the supervisor stops.
    pub fn stopped(&mut self, now: Instant) {
        self.pl.supervisor().stop(now);
    }

    fn drop_links(&mut self) {
        self.current = None;
        self.incoming = None;
        self.handover_dial = None;
    }
}

/// Applies one send decision of the core to the connection it names.
fn emit<L: DrivenLink>(t: Target, o: Outgoing, current: &mut Option<L>, incoming: &mut Option<L>) {
    let link = match t {
        Target::Incoming => incoming.as_mut(),
        _ => current.as_mut(),
    };
    let Some(link) = link else { return };
    let r = match o {
        Outgoing::Media(m) => link.link().send_media(m),
        Outgoing::Metadata(v) => link.link().send_metadata(&v),
    };
    if let Err(e) = r {
        tracing::debug!(error = %e, "frame not sent");
    }
}
