//! Per-connection seeds for the handshake filler PRNG, taken from the OS.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

/// A seed that differs per call and per process: `RandomState` keys come from the OS
/// random source, and a counter separates connections within the process.
pub fn connection_seed() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish()
}
