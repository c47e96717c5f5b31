//! Criterion benchmark `amf` (filled in with the codec).

fn main() {}
