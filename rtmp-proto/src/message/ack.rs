//! When to send an Acknowledgement (NOTES 6).
//!
//! The receiver counts every byte it reads from the connection (handshake included, as
//! ffmpeg and Flash do) and, each time another window's worth has arrived since its last
//! acknowledgement, sends the **total** so far. The total is a wrapping u32: on a long
//! stream it passes 2^32 and starts again from 0, and peers expect exactly that.

use super::ControlMessage;

/// Counts received bytes against the peer's Window Ack Size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AckCounter {
    /// The peer's Window Ack Size; 0 until it sends one, and then no acks are due.
    window: u32,
    /// Total bytes received, wrapping.
    total: u32,
    /// Bytes received since the last acknowledgement (wide, so it cannot wrap).
    unacked: u64,
}

impl AckCounter {
    /// A counter with no window yet: nothing is acknowledged until [`Self::set_window`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies the peer's Window Ack Size (type 5). A window of 0 turns acknowledgements off.
    pub fn set_window(&mut self, window: u32) {
        self.window = window;
    }

    /// The peer's window, 0 if none was set.
    pub fn window(&self) -> u32 {
        self.window
    }

    /// Total bytes received so far, modulo 2^32.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Records `n` more received bytes. Returns the Acknowledgement to send when at least a
    /// window's worth arrived since the last one (one ack, even if `n` spans several
    /// windows).
    ///
    /// Call with the number of bytes taken from the peer each time, handshake bytes
    /// included (as ffmpeg and Flash count), and send what it returns.
    #[must_use]
    pub fn on_received(&mut self, n: usize) -> Option<ControlMessage> {
        // Truncation is the point: the total is defined modulo 2^32.
        self.total = self.total.wrapping_add(n as u32);
        self.unacked = self.unacked.saturating_add(n as u64);
        if self.window == 0 || self.unacked < u64::from(self.window) {
            return None;
        }
        self.unacked = 0;
        Some(ControlMessage::Acknowledgement {
            sequence_number: self.total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(n: u32) -> Option<ControlMessage> {
        Some(ControlMessage::Acknowledgement { sequence_number: n })
    }

    #[test]
    fn notes_6_acks_the_total_each_window() {
        let mut c = AckCounter::new();
        assert_eq!(c.on_received(5000), None, "no window yet");
        c.set_window(2500);
        // Bytes that arrived before the window count towards the first ack, as in ffmpeg.
        assert_eq!(c.on_received(1000), ack(6000));
        assert_eq!(c.on_received(2499), None);
        assert_eq!(c.on_received(1), ack(8500));
        assert_eq!(c.on_received(2499), None);
        assert_eq!(
            c.on_received(10_000),
            ack(20_999),
            "one ack for several windows"
        );
    }

    #[test]
    fn notes_6_total_wraps_at_2_pow_32() {
        let mut c = AckCounter::new();
        c.set_window(1_000_000);
        let mut last = None;
        // 4400 MB in 1 MB reads crosses 2^32 (~4295 MB) once.
        for _ in 0..4400 {
            if let Some(a) = c.on_received(1_000_000) {
                last = Some(a);
            }
        }
        let expected = (4_400_000_000u64 % (1u64 << 32)) as u32;
        assert_eq!(c.total(), expected);
        assert_eq!(last, ack(expected));
    }
}
