//! The shared `idle_memory` suite (`rtmp-driver/adapter_tests/idle_memory.rs`) on smol.
// The suite's counting allocator is unsafe code, and it prints what it measured.
#![allow(unsafe_code, clippy::print_stdout)]

extern crate rtmp_smol as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
#[path = "../../rtmp-driver/adapter_tests/idle_memory.rs"]
mod idle_memory;
