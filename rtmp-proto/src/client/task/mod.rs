//! The tasks of a resilient publisher and player: [`PublishTask`] and [`PlayTask`] hold
//! the links and dials and take every step but the waits, so an adapter's task only
//! waits on sockets, timers and its queue, and reports what woke it.

mod play;
mod publish;

pub use play::{PlayTask, PlayWait};
pub use publish::{PublishTask, WaitPlan};
