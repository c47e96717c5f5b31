//! The shared `client_backpressure` suite (`rtmp-driver/adapter_tests/client_backpressure.rs`) on tokio.

extern crate rtmp_tokio as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/client_backpressure.rs"]
mod client_backpressure;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
