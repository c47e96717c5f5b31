//! Fuzz body for the `amf3` target (filled in with the amf3 codec).

/// Feeds arbitrary bytes to the decoder; must never panic.
pub fn run(_data: &[u8]) {}
