//! The publisher task's state and every step it takes, shared by both adapters.
//!
//! An adapter's publisher task is this loop, where only the wait is its own:
//!
//! ```text
//! loop {
//!     task.settle(now, dial)            // links' events, writes, a handover dial
//!     publish the status (task.publish_loop().status_update())
//!     let Some(plan) = task.plan(closing) else { break };
//!     wait for the first of: drive(task.current) -> on_current_driven
//!                            drive(task.incoming) -> on_incoming_driven
//!                            task.dialing         -> on_dialed
//!                            task.handover_dial   -> on_handover_dialed
//!                            plan.dial_at         -> on_dial_time(dial)
//!                            plan.healthy_at      -> on_health_time
//!                            the queue, if plan.accept -> on_media / on_metadata / close
//! }
//! task.take_current() -> finish it (flush, close); task.stopped(now)
//! ```
//!
//! Links (`L`: a connection on the adapter's socket) and dials in progress (`D`: the
//! adapter's future) are opaque here; this file never awaits. The decisions themselves are
//! [`PublishLoop`]'s.

use std::io;
use std::time::Instant;

use rtmp_proto::amf::Value;
use rtmp_proto::client::{Outgoing, RtmpUrl, Sent, Supervisor, Target};
use rtmp_proto::session::Media;

use super::link::DrivenLink;
use rtmp_proto::client::{LinkStep, PublishLoop};

/// What the adapter waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPlan {
    /// Take frames from the queue: every link is under the builder's high-water mark.
    pub accept: bool,
    /// When to dial (no connection, none being dialed).
    pub dial_at: Option<Instant>,
    /// When the supervisor next checks the connection's health.
    pub healthy_at: Option<Instant>,
}

/// The publisher task's connections, dials and decisions; see the module docs.
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

    pub fn publish_loop(&mut self) -> &mut PublishLoop {
        &mut self.pl
    }

    /// Handles every event the links produced, starts a handover dial when the server
    /// asks for one, and writes what the links queued.
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
    /// the supervisor gave up).
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

    /// The current connection's socket step ended.
    pub fn on_current_driven(&mut self, r: io::Result<()>) {
        if let Err(e) = r {
            self.pl.on_current_io_error(Instant::now(), &e);
            self.drop_links();
        }
    }

    /// The handover connection's socket step ended.
    pub fn on_incoming_driven(&mut self, r: io::Result<()>) {
        if r.is_err() {
            self.pl.on_incoming_failed();
            self.incoming = None;
        }
    }

    /// The dial of the next current connection ended.
    pub fn on_dialed(&mut self, r: io::Result<L>) {
        self.dialing = None;
        match r {
            Ok(link) => {
                self.pl.supervisor().on_tcp_connected(Instant::now());
                self.current = Some(link);
            }
            Err(e) => {
                tracing::debug!(error = %e, "dial failed");
                self.pl.supervisor().on_dial_error(Instant::now(), &e);
            }
        }
    }

    /// The dial of the handover connection ended.
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

    /// [`WaitPlan::dial_at`] came: dial the URL the supervisor picks.
    pub fn on_dial_time(&mut self, dial: impl FnOnce(RtmpUrl) -> D) {
        let url = self.pl.supervisor().dialing(Instant::now());
        tracing::debug!(url = %url, "dialing");
        self.dialing = Some(dial(url));
    }

    /// [`WaitPlan::healthy_at`] came.
    pub fn on_health_time(&mut self) {
        self.pl.supervisor().tick(Instant::now());
    }

    /// A frame from the queue. When it completed a handover, returns the old connection:
    /// the adapter finishes it (flush, close) in the background.
    #[must_use]
    pub fn on_media(&mut self, m: Media) -> Option<L> {
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
        self.pl.on_switched(Instant::now(), url);
        old
    }

    /// Metadata from the queue.
    pub fn on_metadata(&mut self, v: Value) {
        let (current, incoming) = (&mut self.current, &mut self.incoming);
        self.pl
            .core()
            .on_metadata(v, &mut |t, o| emit(t, o, current, incoming));
    }

    /// The connection to finish (flush, close) when the loop is done.
    pub fn take_current(&mut self) -> Option<L> {
        self.current.take()
    }

    /// The loop is done and its connection finished.
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
        _ => return,
    };
    if let Err(e) = r {
        tracing::debug!(error = %e, "frame not sent");
    }
}
