//! The shared `client_reconnect` suite (`rtmp-driver/adapter_tests/client_reconnect.rs`) on tokio.

extern crate rtmp_tokio as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/client_reconnect.rs"]
mod client_reconnect;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
