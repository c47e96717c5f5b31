//! The shared `client_handover` suite (`rtmp-driver/adapter_tests/client_handover.rs`) on smol.

extern crate rtmp_smol as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/client_handover.rs"]
mod client_handover;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
