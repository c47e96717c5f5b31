//! Wake-up primitives built on `std` alone, so one copy serves every runtime: a bounded
//! mailbox for hook answers, a collapsing wake-up signal for the fan-out, and the latest
//! status of a client shared with its handles.

mod mailbox;
mod signal;
mod status;

pub use mailbox::{Mailbox, MailboxSender};
pub use signal::Signal;
pub use status::{StatusCell, StatusWatch};
