//! Fuzz body for the `chunk` target (filled in with the chunk codec).

/// Feeds arbitrary bytes to the decoder; must never panic.
pub fn run(_data: &[u8]) {}
