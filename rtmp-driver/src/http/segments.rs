//! [`Segments`]: the bytes of one HTTP body frame as a list of shared buffers, so a run of
//! FLV tags (each a head and the stream's own payload) goes out as one chunk of the
//! chunked response, written with one vectored write, without copying a payload.

use std::collections::VecDeque;
use std::io::IoSlice;

use bytes::{Buf, Bytes};

/// Buffers sent in order as one body frame; see the module docs.
#[derive(Debug, Default)]
pub struct Segments {
    parts: VecDeque<Bytes>,
    remaining: usize,
}

impl Segments {
    /// One buffer.
    pub fn one(bytes: Bytes) -> Self {
        let mut s = Segments::default();
        s.push(bytes);
        s
    }

    /// Appends `bytes` (an empty one is left out).
    pub fn push(&mut self, bytes: Bytes) {
        if !bytes.is_empty() {
            self.remaining += bytes.len();
            self.parts.push_back(bytes);
        }
    }

    /// How many buffers are queued.
    pub fn len(&self) -> usize {
        self.parts.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

impl Buf for Segments {
    fn remaining(&self) -> usize {
        self.remaining
    }

    fn chunk(&self) -> &[u8] {
        self.parts.front().map_or(&[], |b| b.as_ref())
    }

    fn advance(&mut self, mut cnt: usize) {
        assert!(
            cnt <= self.remaining,
            "advance past the end of the segments"
        );
        self.remaining -= cnt;
        while cnt > 0 {
            let Some(front) = self.parts.front_mut() else {
                return;
            };
            if cnt < front.len() {
                front.advance(cnt);
                return;
            }
            cnt -= front.len();
            self.parts.pop_front();
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, part) in dst.iter_mut().zip(&self.parts) {
            *slot = IoSlice::new(part);
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_segments_in_order() {
        let mut s = Segments::one(Bytes::from_static(b"ab"));
        s.push(Bytes::new());
        s.push(Bytes::from_static(b"cde"));
        assert_eq!((s.remaining(), s.len()), (5, 2));
        let mut slots = [IoSlice::new(&[]); 4];
        assert_eq!(s.chunks_vectored(&mut slots), 2);
        s.advance(3);
        assert_eq!((s.chunk(), s.remaining()), (&b"de"[..], 2));
        assert_eq!(s.copy_to_bytes(2), Bytes::from_static(b"de"));
        assert!(s.is_empty());
    }
}
