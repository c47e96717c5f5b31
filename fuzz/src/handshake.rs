//! Fuzz body for the `handshake` target (filled in with the handshake codec).

/// Feeds arbitrary bytes to the decoder; must never panic.
pub fn run(_data: &[u8]) {}
