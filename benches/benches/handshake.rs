//! Criterion benchmark `handshake` (filled in with the codec).

fn main() {}
