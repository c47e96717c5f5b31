//! Criterion benchmark `chunk` (filled in with the codec).

fn main() {}
