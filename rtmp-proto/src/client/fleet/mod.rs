//! A camera fleet's policy, sans-IO: which (camera, stream) sessions exist, the failover
//! list of each (from a URL template with fallback templates, or a static list), the
//! configuration and its validation, the codec each stream sends after a (re)connect, and
//! what a snapshot of a session shows. The adapter's fleet (`rtmp-driver`'s
//! `client::Fleet`) runs one resilient publisher per session with these decisions.
//!
//! - [`StreamKey`]: a session's name, `(camera, stream)`.
//! - [`StreamSpec`]: a validated session: its key, failover list and codec preference.
//! - [`FleetConfig`]: the configuration model (the JSON parse lives in the driver, so this
//!   crate needs no serde) and [`FleetConfig::streams`], its validation into specs, with
//!   a [`FleetConfigError`] naming the camera and stream at fault.
//! - [`CodecPreference`] and [`CodecSelector`]: H.264, HEVC, or HEVC when the server's
//!   E-RTMP answer supports it, decided after each connect, applied at a keyframe.
//! - [`RateMeter`] and [`SessionSnapshot`]: bitrate over a window of the virtual clock,
//!   and one session's figures as a status table shows them.
//! - [`FleetEvent`]: a session added, removed, or changing state.

mod codec;
mod config;
mod error;
mod event;
mod meter;
mod snapshot;
mod spec;

pub use codec::{CodecPreference, CodecSelector, StreamCodec};
pub use config::{CameraConfig, FleetConfig, StreamConfig};
pub use error::{ConfigProblem, FleetConfigError};
pub use event::FleetEvent;
pub use meter::RateMeter;
pub use snapshot::SessionSnapshot;
pub use spec::{StreamKey, StreamSpec, TEMPLATE_VARIABLES};
