//! The shared `limits` suite (`rtmp-driver/adapter_tests/limits.rs`) on tokio.

extern crate rtmp_tokio as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
#[path = "../../rtmp-driver/adapter_tests/limits.rs"]
mod limits;
