//! hyper's timer on the runtime's: bounds how long a request head may take to arrive.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::runtime::{Runtime, Timer};

/// The runtime's timer for hyper.
#[derive(Debug, Clone)]
pub struct HyperTimer<R>(pub R);

/// One sleep of a [`HyperTimer`].
#[derive(Debug)]
struct HyperSleep<T>(T);

impl<T: Timer> Future for HyperSleep<T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.poll_fire(cx)
    }
}

impl<T: Timer> hyper::rt::Sleep for HyperSleep<T> {}

impl<R: Runtime> hyper::rt::Timer for HyperTimer<R> {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(self.0.now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(self.0.timer(deadline)))
    }

    fn now(&self) -> Instant {
        self.0.now()
    }
}
