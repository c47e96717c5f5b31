//! The shared `client_failover` suite (`rtmp-driver/adapter_tests/client_failover.rs`) on tokio.

extern crate rtmp_tokio as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/client_failover.rs"]
mod client_failover;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
