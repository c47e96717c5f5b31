//! Runtime-agnostic pieces of the drivers: nothing here names tokio (outside tests), so the
//! smol adapter can share them unchanged (only `std`, `bytes`, `tracing` and `rtmp-proto`).
//!
//! What stays runtime-specific is small: the socket wrapper (readiness, `try_read`,
//! `try_write_vectored`), the accept loop, spawning tasks, timers and the shutdown
//! broadcast. The connection's logic (`conn_core`), the fan-out (`hub`), the hooks, the
//! outbound batch, the wake-up primitives and the recorder are all here.

pub mod batch;
pub(crate) mod conn_core;
pub mod hooks;
pub(crate) mod hub;
pub mod mailbox;
pub mod record;
pub mod seed;
pub mod session_io;
pub(crate) mod shared;
pub mod signal;

pub use batch::{MAX_IOV, TxBatch};
pub use mailbox::{Mailbox, MailboxSender};
pub use record::Recorder;
pub use session_io::SessionIo;
pub use signal::Signal;
