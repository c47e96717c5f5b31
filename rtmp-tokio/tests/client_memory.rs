//! The shared `client_memory` suite (`rtmp-driver/adapter_tests/client_memory.rs`) on tokio.

extern crate rtmp_tokio as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/client_memory.rs"]
mod client_memory;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
