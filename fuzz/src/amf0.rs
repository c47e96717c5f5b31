//! Fuzz body for the `amf0` target (filled in with the amf0 codec).

/// Feeds arbitrary bytes to the decoder; must never panic.
pub fn run(_data: &[u8]) {}
