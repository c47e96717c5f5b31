//! The shared `relay` suite (`rtmp-driver/adapter_tests/relay.rs`) on tokio.

extern crate rtmp_tokio as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
#[path = "../../rtmp-driver/adapter_tests/relay.rs"]
mod relay;
