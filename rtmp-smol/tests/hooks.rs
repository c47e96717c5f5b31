//! The shared `hooks` suite (`rtmp-driver/adapter_tests/hooks.rs`) on smol.

extern crate rtmp_smol as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
#[path = "../../rtmp-driver/adapter_tests/hooks.rs"]
mod hooks;
