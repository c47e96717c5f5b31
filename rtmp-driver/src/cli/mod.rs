//! The examples' command lines, once for every runtime (feature `cli`): the flags a user
//! types and what each example does with them, generic over the runtime. Each example only
//! adds its runtime's `main` and how Ctrl-C arrives.

mod multicam;
mod play;
mod publish;
mod relay;
mod status_table;
mod tap;

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

pub use multicam::{MulticamArgs, multicam};
pub use play::{PlayArgs, play};
pub use publish::{PublishArgs, publish};
pub use relay::RelayArgs;
pub use status_table::status_table;
pub use tap::{TapArgs, write_keyframes};

use crate::runtime::{Runtime, sleep_until};

/// What an example's run returns.
pub type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Logs to stderr at `info`, or as `RUST_LOG` says (`RUST_LOG=rtmp_driver=debug` for
/// more): what every example starts with.
pub fn init_logs() {
    use tracing_subscriber::EnvFilter;
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// An error whose `Debug` is its message: what `main` prints when it returns `Err`, so a
/// bad config reads as a sentence, not as a struct dump.
struct Plain(String);

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Plain {}

/// `e` as an error `main` prints as its message.
fn plain(e: impl std::fmt::Display) -> Box<dyn std::error::Error + Send + Sync> {
    Box::new(Plain(e.to_string()))
}

/// The value, or the error printed as a sentence on stderr and exit status 2: for setup
/// errors a user fixes (a certificate file that cannot be read names the file), which
/// `main` returning `io::Result` would print as a `Debug` dump.
pub fn or_exit<T, E: std::fmt::Display>(result: Result<T, E>) -> T {
    result.unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    })
}

/// Which of two futures finished first.
enum First<A, B> {
    A(A),
    B(B),
}

/// Polls `a` and `b` until one finishes (`a` first on each wake-up).
async fn first<A: Future, B: Future>(a: A, b: B) -> First<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if let Poll::Ready(v) = a.as_mut().poll(cx) {
            return Poll::Ready(First::A(v));
        }
        b.as_mut().poll(cx).map(First::B)
    })
    .await
}

/// Completes after `seconds` (never, without a limit or with one that is not a duration).
async fn after<R: Runtime>(rt: &R, seconds: Option<f64>) {
    match seconds.and_then(|s| Duration::try_from_secs_f64(s).ok()) {
        Some(d) => sleep_until(rt, rt.now() + d).await,
        None => std::future::pending().await,
    }
}
