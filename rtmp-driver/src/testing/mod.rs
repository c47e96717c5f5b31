//! Fixtures for tests and benchmarks of the fan-out (feature `testing`): a player whose
//! connection runs in memory.

pub mod mem_player;
