//! The status side of a publisher's or player's handle: the latest [`ClientStatus`], a
//! receiver of its changes, and waiting for a condition on it.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rtmp_proto::client::{ClientError, ClientStatus, ConnectionState};

use crate::runtime::{Runtime, sleep_until};
use crate::sync::{StatusCell, StatusWatch};

/// How often [`Watched::wait_until`] looks at counters.
const COUNTER_POLL: Duration = Duration::from_millis(50);

/// A task's status, as its handle sees it.
#[derive(Debug)]
pub(crate) struct Watched<R> {
    rt: R,
    cell: Arc<StatusCell>,
}

impl<R: Runtime> Watched<R> {
    pub(crate) fn new(rt: R, cell: Arc<StatusCell>) -> Self {
        Watched { rt, cell }
    }

    pub(crate) fn runtime(&self) -> &R {
        &self.rt
    }

    pub(crate) fn status(&self) -> ClientStatus {
        self.cell.get()
    }

    pub(crate) fn state(&self) -> ConnectionState {
        self.cell.with(|s, _| s.state)
    }

    pub(crate) fn subscribe(&self) -> StatusWatch {
        StatusWatch::new(self.cell.clone())
    }

    /// The error a finished task reports.
    pub(crate) fn ended(&self) -> ClientError {
        self.cell.with(|s, _| ended(s))
    }

    /// Waits until `pred` holds for the status; fails when the task finishes first. State
    /// changes wake it at once; counters (which change with every frame and do not notify)
    /// are looked at every 50 ms.
    pub(crate) async fn wait_until(
        &self,
        mut pred: impl FnMut(&ClientStatus) -> bool,
    ) -> Result<ClientStatus, ClientError> {
        loop {
            let (done, seen) = self.cell.with(|s, v| {
                let done = if pred(s) {
                    Some(Ok(s.clone()))
                } else if s.finished {
                    Some(Err(ended(s)))
                } else {
                    None
                };
                (done, v)
            });
            if let Some(r) = done {
                return r;
            }
            let mut changed = pin!(self.cell.changed_since(seen));
            let mut tick = pin!(sleep_until(&self.rt, self.rt.now() + COUNTER_POLL));
            poll_fn(|cx| {
                if changed.as_mut().poll(cx).is_ready() || tick.as_mut().poll(cx).is_ready() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
        }
    }
}

/// The error a finished publisher or player reports.
fn ended(s: &ClientStatus) -> ClientError {
    if s.gave_up {
        ClientError::GaveUp(s.last_failure.clone())
    } else {
        ClientError::Closed
    }
}
