//! Client resilience, sans-IO: URLs, reconnect policy, failover, an observable connection
//! state machine, the reconnect-request handover, and the decisions of a whole resilient
//! publisher and player built from them.
//!
//! Everything here decides; nothing here waits or dials. Time comes in as `Instant`
//! arguments and randomness (backoff jitter, handshake filler) from seeds the caller
//! gives, so a whole reconnect history replays identically on a virtual clock. The
//! adapters sleep until the instants they are given and dial the URLs they are told.
//!
//! The pieces:
//! - [`RtmpUrl`]: `rtmp[s]://host[:port]/app[/instance]/stream[?query]`, split into app
//!   and stream like ffmpeg, or built from an OBS server URL and stream key; `tc_url()`,
//!   `socket_addr_string()`, `connect_params()`.
//! - [`UrlTemplate`]: `rtmp://server/live/cam{camera_id}` expanded from named variables.
//! - [`ReconnectPolicy`], [`Failover`] and [`Reconnector`]: when to try next and which URL.
//! - [`StateMachine`]: `Disconnected → Connecting → Handshaking → Connected →
//!   Publishing/Playing → Reconnecting`, each [`Transition`] with its reason.
//! - [`Handover`]: move to a new connection at a keyframe when the server sends
//!   `NetConnection.Connect.ReconnectRequest`.
//!
//! Packaged from them, so an adapter writes no recipe of its own:
//! - [`Supervisor`]: the reconnect loop. A [`Reconnector`] and a [`StateMachine`] fed in
//!   the right order, plus redirects and auto-reconnect: ask it when and where to dial,
//!   dial, report what happened.
//! - [`ClientLink`]: a [`ClientSession`](crate::session::ClientSession) with a job
//!   (connect, then publish or play the URL's stream).
//! - [`PublisherCore`]: what a publisher remembers and resends after a reconnect, and
//!   where each frame goes during a handover.
//! - [`PublishLoop`] and [`PlayLoop`]: what each session event means for the supervisor,
//!   the core and the application ([`PlayerEvent`], [`ClientStatus`]).
//! - [`PublishTask`] and [`PlayTask`]: a whole publisher or player task, every step but
//!   the waits, over the adapter's links ([`DrivenLink`]) and dials. An adapter's task
//!   polls its sockets, timers and queue and reports what woke it; `rtmp-driver` is such
//!   an adapter.
//! - [`FlvPacer`]: when each tag of an FLV file is due, for publishing a file in real time.
//!
//! For a camera fleet (many `(camera, stream)` publishers, see `fleet/`): [`StreamSpec`]
//! and [`FleetConfig`] (templates with fallbacks or static lists, validated with the
//! camera and stream named), [`CodecPreference`] (HEVC if the server's E-RTMP answer takes
//! it, else H.264), [`SessionSnapshot`] and [`FleetEvent`].

mod backoff;
mod error;
mod failover;
mod failure;
mod fleet;
mod handover;
mod link;
mod loops;
mod pacer;
mod reconnector;
mod resend;
mod state;
mod status;
mod supervisor;
mod task;
mod template;
mod url;

pub use backoff::ReconnectPolicy;
pub use error::{IllegalTransition, PolicyError, TemplateError, UrlError};
pub use failover::Failover;
pub use failure::{FailureReason, PermanentFailure};
pub use fleet::{
    CameraConfig, CodecPreference, CodecSelector, ConfigProblem, FleetConfig, FleetConfigError,
    FleetEvent, RateMeter, SessionSnapshot, StreamCodec, StreamConfig, StreamKey, StreamSpec,
    TEMPLATE_VARIABLES,
};
pub use handover::{Handover, HandoverPhase, Route};
pub use link::{ClientLink, DrivenLink, LinkRole};
pub use loops::{LinkStep, PlayLoop, PlayStep, PlayerEvent, PublishLoop};
pub use pacer::{FlvPacer, PacedItem, PacedTag};
pub use reconnector::{Next, Reconnector};
pub use resend::{Outgoing, PublisherCore, PublisherCounters, Sent, Target};
pub use state::{ConnectionState, StateMachine, Transition, TransitionReason};
pub use status::{ClientError, ClientStatus};
pub use supervisor::{Dial, Supervisor, SupervisorSettings};
pub use task::{PlayTask, PlayWait, PublishTask, WaitPlan};
pub use template::UrlTemplate;
pub use url::{MAX_URL_LEN, RtmpUrl, Scheme};
