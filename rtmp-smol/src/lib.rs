//! rtmp-smol adapter for rtmp-proto (in progress).
#![forbid(unsafe_code)]

pub use rtmp_proto as proto;
