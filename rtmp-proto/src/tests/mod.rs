//! In-crate scenario tests: a client and a server session driven against each other.

mod pair;
mod scenarios;
