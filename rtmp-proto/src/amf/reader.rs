//! A bounds-checked cursor over a shared payload, used by both decoders.

use bytes::Bytes;

use super::{AmfError, AmfString};

/// Reads big-endian fields off a [`Bytes`] without ever indexing out of bounds. Slices it
/// hands out share the payload.
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

    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    pub(crate) fn rest(&self) -> Bytes {
        self.buf.slice(self.pos.min(self.buf.len())..)
    }

    pub(crate) fn peek_u8(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], AmfError> {
        let end = self.pos.checked_add(N).ok_or(AmfError::Eof)?;
        let bytes = self.buf.get(self.pos..end).ok_or(AmfError::Eof)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        self.pos = end;
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, AmfError> {
        let b = self.peek_u8().ok_or(AmfError::Eof)?;
        self.pos += 1;
        Ok(b)
    }

    pub(crate) fn u16(&mut self) -> Result<u16, AmfError> {
        self.array().map(u16::from_be_bytes)
    }

    pub(crate) fn i16(&mut self) -> Result<i16, AmfError> {
        self.array().map(i16::from_be_bytes)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, AmfError> {
        self.array().map(u32::from_be_bytes)
    }

    pub(crate) fn i32(&mut self) -> Result<i32, AmfError> {
        self.array().map(i32::from_be_bytes)
    }

    pub(crate) fn f64(&mut self) -> Result<f64, AmfError> {
        self.array().map(f64::from_be_bytes)
    }

    /// Fails before anything is allocated when `count` items of at least `min_size` bytes
    /// each cannot fit in what is left of the input.
    pub(crate) fn check_fits(&self, count: u64, min_size: u64) -> Result<(), AmfError> {
        let needed = count.saturating_mul(min_size);
        if needed > self.remaining() as u64 {
            return Err(AmfError::LengthExceedsInput {
                length: count,
                remaining: self.remaining(),
            });
        }
        Ok(())
    }

    /// The next `len` bytes as a shared slice.
    pub(crate) fn bytes(&mut self, len: u64) -> Result<Bytes, AmfError> {
        self.check_fits(len, 1)?;
        // check_fits bounded len by remaining(), which is a usize.
        let len = len as usize;
        let out = self.buf.slice(self.pos..self.pos + len);
        self.pos += len;
        Ok(out)
    }

    /// The next `len` bytes as a string (invalid UTF-8 repaired).
    ///
    /// This is the hot path of command decoding: short strings are copied inline (a fixed
    /// 23-byte window when the input has one, which compiles to a few moves), long ones
    /// become a shared slice; ASCII, most of what RTMP carries, skips the UTF-8 decoder.
    #[inline(always)]
    pub(crate) fn string(&mut self, len: u64) -> Result<AmfString, AmfError> {
        let start = self.pos;
        let Some(raw) = usize::try_from(len)
            .ok()
            .and_then(|len| self.buf.get(start..)?.get(..len))
        else {
            return Err(AmfError::LengthExceedsInput {
                length: len,
                remaining: self.remaining(),
            });
        };
        let end = start + raw.len();
        let valid = raw.is_ascii() || std::str::from_utf8(raw).is_ok();
        let out = if !valid {
            AmfString::from_utf8_lossy(Bytes::copy_from_slice(raw))
        } else if let Some(s) = AmfString::inline_window(raw.len(), self.buf.get(start..)) {
            s
        } else {
            AmfString::from_checked(self.buf.slice(start..end))
        };
        self.pos = end;
        Ok(out)
    }
}

impl Reader {
    /// A reader over the same input positioned at `pos` (for replaying a referenced value).
    pub(crate) fn at(&self, pos: usize) -> Reader {
        Reader {
            buf: self.buf.clone(),
            pos,
        }
    }
}
