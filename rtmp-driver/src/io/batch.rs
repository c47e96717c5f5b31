//! The outbound batch: segments drained from `poll_transmit`, written with vectored writes.
//!
//! A session yields its output as a run of `Bytes` segments (small header runs and zero-copy
//! slices of media payloads). Copying them into one buffer would undo the zero-copy design,
//! so the driver gathers them into `IoSlice`s and lets the kernel do the gathering. A
//! vectored write may stop anywhere, even inside a segment; [`TxBatch::advance`] keeps the
//! unwritten tail for the next attempt.
//!
//! Runtime-agnostic: the tokio and smol drivers differ only in how they wait for the socket.

use std::collections::VecDeque;
use std::io::{self, IoSlice};

use bytes::{Buf, Bytes};

/// Most segments handed to one vectored write (Linux `IOV_MAX` is 1024; 64 keeps the
/// `IoSlice` array on the stack and is plenty to fill a socket buffer).
pub const MAX_IOV: usize = 64;

/// Batches of at most this many segments are written from a short array, not a
/// `MAX_IOV` one that would be set up (1 KiB) for every write.
const FEW_IOV: usize = 4;

/// Segments not yet written to the socket, in order.
#[derive(Debug, Default)]
pub struct TxBatch {
    segments: VecDeque<Bytes>,
    bytes: usize,
}

impl TxBatch {
    pub fn new() -> Self {
        TxBatch::default()
    }

    /// Appends a segment; empty segments are skipped.
    pub fn push(&mut self, segment: Bytes) {
        if !segment.is_empty() {
            self.bytes += segment.len();
            self.segments.push_back(segment);
        }
    }

    /// Moves segments from `poll` (a session's `poll_transmit`) into the batch until it holds
    /// at least `high_water` bytes or the session has nothing more. Leaving the rest in the
    /// session keeps a congested player's backlog where the session can still discard
    /// droppable frames and report it through `pending_transmit_bytes`.
    pub fn fill(&mut self, high_water: usize, mut poll: impl FnMut() -> Option<Bytes>) {
        while self.bytes < high_water {
            match poll() {
                Some(segment) => self.push(segment),
                None => break,
            }
        }
    }

    /// The drivers' write step: moves segments from `poll` into the batch (up to
    /// `high_water` bytes) and hands them to `write`, a non-blocking vectored write, until
    /// everything is out or the write would block (`WouldBlock` is not an error here; what
    /// is left stays in the batch for the next call).
    pub fn pump(
        &mut self,
        high_water: usize,
        mut poll: impl FnMut() -> Option<Bytes>,
        mut write: impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> io::Result<()> {
        if self.is_empty() && !self.pump_direct(high_water, &mut poll, &mut write)? {
            return Ok(());
        }
        loop {
            self.fill(high_water, &mut poll);
            if self.is_empty() {
                return Ok(());
            }
            let result = if self.segments.len() <= FEW_IOV {
                // The common case (a relayed frame is one segment): a short array to set up.
                let mut iov = [IoSlice::new(&[]); FEW_IOV];
                let n = self.io_slices(&mut iov);
                write(iov.get(..n).unwrap_or(&[]))
            } else {
                let mut iov = [IoSlice::new(&[]); MAX_IOV];
                let n = self.io_slices(&mut iov);
                write(iov.get(..n).unwrap_or(&[]))
            };
            match result {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(written) => self.advance(written),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// [`pump`](Self::pump) for an empty batch, the case of a player that keeps up: up to
    /// [`FEW_IOV`] segments are written from an array on the stack, and only what the
    /// socket does not take goes into the batch. The batch's heap buffer would be one more
    /// cold cache line per player and frame in a relay's fan-out. Whether the caller goes
    /// on with the general loop (there may be more to write).
    fn pump_direct(
        &mut self,
        high_water: usize,
        poll: &mut impl FnMut() -> Option<Bytes>,
        write: &mut impl FnMut(&[IoSlice<'_>]) -> io::Result<usize>,
    ) -> io::Result<bool> {
        let mut run: [Bytes; FEW_IOV] = Default::default();
        let mut n = 0;
        let mut bytes = 0;
        while n < FEW_IOV && bytes < high_water {
            let Some(segment) = poll() else { break };
            if let Some(slot) = run.get_mut(n).filter(|_| !segment.is_empty()) {
                bytes += segment.len();
                *slot = segment;
                n += 1;
            }
        }
        let run = run.get_mut(..n).unwrap_or_default();
        if run.is_empty() {
            return Ok(false);
        }
        let result = loop {
            let mut iov = [IoSlice::new(&[]); FEW_IOV];
            for (slot, segment) in iov.iter_mut().zip(run.iter()) {
                *slot = IoSlice::new(segment);
            }
            match write(iov.get(..run.len()).unwrap_or(&[])) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => break other,
            }
        };
        let written = match result {
            // Everything went out: more may wait in the session when the run was full.
            Ok(written) if written == bytes => return Ok(n == FEW_IOV || bytes >= high_water),
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => written,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => 0,
            Err(e) => return Err(e),
        };
        for segment in run.iter_mut() {
            self.push(std::mem::take(segment));
        }
        self.advance(written);
        // A partial write: the general loop tries the rest (and what else the session has).
        Ok(written > 0)
    }

    /// Bytes waiting to be written.
    pub fn len(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// Fills `iov` with the leading segments; returns how many slots were used.
    pub fn io_slices<'a>(&'a self, iov: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for (slot, segment) in iov.iter_mut().zip(self.segments.iter()) {
            *slot = IoSlice::new(segment);
            n += 1;
        }
        n
    }

    /// Drops `written` bytes from the front, splitting a partly written segment.
    pub fn advance(&mut self, mut written: usize) {
        self.bytes = self.bytes.saturating_sub(written);
        while written > 0 {
            let Some(front) = self.segments.front_mut() else {
                return;
            };
            if written < front.len() {
                front.advance(written);
                return;
            }
            written -= front.len();
            self.segments.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(b: &TxBatch) -> Vec<u8> {
        b.segments.iter().flat_map(|s| s.iter().copied()).collect()
    }

    #[test]
    fn partial_writes_keep_the_unwritten_tail_in_order() {
        let mut b = TxBatch::new();
        b.push(Bytes::from_static(b"abc"));
        b.push(Bytes::new());
        b.push(Bytes::from_static(b"defgh"));
        assert_eq!(b.len(), 8);
        b.advance(4); // all of "abc" and "d"
        assert_eq!(contents(&b), b"efgh");
        assert_eq!(b.len(), 4);
        b.advance(4);
        assert!(b.is_empty());
        assert!(b.segments.is_empty());
    }

    #[test]
    fn io_slices_cover_at_most_the_array() {
        let mut b = TxBatch::new();
        for _ in 0..(MAX_IOV + 3) {
            b.push(Bytes::from_static(b"x"));
        }
        let mut iov = [IoSlice::new(&[]); MAX_IOV];
        assert_eq!(b.io_slices(&mut iov), MAX_IOV);
    }

    #[test]
    fn fill_stops_at_high_water_and_leaves_the_rest() {
        let mut source: VecDeque<Bytes> = (0..10).map(|_| Bytes::from(vec![0u8; 100])).collect();
        let mut b = TxBatch::new();
        b.fill(250, || source.pop_front());
        assert_eq!(b.len(), 300);
        assert_eq!(source.len(), 7);
    }

    #[test]
    fn pump_writes_until_would_block_and_keeps_the_rest() {
        let mut source: VecDeque<Bytes> = (0..4u8).map(|i| Bytes::from(vec![i; 100])).collect();
        let mut b = TxBatch::new();
        let mut out = Vec::new();
        let mut calls = 0;
        b.pump(
            1000,
            || source.pop_front(),
            |slices| {
                calls += 1;
                match calls {
                    // A signal: retried, not an error.
                    1 => Err(io::ErrorKind::Interrupted.into()),
                    // A partial write inside the second segment.
                    2 => {
                        out.extend_from_slice(&slices[0]);
                        out.extend_from_slice(&slices[1][..50]);
                        Ok(150)
                    }
                    _ => Err(io::ErrorKind::WouldBlock.into()),
                }
            },
        )
        .unwrap();
        assert_eq!(out.len(), 150);
        assert_eq!(b.len(), 250, "the unwritten tail waits in the batch");
        assert_eq!(contents(&b)[..50], [1u8; 50]);
        // A peer that takes nothing is an error, not a busy loop.
        let err = b.pump(1000, || None, |_| Ok(0)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    }

    #[test]
    fn an_empty_batch_writes_a_short_run_without_keeping_it() {
        let mut source: VecDeque<Bytes> = (0..6u8).map(|i| Bytes::from(vec![i; 10])).collect();
        let mut b = TxBatch::new();
        let mut writes = Vec::new();
        // Six segments: four from the stack in one write, then the general loop's two.
        b.pump(
            1000,
            || source.pop_front(),
            |slices| {
                writes.push(slices.len());
                Ok(slices.iter().map(|s| s.len()).sum())
            },
        )
        .unwrap();
        assert_eq!(writes, [FEW_IOV, 2]);
        assert!(b.is_empty());
        // A socket that takes nothing: the run waits in the batch, in order.
        let mut source: VecDeque<Bytes> = (0..3u8).map(|i| Bytes::from(vec![i; 10])).collect();
        b.pump(
            1000,
            || source.pop_front(),
            |_| Err(io::ErrorKind::WouldBlock.into()),
        )
        .unwrap();
        assert_eq!(b.len(), 30);
        assert_eq!(contents(&b)[..], [[0u8; 10], [1; 10], [2; 10]].concat()[..]);
    }

    #[test]
    fn segments_are_not_copied() {
        let payload = Bytes::from(vec![7u8; 1000]);
        let mut b = TxBatch::new();
        b.push(payload.slice(10..500));
        let mut iov = [IoSlice::new(&[]); 4];
        b.io_slices(&mut iov);
        assert_eq!(iov[0].as_ptr(), payload[10..].as_ptr());
    }
}
