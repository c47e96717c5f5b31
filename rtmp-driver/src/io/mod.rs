//! Moving a session's bytes over a runtime's socket: the read buffer, the outbound batch,
//! the wire that joins them to a socket, the re-armable deadline, and TLS under the
//! session (feature `tls`).

mod batch;
mod deadline;
mod read_buffer;
#[cfg(feature = "tls")]
pub mod tls;
pub(crate) mod wire;

pub use batch::{MAX_IOV, TxBatch};
pub use deadline::Deadline;
pub use read_buffer::ReadBuffer;
pub use wire::{ReadOutcome, Readiness, Wire};
