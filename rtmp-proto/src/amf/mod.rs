//! AMF0 and AMF3: the value encodings of commands and metadata (RTMP-NOTES items 10, 11).
//!
//! One value model, [`Value`], covers both formats, so a command decoded from AMF0 can carry
//! an AMF3 value (marker `0x11`) and be written back byte for byte. Strings are
//! [`AmfString`]s: short ones inline, long ones zero-copy slices of the message payload, so
//! decoding a `connect` command allocates only its containers (four allocations, see
//! `tests/amf_allocations.rs`). Object properties keep wire order.
//!
//! Reference tables live for one message: use one decoder or encoder per message. Inside an
//! AMF0 message, every AMF3 value behind a switch marker shares one set of AMF3 tables.
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use rtmp_proto::amf::{self, amf0, DecodeLimits, Value};
//!
//! let cmd = [
//!     Value::from("connect"),
//!     Value::from(1.0),
//!     rtmp_proto::amf_object! { "app" => "live", "capabilities" => 15.0 },
//! ];
//! let mut out = BytesMut::new();
//! amf0::encode_all(&cmd, &mut out);
//! let back = amf0::decode_all(&out.freeze(), &DecodeLimits::default()).unwrap();
//! assert_eq!(back[2].get("app").and_then(Value::as_str), Some("live"));
//! assert_eq!(back[2].to_string(), r#"{app: "live", capabilities: 15}"#);
//! ```
//!
//! Limits: nesting depth, reference table sizes and the total number of decoded values
//! (which bounds what reference chains can expand to) come from [`DecodeLimits`]; every
//! length read from the wire is checked against the remaining input before anything is
//! allocated.

pub mod amf0;
pub mod amf3;
mod display;
mod macros;
mod reader;
mod string;
mod value;

pub use string::AmfString;
pub use value::{Array, Dictionary, Object, ObjectVector, Properties, Value, Vector};

/// Malformed or over-limit AMF input.
///
/// A word-sized tag (`repr(u64)`), like [`Value`]'s: the decoders return
/// `Result<_, AmfError>` for every value, and with a byte tag the `u8` payloads sat at
/// byte 1, so moving such a result copied unaligned ranges that stalled on store
/// forwarding even when it held a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[repr(u64)]
pub enum AmfError {
    /// The input ended inside a value.
    #[error("unexpected end of AMF input")]
    Eof,
    #[error("unknown AMF0 type marker {0:#04x}")]
    /// A type marker AMF0 does not define (above 0x11).
    UnknownAmf0Marker(u8),
    #[error("unknown AMF3 type marker {0:#04x}")]
    /// A type marker AMF3 does not define (above 0x11).
    UnknownAmf3Marker(u8),
    #[error("AMF0 type marker {0:#04x} (movieclip/recordset) is reserved and not supported")]
    /// AMF0 `movieclip` (0x04) or `recordset` (0x0E): reserved by the spec, never sent.
    ReservedMarker(u8),
    #[error("AMF0 object-end marker where a value was expected")]
    /// An AMF0 object-end marker (0x09) outside an object's property list.
    UnexpectedObjectEnd,
    #[error("AMF nesting deeper than the limit of {limit}")]
    /// Containers nested deeper than [`DecodeLimits::max_depth`].
    DepthExceeded {
        /// The limit.
        limit: usize,
    },
    #[error("more than {limit} entries in an AMF reference table")]
    /// A reference table grew past [`DecodeLimits::max_references`].
    TooManyReferences {
        /// The limit.
        limit: usize,
    },
    #[error("AMF input decodes to more than {limit} values")]
    /// The message expands to more than [`DecodeLimits::max_values`] values.
    TooManyValues {
        /// The limit.
        limit: usize,
    },
    #[error("AMF {table} reference {index} is out of range or to a value still being decoded")]
    /// A reference to an entry the table does not have yet, or to a container that is
    /// still being decoded (a cycle).
    BadReference {
        /// Which table, e.g. `AMF3 string` or `AMF0 object`.
        table: &'static str,
        /// The index read from the wire.
        index: u32,
    },
    #[error("AMF length {length} does not fit in the {remaining} bytes left")]
    /// A length prefix larger than the rest of the input: refused before allocating.
    LengthExceedsInput {
        /// The length read from the wire.
        length: u64,
        /// Bytes left in the input.
        remaining: usize,
    },
    #[error("AMF3 externalizable object of class {class_name:?} cannot be decoded")]
    /// An AMF3 externalizable object: its body is class-specific code, so it cannot be
    /// read without knowing the class.
    Externalizable {
        /// The class that serialized itself.
        class_name: String,
    },
}

/// Bounds on what one AMF message may make the decoder build.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// Deepest nesting of objects, arrays, vectors and dictionaries. The decoders recurse,
    /// so keep this modest (64 levels use a few tens of KiB of stack).
    pub max_depth: usize,
    /// Most entries in each reference table (AMF0 objects; AMF3 strings, objects, traits).
    pub max_references: usize,
    /// Most values (every node of the tree, counting each copy a reference expands to) one
    /// decoder may produce. This is what keeps reference chains from blowing up memory.
    pub max_values: usize,
}

impl DecodeLimits {
    /// Default for [`DecodeLimits::max_values`]: far above the largest `onMetaData`
    /// (keyframe tables of a ten-hour file), about 10 MiB of [`Value`]s.
    pub const DEFAULT_MAX_VALUES: usize = 256 * 1024;
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits::from(&crate::Limits::default())
    }
}

impl From<&crate::Limits> for DecodeLimits {
    fn from(limits: &crate::Limits) -> Self {
        DecodeLimits {
            max_depth: limits.max_amf_depth,
            max_references: limits.max_amf_references,
            max_values: Self::DEFAULT_MAX_VALUES,
        }
    }
}

/// Counts decoded values against [`DecodeLimits::max_values`]; shared by an AMF0 decoder and
/// the AMF3 values it switches into.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    used: usize,
    limit: usize,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Self {
        Budget { used: 0, limit }
    }

    pub(crate) fn charge(&mut self, values: usize) -> Result<(), AmfError> {
        self.used = self.used.saturating_add(values);
        if self.used > self.limit {
            return Err(AmfError::TooManyValues { limit: self.limit });
        }
        Ok(())
    }

    /// Fails before allocating room for `count` more values that would break the limit.
    pub(crate) fn check_room(&self, count: u64) -> Result<(), AmfError> {
        if count > self.limit.saturating_sub(self.used) as u64 {
            return Err(AmfError::TooManyValues { limit: self.limit });
        }
        Ok(())
    }
}

/// Fails when entering one more level of nesting at `depth` breaks the limit.
pub(crate) fn check_depth(depth: usize, limits: &DecodeLimits) -> Result<(), AmfError> {
    if depth >= limits.max_depth {
        return Err(AmfError::DepthExceeded {
            limit: limits.max_depth,
        });
    }
    Ok(())
}
