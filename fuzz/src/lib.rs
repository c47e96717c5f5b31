//! Fuzz harness bodies, shared by the cargo-fuzz targets in `fuzz_targets/` and by
//! `tests/corpus.rs`, which replays the committed corpus on the stable toolchain.
pub mod amf0;
pub mod amf3;
pub mod chunk;
pub mod handshake;
pub mod media;
pub mod url;
