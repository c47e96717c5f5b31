//! Fuzz harness bodies, shared by the cargo-fuzz targets in `fuzz_targets/` and by
//! `tests/corpus.rs`, which replays the committed corpus on the stable toolchain.
pub mod amf0;
pub mod amf3;
pub mod chunk;
pub mod client_bytes;
pub mod fanout;
pub mod frame_spec;
pub mod handshake;
pub mod media;
pub mod relay;
pub mod server_bytes;
pub mod session_check;
pub mod session_ops;
pub mod tls_server;
pub mod url;
