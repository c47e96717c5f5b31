//! The shared `hostile_servers` suite (`rtmp-driver/adapter_tests/hostile_servers.rs`) on tokio.

extern crate rtmp_tokio as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
#[path = "../../rtmp-driver/adapter_tests/hostile.rs"]
mod hostile;
#[path = "../../rtmp-driver/adapter_tests/hostile_servers.rs"]
mod hostile_servers;
