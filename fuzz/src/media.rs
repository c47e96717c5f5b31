//! Fuzz body for the `media` target (filled in with the media codec).

/// Feeds arbitrary bytes to the decoder; must never panic.
pub fn run(_data: &[u8]) {}
