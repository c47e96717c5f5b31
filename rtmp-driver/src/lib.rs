//! The runtime-agnostic half of the RTMP adapters, shared by `rtmp-tokio` and `rtmp-smol`:
//! nothing here names an async runtime (outside tests), only `std`, `bytes`, `tracing` and
//! `rtmp-proto`. It is its own crate so both adapters use one copy of this code.
//!
//! What stays runtime-specific is small: the socket wrapper (readiness, `try_read`,
//! `try_write_vectored`), the accept loop, spawning tasks, timers and the shutdown
//! broadcast. The connection's logic (`conn_core`), its state shared with the fan-out so a
//! publisher's task can write to players directly (`conn_cell`), the fan-out (`hub`), the
//! hooks, the outbound batch, the wake-up primitives and the recorder are all here.
#![forbid(unsafe_code)]

pub mod batch;
pub mod conn_cell;
pub mod conn_core;
pub mod hooks;
pub mod hub;
pub mod mailbox;
pub mod mem_player;
pub mod read_buffer;
pub mod record;
pub mod seed;
pub mod server_builder;
pub mod session_io;
pub mod shared;
pub mod signal;

pub use batch::{MAX_IOV, TxBatch};
pub use mailbox::{Mailbox, MailboxSender};
pub use read_buffer::ReadBuffer;
pub use record::Recorder;
pub use session_io::SessionIo;
pub use signal::Signal;

pub mod client_builder;
pub mod client_link;
pub mod client_loop;
pub mod client_status;
pub mod flv_file;
pub mod flv_pacer;
pub mod flv_source;
pub mod play_task;
pub mod publish_task;
pub mod publisher;
pub mod supervisor;
