//! Client resilience, sans-IO: URLs, reconnect policy, failover, an observable connection
//! state machine and the reconnect-request handover.
//!
//! Everything here decides; nothing here waits or dials. Time comes in as `Instant`
//! arguments and randomness (backoff jitter) from a seeded [`Rng`](crate::rng::Rng), so a
//! whole reconnect history replays identically on a virtual clock. The adapters sleep until
//! the instants they are given and dial the URLs they are told.
//!
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
//! # Adapter recipe
//!
//! ```text
//! let mut r = Reconnector::new(policy, Failover::new(urls)?, Rng::new(os_seed))?;
//! let mut sm = StateMachine::new();
//! let mut next = r.first(now);
//! loop {
//!     let Next::RetryAt { at, url_index } = next else { break /* gave up */ };
//!     sleep_until(at);
//!     sm.dialing(now, url_index)?; r.on_connect_attempt(now);
//!     let url = &r.failover().urls()[url_index];
//!     match dial(url.socket_addr_string(), url.scheme().is_tls()) {
//!         Err(e) => { let f = FailureReason::Dial(e.to_string());
//!                     next = r.on_failure(now, f.clone()); sm.failed(now, f, next)?; continue }
//!         Ok(sock) => sm.tcp_connected(now)?,
//!     }
//!     session.connect(url.connect_params()); ... publish(&url.stream(), ..)
//!     for each ClientEvent ev:
//!         sm.on_client_event(now, &ev)?;
//!         PublishStarted      => r.on_connected(now)
//!         ReconnectRequested  => start a Handover (see its docs)
//!         other: if let Some(f) = FailureReason::from_event(&ev) {
//!                    next = r.on_failure(now, f.clone()); sm.failed(now, f, next)?; break }
//!     at r.healthy_deadline(): r.on_healthy(now)
//! }
//! ```

mod backoff;
mod error;
mod failover;
mod failure;
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
pub use failure::FailureReason;
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
