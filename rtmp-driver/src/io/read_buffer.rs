//! The socket read buffer: large for busy connections, nothing for idle ones.
//!
//! A fixed 64 KiB buffer per connection would dominate the memory of a server holding many
//! idle players. This one reads into as little as [`ReadBuffer::MIN`], doubles while reads
//! fill it (a publisher's burst), and is released once everything read has been consumed and
//! the last read was small, so an idle connection holds no buffer at all.

use bytes::BytesMut;

/// A `BytesMut` for socket reads whose capacity follows the traffic.
#[derive(Debug, Default)]
pub struct ReadBuffer {
    buf: BytesMut,
    /// How much to make room for before the next read.
    want: usize,
}

impl ReadBuffer {
    /// The smallest read: one page.
    pub const MIN: usize = 4 * 1024;
    /// The largest read.
    pub const MAX: usize = 64 * 1024;

    pub fn new() -> Self {
        ReadBuffer {
            buf: BytesMut::new(),
            want: Self::MIN,
        }
    }

    /// Makes room for the next read and returns the buffer to read into (append only).
    pub fn prepare(&mut self) -> &mut BytesMut {
        self.buf.reserve(self.want);
        &mut self.buf
    }

    /// Records that a read returned `n` bytes, to size the next one.
    pub fn on_read(&mut self, n: usize, room: usize) {
        self.want = if n >= room {
            (self.want * 2).min(Self::MAX)
        } else {
            (n * 2).clamp(Self::MIN, Self::MAX)
        };
    }

    /// The bytes read and not yet consumed (what `handle_input` takes).
    pub fn input(&mut self) -> &mut BytesMut {
        &mut self.buf
    }

    /// After the session consumed what it could: an empty buffer after a small read is
    /// released, so idle connections hold nothing.
    pub fn settle(&mut self) {
        if self.buf.is_empty() && self.want == Self::MIN && self.buf.capacity() > 0 {
            self.buf = BytesMut::new();
        }
    }

    /// Free space the next read can fill.
    pub fn room(&self) -> usize {
        self.buf.capacity() - self.buf.len()
    }

    /// Current capacity (for tests and stats).
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_while_reads_fill_it_and_is_released_when_idle() {
        let mut r = ReadBuffer::new();
        r.prepare();
        let room = r.room();
        assert!(room >= ReadBuffer::MIN);
        r.input().extend_from_slice(&vec![0; room]);
        r.on_read(room, room);
        r.prepare();
        assert!(r.room() >= 2 * ReadBuffer::MIN);
        let _ = r.input().split();
        r.settle();
        assert!(r.capacity() > 0, "a busy connection keeps its buffer");
        r.prepare();
        r.input().extend_from_slice(&[1; 100]);
        r.on_read(100, r.room() + 100);
        let _ = r.input().split();
        r.settle();
        assert_eq!(r.capacity(), 0, "an idle connection holds nothing");
    }

    #[test]
    fn partial_input_is_kept() {
        let mut r = ReadBuffer::new();
        r.prepare().extend_from_slice(&[7; 10]);
        r.on_read(10, 4096);
        r.settle();
        assert_eq!(&r.input()[..], &[7; 10]);
    }
}
