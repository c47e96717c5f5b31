//! Real-peer tests of the RTMP relay, written once and run against every adapter.
//!
//! Each file under `tests/` checks one behaviour with real peers (ffmpeg 5.1 for legacy
//! RTMP, a recent ffmpeg for Enhanced RTMP, librtmp's rtmpdump and GStreamer's rtmp2 for
//! two more independent client implementations) and our own blocking client; its scenario is a
//! plain function of an [`Adapter`], and [`for_each_adapter!`] makes one `#[test]` per
//! adapter from it. The relay is started through the adapter's public `Server::builder()`
//! API, in this process on its own thread ([`start`]), or as a separate process when the
//! test must kill it ([`spawn_server_process`]).
//!
//! Run: `cargo test -p rtmp-interop -- --nocapture` (the measurements are printed on
//! stderr, one line per scenario and adapter). About a minute per adapter on 2 cores.
//!
//! Scenarios of one test binary run one at a time ([`run`] holds a lock): the machine has
//! two cores and the peers encode video in real time, so parallel scenarios would measure
//! the CPU rather than the relay.
#![forbid(unsafe_code)]

pub mod adapter;
pub mod client;
pub mod ffmpeg;
pub mod file_player;
pub mod flv_file;
pub mod gstreamer;
pub mod nginx;
pub mod our_client;
pub mod peers;
pub mod proc;
pub mod proxy;
pub mod rss;
pub mod tls;

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

pub use adapter::{
    Adapter, EventSink, RunningServer, ServerOpts, serve_if_child, spawn_server_process, start,
};
pub use client::Client;
pub use peers::Peers;
pub use proc::{Proc, wait_until};

/// The relay's default publisher grace: after a publisher goes away, its stream's players
/// are held this long for a new publisher before they get the end of the stream.
pub fn publisher_grace() -> Duration {
    rtmp_proto::relay::RelayConfig::default().publisher_grace
}

/// How long a player may take to end after its publisher finished: the publisher grace
/// plus 5 s.
pub fn player_end_limit() -> Duration {
    publisher_grace() + Duration::from_secs(5)
}

/// Runs one scenario for one adapter, alone among the scenarios of this binary, and
/// prints how long it took.
pub fn run(adapter: Adapter, test: &str, scenario: fn(Adapter)) {
    static SERIAL: Mutex<()> = Mutex::new(());
    let _guard = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    let start = Instant::now();
    scenario(adapter);
    eprintln!(
        "[{test} / {}] done in {:.1} s",
        adapter.name(),
        start.elapsed().as_secs_f64()
    );
}

/// `for_each_adapter!(scenario)` defines `#[test] fn tokio()` and `#[test] fn smol()`, each
/// running `scenario(Adapter::X)` through [`run`].
#[macro_export]
macro_rules! for_each_adapter {
    ($scenario:ident) => {
        #[test]
        fn tokio() {
            $crate::run(
                $crate::Adapter::Tokio,
                concat!(module_path!(), "::", stringify!($scenario)),
                $scenario,
            );
        }

        #[test]
        fn smol() {
            $crate::run(
                $crate::Adapter::Smol,
                concat!(module_path!(), "::", stringify!($scenario)),
                $scenario,
            );
        }
    };
}

/// A fresh, empty directory under the system temp dir for one scenario's files.
pub fn temp_dir(label: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "rtmp-interop-{label}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
