//! The shared `client_play_flv` suite (`rtmp-driver/adapter_tests/client_play_flv.rs`) on smol.

extern crate rtmp_smol as adapter;

#[macro_use]
mod rt;
#[path = "../../rtmp-driver/adapter_tests/client_play_flv.rs"]
mod client_play_flv;
#[path = "../../rtmp-driver/adapter_tests/common.rs"]
mod common;
