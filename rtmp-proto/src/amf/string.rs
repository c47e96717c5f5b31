//! [`AmfString`]: a UTF-8 string that shares the message payload instead of copying it.

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// A UTF-8 string backed by [`Bytes`].
///
/// Decoding slices strings out of the message payload, so a `connect` command costs a
/// reference-count bump per string instead of an allocation. The bytes are always valid
/// UTF-8 (checked on construction).
///
/// The crate forbids `unsafe`, so [`Deref`] cannot skip the UTF-8 check and runs
/// `std::str::from_utf8` again; that is a fast scan over the short strings AMF carries.
/// Comparisons ([`PartialEq<str>`], [`crate::amf::Value::get`]) work on the bytes and never
/// pay it.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AmfString(Bytes);

impl AmfString {
    /// The empty string.
    pub const EMPTY: AmfString = AmfString(Bytes::from_static(b""));

    /// A string from a `'static` literal, usable in `const` context.
    pub const fn from_static(s: &'static str) -> Self {
        AmfString(Bytes::from_static(s.as_bytes()))
    }

    /// Takes `bytes` as the string when they are valid UTF-8.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(AmfString(bytes))
    }

    /// Takes `bytes` as the string, replacing invalid UTF-8 sequences with U+FFFD.
    ///
    /// Peers put Latin-1 file names into metadata; failing a whole command for that would be
    /// harsher than every other implementation, so the decoders repair instead (and only
    /// then allocate).
    pub fn from_utf8_lossy(bytes: Bytes) -> Self {
        match std::str::from_utf8(&bytes) {
            Ok(_) => AmfString(bytes),
            Err(_) => AmfString(Bytes::from(
                String::from_utf8_lossy(&bytes).into_owned().into_bytes(),
            )),
        }
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        // Every constructor checks UTF-8, so the fallback is never taken.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying shared bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
        AmfString(Bytes::from(s.into_bytes()))
    }
}

impl From<&String> for AmfString {
    fn from(s: &String) -> Self {
        AmfString(Bytes::copy_from_slice(s.as_bytes()))
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
    fn lossy_repairs_only_invalid_input() {
        let ok = Bytes::from_static(b"abc");
        assert_eq!(
            AmfString::from_utf8_lossy(ok.clone()).into_bytes().as_ptr(),
            ok.as_ptr()
        );
        let bad = AmfString::from_utf8_lossy(Bytes::from_static(b"a\xffb"));
        assert_eq!(bad, "a\u{fffd}b");
        assert!(AmfString::from_utf8(Bytes::from_static(b"\xc3")).is_err());
    }
}
