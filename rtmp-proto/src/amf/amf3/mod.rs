//! AMF3 (RTMP-NOTES item 11): the encoding of message types 15/16/17 bodies after the
//! switch marker, and of Flash remoting.
//!
//! One [`Decoder`] or [`Encoder`] per message: the string, object and traits reference
//! tables live across the values of that message.

mod decode;
mod encode;
pub(crate) mod marker;

use bytes::{Bytes, BytesMut};

pub(crate) use decode::Context;
pub use encode::Encoder;

use super::reader::Reader;
use super::{AmfError, Budget, DecodeLimits, Value};

/// Decodes the AMF3 values of one message, one at a time.
#[derive(Debug)]
pub struct Decoder {
    r: Reader,
    ctx: Context,
    budget: Budget,
    failed: bool,
}

impl Decoder {
    /// A decoder over `input` (shared, not copied).
    pub fn new(input: &Bytes, limits: &DecodeLimits) -> Self {
        Decoder {
            r: Reader::new(input.clone()),
            ctx: Context::new(limits.clone()),
            budget: Budget::new(limits.max_values),
            failed: false,
        }
    }

    /// The next value; `None` at the end of input or after an error.
    pub fn next_value(&mut self) -> Option<Result<Value, AmfError>> {
        if self.failed || self.r.remaining() == 0 {
            return None;
        }
        let out = self.ctx.value(&mut self.r, &mut self.budget, 0);
        self.failed = out.is_err();
        Some(out)
    }

    /// Bytes not decoded yet.
    pub fn remaining(&self) -> usize {
        self.r.remaining()
    }

    /// The input not decoded yet.
    pub fn rest(&self) -> Bytes {
        self.r.rest()
    }
}

impl Iterator for Decoder {
    type Item = Result<Value, AmfError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.next_value()
    }
}

/// Decodes every AMF3 value in `input`.
pub fn decode_all(input: &Bytes, limits: &DecodeLimits) -> Result<Vec<Value>, AmfError> {
    Decoder::new(input, limits).collect()
}

/// Appends one AMF3 value (fresh reference tables).
pub fn encode(value: &Value, out: &mut BytesMut) {
    Encoder::new().encode(value, out);
}

/// Appends AMF3 values sharing one set of reference tables.
pub fn encode_all(values: &[Value], out: &mut BytesMut) {
    let mut encoder = Encoder::new();
    values.iter().for_each(|v| encoder.encode(v, out));
}
