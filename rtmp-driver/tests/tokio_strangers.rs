//! The `strangers` suite on tokio, in a test binary of its own: it measures the peak heap
//! with a global allocator of its own.
// The suite's counting allocator is unsafe code, and it prints what it measured.
#![allow(unsafe_code, clippy::print_stdout)]

extern crate rtmp_tokio as adapter;

#[macro_use]
#[path = "suite/rt_tokio.rs"]
mod rt;
#[path = "suite/common.rs"]
mod common;
#[path = "suite/hostile.rs"]
mod hostile;
#[path = "suite/strangers.rs"]
mod strangers;
