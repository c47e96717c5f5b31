//! The shared `zero_copy` suite (`rtmp-driver/adapter_tests/zero_copy.rs`) on tokio.

extern crate rtmp_tokio as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
#[path = "../../rtmp-driver/adapter_tests/zero_copy.rs"]
mod zero_copy;
