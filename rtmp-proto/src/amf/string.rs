//! [`AmfString`]: a UTF-8 string that shares the message payload instead of copying it.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

use bytes::Bytes;

/// Strings up to this many bytes are stored inline. 23 keeps [`AmfString`] as small as
/// [`Bytes`] (32 bytes: the inline form fits beside the niche of `Bytes`' vtable pointer).
const INLINE_CAP: usize = 23;

#[derive(Clone)]
enum Repr {
    Inline(Inline),
    Shared(Bytes),
}

/// The inline form: up to [`INLINE_CAP`] bytes, then how many are used (the last byte).
///
/// Aligned to 8 so it sits on word boundaries inside [`crate::amf::Value`] and moves as
/// three words. Byte-aligned, rustc packed it right after `Value`'s tag, and every move of
/// a decoded string value became overlapping unaligned copies that stalled on store
/// forwarding: a visible share of decoding a `connect`. For the same reason the decoder
/// builds it as three whole words (see [`AmfString::inline_window`]).
#[derive(Clone, Copy)]
#[repr(C, align(8))]
struct Inline {
    bytes: [u8; INLINE_CAP + 1],
}

impl Inline {
    fn len(&self) -> usize {
        usize::from(self.bytes[INLINE_CAP])
    }

    fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len()).unwrap_or_default()
    }
}

/// A UTF-8 string: a slice of the message payload, or inline when short.
///
/// Decoding slices long strings out of the payload ([`Bytes`], a reference-count bump) and
/// copies short ones (keys, command names, `"live"`) into the value itself, which is
/// cheaper than the two atomic operations a shared slice costs over its life. Either way,
/// decoding a `connect` command allocates only the property vectors. The bytes are always
/// valid UTF-8 (checked on construction).
///
/// The crate forbids `unsafe`, so [`Deref`] cannot skip the UTF-8 check and runs
/// `std::str::from_utf8` again; that is a fast scan over the short strings AMF carries.
/// Comparisons ([`PartialEq<str>`], [`crate::amf::Value::get`]) work on the bytes and never
/// pay it.
#[derive(Clone)]
pub struct AmfString(Repr);

impl AmfString {
    /// The empty string.
    pub const EMPTY: AmfString = AmfString(Repr::Inline(Inline {
        bytes: [0; INLINE_CAP + 1],
    }));

    /// A string from a `'static` literal, usable in `const` context (never copied).
    pub const fn from_static(s: &'static str) -> Self {
        AmfString(Repr::Shared(Bytes::from_static(s.as_bytes())))
    }

    /// Takes `bytes` as the string when they are valid UTF-8.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(AmfString::from_checked(bytes))
    }

    /// Takes `bytes` as the string, replacing invalid UTF-8 sequences with U+FFFD.
    ///
    /// Peers put Latin-1 file names into metadata; failing a whole command for that would be
    /// harsher than every other implementation, so the decoders repair instead (and only
    /// then allocate).
    pub fn from_utf8_lossy(bytes: Bytes) -> Self {
        match std::str::from_utf8(&bytes) {
            Ok(_) => AmfString::from_checked(bytes),
            Err(_) => AmfString::from(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    /// Wraps bytes the caller has checked to be UTF-8 (short ones are copied inline).
    pub(crate) fn from_checked(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        AmfString::inline(&bytes).unwrap_or(AmfString(Repr::Shared(bytes)))
    }

    /// A copy of `s`: inline when short (no allocation), else one exactly sized buffer.
    /// Cheaper than `String::from(s).into()`, which allocates even for short strings.
    pub(crate) fn copy_from_str(s: &str) -> Self {
        AmfString::inline(s.as_bytes())
            .unwrap_or_else(|| AmfString(Repr::Shared(Bytes::copy_from_slice(s.as_bytes()))))
    }

    /// Copies checked UTF-8 `bytes` inline when they fit.
    pub(crate) fn inline(bytes: &[u8]) -> Option<Self> {
        if bytes.len() > INLINE_CAP {
            return None;
        }
        let mut inline = [0; INLINE_CAP + 1];
        inline.get_mut(..bytes.len())?.copy_from_slice(bytes);
        inline[INLINE_CAP] = bytes.len() as u8;
        Some(AmfString(Repr::Inline(Inline { bytes: inline })))
    }

    /// The first `len` bytes of `window` (checked UTF-8) inline, when `len` fits. With a
    /// whole word-sized window it is three 8-byte loads and stores, the count merged into
    /// the last word (no byte store for a later word load to stall on); bytes past `len`
    /// are never read.
    pub(crate) fn inline_window(len: usize, window: Option<&[u8]>) -> Option<Self> {
        if len > INLINE_CAP {
            return None;
        }
        let window = window?;
        let Some(words) = window.first_chunk::<{ INLINE_CAP + 1 }>() else {
            return AmfString::inline(window.get(..len)?);
        };
        let (a, rest) = words.split_first_chunk::<8>()?;
        let (b, c) = rest.split_first_chunk::<8>()?;
        let c: &[u8; 8] = c.try_into().ok()?;
        // The count replaces the window's 24th byte (little-endian: the top byte).
        let last = (u64::from_le_bytes(*c) & !(0xFF << 56)) | ((len as u64) << 56);
        let mut bytes = [0; INLINE_CAP + 1];
        bytes[..8].copy_from_slice(a);
        bytes[8..16].copy_from_slice(b);
        bytes[16..].copy_from_slice(&last.to_le_bytes());
        Some(AmfString(Repr::Inline(Inline { bytes })))
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        // Every constructor checks UTF-8, so the fallback is never taken.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(inline) => inline.as_bytes(),
            Repr::Shared(bytes) => bytes,
        }
    }

    /// The bytes as [`Bytes`] (short strings are copied out of the inline buffer).
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Inline(_) => Bytes::copy_from_slice(self.as_bytes()),
            Repr::Shared(bytes) => bytes,
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }
}

impl Default for AmfString {
    fn default() -> Self {
        AmfString::EMPTY
    }
}

impl PartialEq for AmfString {
    fn eq(&self, other: &AmfString) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for AmfString {}

impl Hash for AmfString {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialOrd for AmfString {
    fn partial_cmp(&self, other: &AmfString) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AmfString {
    fn cmp(&self, other: &AmfString) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Deref for AmfString {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for AmfString {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for AmfString {
    fn from(s: &'static str) -> Self {
        AmfString::from_static(s)
    }
}

impl From<String> for AmfString {
    fn from(s: String) -> Self {
        AmfString::inline(s.as_bytes())
            .unwrap_or_else(|| AmfString(Repr::Shared(Bytes::from(s.into_bytes()))))
    }
}

impl From<&String> for AmfString {
    fn from(s: &String) -> Self {
        AmfString::copy_from_str(s)
    }
}

impl From<AmfString> for String {
    fn from(s: AmfString) -> Self {
        s.as_str().to_owned()
    }
}

impl PartialEq<str> for AmfString {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<&str> for AmfString {
    fn eq(&self, other: &&str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<AmfString> for str {
    fn eq(&self, other: &AmfString) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl PartialEq<AmfString> for &str {
    fn eq(&self, other: &AmfString) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl fmt::Debug for AmfString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for AmfString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_with_str_both_ways() {
        let s = AmfString::from("live");
        assert_eq!(s, "live");
        assert!("live" == s);
        assert_eq!(&*s, "live");
        assert_ne!(s, "liv");
    }

    #[test]
    fn stays_as_small_as_bytes() {
        assert_eq!(
            std::mem::size_of::<AmfString>(),
            std::mem::size_of::<Bytes>()
        );
    }

    #[test]
    fn short_strings_inline_long_ones_shared() {
        let long = Bytes::from_static(b"rtmp://live.example.com/app");
        let shared = AmfString::from_utf8(long.clone()).unwrap();
        assert_eq!(shared.into_bytes().as_ptr(), long.as_ptr());
        let short = AmfString::from(String::from("live"));
        assert!(matches!(short.0, Repr::Inline(i) if i.len() == 4));
        assert_eq!(short, AmfString::from_static("live"));
        let exactly = "x".repeat(INLINE_CAP);
        assert!(matches!(AmfString::from(&exactly).0, Repr::Inline(_)));
        assert!(matches!(AmfString::from(exactly + "y").0, Repr::Shared(_)));
        // Every length from a word-sized window and from one cut at the string's end.
        let text = "abcdefghijklmnopqrstuvwxyz0123";
        for len in 0..=INLINE_CAP {
            let from_wide = AmfString::inline_window(len, Some(text.as_bytes())).unwrap();
            let from_exact = AmfString::inline_window(len, Some(&text.as_bytes()[..len])).unwrap();
            assert_eq!(
                (from_wide.as_str(), from_exact.as_str()),
                (&text[..len], &text[..len])
            );
            assert_eq!(from_wide, from_exact);
        }
        assert!(AmfString::inline_window(INLINE_CAP + 1, Some(text.as_bytes())).is_none());
        // A window shorter than the inline buffer (end of input) still works.
        let s = AmfString::inline_window(2, Some(b"ok")).unwrap();
        assert_eq!(s, "ok");
        let set: std::collections::HashSet<AmfString> = [
            AmfString::from_static("k"),
            AmfString::from(String::from("k")),
        ]
        .into();
        assert_eq!(set.len(), 1, "hash and equality ignore the representation");
    }

    #[test]
    fn lossy_repairs_only_invalid_input() {
        let ok = Bytes::from_static(b"a string longer than the inline buffer");
        assert_eq!(
            AmfString::from_utf8_lossy(ok.clone()).into_bytes().as_ptr(),
            ok.as_ptr()
        );
        let bad = AmfString::from_utf8_lossy(Bytes::from_static(b"a\xffb"));
        assert_eq!(bad, "a\u{fffd}b");
        assert!(AmfString::from_utf8(Bytes::from_static(b"\xc3")).is_err());
    }
}
