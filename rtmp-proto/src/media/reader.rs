//! A bounds-checked cursor over a `Bytes` payload. Every read either succeeds or returns
//! [`MediaError::Truncated`] naming the field; sub-slices are zero-copy `Bytes` views.

use bytes::Bytes;

use super::MediaError;

#[derive(Debug, Clone)]
pub(crate) struct Reader {
    buf: Bytes,
    pos: usize,
}

impl Reader {
    pub(crate) fn new(buf: Bytes) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<Bytes, MediaError> {
        if n > self.remaining() {
            return Err(MediaError::Truncated(what));
        }
        let out = self.buf.slice(self.pos..self.pos + n);
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], MediaError> {
        let mut out = [0u8; N];
        let src = self
            .buf
            .get(self.pos..self.pos.saturating_add(N))
            .ok_or(MediaError::Truncated(what))?;
        out.copy_from_slice(src);
        self.pos += N;
        Ok(out)
    }

    pub(crate) fn rest(&mut self) -> Bytes {
        let out = self.buf.slice(self.pos.min(self.buf.len())..);
        self.pos = self.buf.len();
        out
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, MediaError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(crate) fn u16(&mut self, what: &'static str) -> Result<u16, MediaError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn u24(&mut self, what: &'static str) -> Result<u32, MediaError> {
        let [a, b, c] = self.array(what)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    pub(crate) fn i24(&mut self, what: &'static str) -> Result<i32, MediaError> {
        let v = self.u24(what)?;
        // Sign-extend bit 23.
        Ok(((v << 8) as i32) >> 8)
    }

    pub(crate) fn u32(&mut self, what: &'static str) -> Result<u32, MediaError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }

    pub(crate) fn fourcc(&mut self, what: &'static str) -> Result<[u8; 4], MediaError> {
        self.array(what)
    }
}

/// Writes the low 24 bits of `v`, big-endian.
pub(crate) fn put_u24(out: &mut bytes::BytesMut, v: u32) {
    out.extend_from_slice(&v.to_be_bytes()[1..]);
}

/// Range of a signed 24-bit field (composition time offsets).
pub(crate) const I24_MIN: i32 = -(1 << 23);
pub(crate) const I24_MAX: i32 = (1 << 23) - 1;
