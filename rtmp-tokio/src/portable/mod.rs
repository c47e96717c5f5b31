//! Runtime-agnostic pieces of the drivers: nothing here names tokio, so the smol adapter
//! can share them unchanged (only `std`, `bytes` and `rtmp-proto`).

pub mod batch;
pub mod mailbox;
pub mod record;
pub mod seed;
pub mod session_io;
pub mod signal;

pub use batch::{MAX_IOV, TxBatch};
pub use mailbox::{Mailbox, MailboxSender};
pub use record::Recorder;
pub use session_io::SessionIo;
pub use signal::Signal;
