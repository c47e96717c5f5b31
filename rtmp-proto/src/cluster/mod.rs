//! Relaying between servers, the policy half: where a stream is pushed to and pulled from
//! ([`Remote`]), and when an edge pulls a stream, from which origin, and when it stops
//! ([`Puller`]).
//!
//! A deployment outgrows one machine the way RTMP deployments do (nginx-rtmp's `push` and
//! `pull`, SRS's origin/edge cluster): publishers reach an origin; edges pull each stream
//! from the origin once, however many players they serve, and fan it out themselves; and
//! streams are pushed on to other servers or platforms. The driver dials (a resilient
//! client per push target, one client per pull); every decision about what to dial and
//! when is made here, on the caller's clock.

mod pull;
mod remote;

pub use pull::{PullAction, PullAttempt, PullConfig, PullPhase, PullView, Puller};
pub use remote::{Remote, RemoteError};
