//! The next instant a loop must wake at, as one timer kept across the loop's turns.
//!
//! A connection loop asks its session's `poll_timeout()` after every wake-up. A fresh timer
//! per wake-up would insert an entry in the runtime's timer structure and remove it again
//! each time, and so would re-arming one timer whenever the instant moves: a publisher's
//! idle and ping deadlines move later with every read (they count from its last input), so
//! its task would reset the timer at each of its ~50 wake-ups a second. The timer is
//! therefore only ever moved earlier. When the instant moves later, the timer stays where
//! it is; if it fires before the instant, [`Deadline::poll`] sets it again for the instant
//! and stays pending (one extra wake-up per idle period, against a reset per read).

use std::task::{Context, Poll};
use std::time::Instant;

use crate::runtime::{Runtime, Timer};

/// One re-armable deadline; see the module docs.
#[derive(Debug)]
pub struct Deadline<R: Runtime> {
    /// Created at the first armed instant, then only reset.
    timer: Option<R::Timer>,
    /// The instant to fire at; `None` while unarmed or after firing.
    at: Option<Instant>,
    /// Where `timer` is set, until it fires: never later than `at`.
    set_at: Option<Instant>,
}

impl<R: Runtime> Default for Deadline<R> {
    fn default() -> Self {
        Deadline::new()
    }
}

impl<R: Runtime> Deadline<R> {
    /// An unarmed deadline.
    pub fn new() -> Self {
        Deadline {
            timer: None,
            at: None,
            set_at: None,
        }
    }

    /// Arms the deadline for `at` (`None`: never fires), touching the timer only when the
    /// instant moves earlier than where the timer is set.
    pub fn set(&mut self, rt: &R, at: Option<Instant>) {
        if at == self.at {
            return;
        }
        self.at = at;
        let Some(t) = at else {
            // A timer left set only wakes the task once; `poll` ignores it.
            return;
        };
        match (&mut self.timer, self.set_at) {
            (Some(_), Some(set_at)) if set_at <= t => {}
            (Some(timer), _) => {
                timer.reset(t);
                self.set_at = Some(t);
            }
            (None, _) => {
                self.timer = Some(rt.timer(t));
                self.set_at = Some(t);
            }
        }
    }

    /// Ready once when the armed instant passes; pending while unarmed. After firing it
    /// stays unarmed until [`set`](Self::set) is called again (with any instant, the same
    /// one included).
    pub fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let (Some(at), Some(timer)) = (self.at, &mut self.timer) else {
            return Poll::Pending;
        };
        loop {
            if timer.poll_fire(cx).is_pending() {
                return Poll::Pending;
            }
            if self.set_at.is_some_and(|set_at| set_at >= at) {
                self.at = None;
                self.set_at = None;
                return Poll::Ready(());
            }
            // Fired early: the instant moved later since the timer was set.
            timer.reset(at);
            self.set_at = Some(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::io;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::task::{Context, Poll, Waker};
    use std::time::{Duration, Instant};

    use super::Deadline;
    use crate::runtime::{Listener, Runtime, Socket, Task, Timer};

    /// A runtime with a hand-moved clock whose timers count their resets; it has no
    /// sockets or tasks.
    #[derive(Debug, Clone)]
    struct Manual {
        now: Arc<Mutex<Instant>>,
        resets: Arc<AtomicUsize>,
    }

    #[derive(Debug)]
    /// Fires once, then stays pending until reset: the stricter of the runtimes' ways
    /// (smol's timer; tokio's stays ready), which `Deadline` must work with too.
    struct ManualTimer {
        at: Option<Instant>,
        rt: Manual,
    }

    #[derive(Debug)]
    enum Never {}

    impl Manual {
        fn advance(&self, by: Duration) {
            *self.now.lock().unwrap() += by;
        }
        fn resets(&self) -> usize {
            self.resets.load(Ordering::Relaxed)
        }
    }

    impl Timer for ManualTimer {
        fn reset(&mut self, at: Instant) {
            self.rt.resets.fetch_add(1, Ordering::Relaxed);
            self.at = Some(at);
        }
        fn poll_fire(&mut self, _: &mut Context<'_>) -> Poll<()> {
            match self.at {
                Some(at) if self.rt.now() >= at => {
                    self.at = None;
                    Poll::Ready(())
                }
                _ => Poll::Pending,
            }
        }
    }

    impl Runtime for Manual {
        type Socket = Never;
        type Listener = Never;
        type Timer = ManualTimer;
        type Task = Never;
        fn spawn<F: Future<Output = ()> + Send + 'static>(&self, _: F) -> Never {
            unreachable!("no tasks here")
        }
        fn timer(&self, at: Instant) -> ManualTimer {
            ManualTimer {
                at: Some(at),
                rt: self.clone(),
            }
        }
        async fn connect(&self, _: &str) -> io::Result<Never> {
            Err(io::ErrorKind::Unsupported.into())
        }
        fn bind(&self, _: SocketAddr) -> io::Result<Never> {
            Err(io::ErrorKind::Unsupported.into())
        }
        fn now(&self) -> Instant {
            *self.now.lock().unwrap()
        }
        async fn run_server<F, B>(&self, _: usize, body: B) -> F::Output
        where
            B: FnOnce(Self) -> F,
            F: Future + Send,
            F::Output: Send,
        {
            body(self.clone()).await
        }
    }

    impl Socket for Never {
        fn poll_readable(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            match *self {}
        }
        fn poll_writable(&self, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            match *self {}
        }
        fn try_read_buf(&self, _: &mut bytes::BytesMut) -> io::Result<usize> {
            match *self {}
        }
        fn try_write_vectored(&self, _: &[io::IoSlice<'_>]) -> io::Result<usize> {
            match *self {}
        }
        fn shutdown_write(&self) {
            match *self {}
        }
        fn peer_addr(&self) -> io::Result<SocketAddr> {
            match *self {}
        }
    }

    impl Listener for Never {
        type Socket = Never;
        fn poll_accept(&self, _: &mut Context<'_>) -> Poll<io::Result<(Never, SocketAddr)>> {
            match *self {}
        }
        fn local_addr(&self) -> io::Result<SocketAddr> {
            match *self {}
        }
    }

    impl Task for Never {
        fn abort(self) {
            match self {}
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn setup() -> (Manual, Instant, Deadline<Manual>) {
        let t0 = Instant::now();
        let rt = Manual {
            now: Arc::new(Mutex::new(t0)),
            resets: Arc::default(),
        };
        (rt, t0, Deadline::new())
    }

    fn ready(d: &mut Deadline<Manual>) -> bool {
        d.poll(&mut Context::from_waker(Waker::noop())).is_ready()
    }

    #[test]
    fn moving_later_leaves_the_timer_and_fires_only_at_the_instant() {
        let (rt, t0, mut d) = setup();
        // A publisher's deadline, moving later with every read.
        for n in 1..=50 {
            d.set(&rt, Some(t0 + ms(1000 + n)));
        }
        assert_eq!(
            rt.resets(),
            0,
            "no reset while the instant only moves later"
        );
        rt.advance(ms(1001));
        assert!(
            !ready(&mut d),
            "the timer fired early: not the deadline yet"
        );
        assert_eq!(rt.resets(), 1, "set once more, for the instant");
        rt.advance(ms(48));
        assert!(!ready(&mut d));
        rt.advance(ms(1));
        assert!(ready(&mut d));
        assert!(!ready(&mut d), "ready once, then unarmed");
    }

    #[test]
    fn moving_earlier_resets_the_timer() {
        let (rt, t0, mut d) = setup();
        d.set(&rt, Some(t0 + ms(300)));
        d.set(&rt, Some(t0 + ms(60)));
        assert_eq!(rt.resets(), 1);
        rt.advance(ms(59));
        assert!(!ready(&mut d));
        rt.advance(ms(1));
        assert!(ready(&mut d));
    }

    #[test]
    fn unarmed_then_armed_again_fires_at_the_new_instant() {
        let (rt, t0, mut d) = setup();
        d.set(&rt, Some(t0 + ms(10)));
        d.set(&rt, None);
        rt.advance(ms(15));
        assert!(!ready(&mut d), "unarmed: the timer left set is ignored");
        d.set(&rt, Some(t0 + ms(20)));
        assert!(!ready(&mut d));
        rt.advance(ms(5));
        assert!(ready(&mut d));
        // After firing, the same instant arms it again.
        d.set(&rt, Some(t0 + ms(20)));
        assert!(ready(&mut d));
    }
}
