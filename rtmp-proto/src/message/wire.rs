//! Bounds-checked big-endian reads shared by the message codecs.
//!
//! Every read is a `get`, so a short payload gives `None` (turned into a typed error by the
//! caller), never a panic.

/// The `N` bytes at `at`, if the slice holds them.
fn array<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// The big-endian u16 at `at`.
pub(crate) fn be_u16(buf: &[u8], at: usize) -> Option<u16> {
    array(buf, at).map(u16::from_be_bytes)
}

/// The big-endian 24-bit value at `at`.
pub(crate) fn be_u24(buf: &[u8], at: usize) -> Option<u32> {
    let [a, b, c] = array(buf, at)?;
    Some(u32::from_be_bytes([0, a, b, c]))
}

/// The big-endian u32 at `at`.
pub(crate) fn be_u32(buf: &[u8], at: usize) -> Option<u32> {
    array(buf, at).map(u32::from_be_bytes)
}
