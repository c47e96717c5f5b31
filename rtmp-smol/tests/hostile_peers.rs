//! The shared `hostile_peers` suite (`rtmp-driver/adapter_tests/hostile_peers.rs`) on smol.

extern crate rtmp_smol as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
#[path = "../../rtmp-driver/adapter_tests/hostile.rs"]
mod hostile;
#[path = "../../rtmp-driver/adapter_tests/hostile_peers.rs"]
mod hostile_peers;
