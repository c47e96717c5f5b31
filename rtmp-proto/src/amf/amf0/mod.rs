//! AMF0 (RTMP-NOTES item 10): the encoding of commands (type 20) and data (type 18).
//!
//! One [`Decoder`] or [`Encoder`] per message: AMF0 object references and the AMF3 values
//! behind switch markers (0x11) share tables across the values of that message.

mod decode;
mod encode;
pub(crate) mod marker;

use bytes::{Bytes, BytesMut};

pub use encode::Encoder;
pub(crate) use encode::encoded_len;

use super::reader::Reader;
use super::{AmfError, AmfString, DecodeLimits, Value};

/// Decodes the AMF0 values of one message, one at a time (a command name, a transaction
/// id, then arguments).
#[derive(Debug)]
pub struct Decoder {
    r: Reader,
    state: decode::State,
    failed: bool,
}

impl Decoder {
    /// A decoder over `input` (shared, not copied).
    pub fn new(input: &Bytes, limits: &DecodeLimits) -> Self {
        Decoder {
            r: Reader::new(input.clone()),
            state: decode::State::new(limits),
            failed: false,
        }
    }

    /// The next value; `None` at the end of input or after an error.
    pub fn next_value(&mut self) -> Option<Result<Value, AmfError>> {
        if self.failed || self.r.remaining() == 0 {
            return None;
        }
        let out = self.state.value(&mut self.r, 0);
        self.failed = out.is_err();
        Some(out)
    }

    /// The next value, or null at the end of input (a command's optional command object).
    pub(crate) fn next_or_null(&mut self) -> Result<Value, AmfError> {
        if self.failed || self.r.remaining() == 0 {
            return Ok(Value::Null);
        }
        let out = self.state.value(&mut self.r, 0);
        self.failed = out.is_err();
        out
    }

    /// Decodes every remaining value onto `out` (a command's arguments). Same values and
    /// errors as iterating, without wrapping each value in `Option<Result<..>>` and
    /// unwrapping it again: those moves of a just-built value cost more than decoding a
    /// short one.
    pub(crate) fn rest_into(&mut self, out: &mut Vec<Value>) -> Result<(), AmfError> {
        while !self.failed && self.r.remaining() > 0 {
            match self.state.value(&mut self.r, 0) {
                Ok(v) => out.push(v),
                Err(e) => {
                    self.failed = true;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// The next value when it is a plain string (marker 0x02), read straight into an
    /// [`AmfString`]; `None`, with nothing consumed, for anything else. Commands start with
    /// a name string and a transaction id: reading those without building a [`Value`]
    /// (and moving it through `Option<Result<..>>`) is a good part of decoding a short
    /// command. Same checks and budget as [`next_value`](Self::next_value).
    pub(crate) fn next_if_string(&mut self) -> Option<Result<AmfString, AmfError>> {
        if self.failed || self.r.peek_u8() != Some(marker::STRING) {
            return None;
        }
        let out = self.state.short_string(&mut self.r);
        self.failed = out.is_err();
        Some(out)
    }

    /// Like [`next_if_string`](Self::next_if_string), for a number (marker 0x00).
    pub(crate) fn next_if_number(&mut self) -> Option<Result<f64, AmfError>> {
        if self.failed || self.r.peek_u8() != Some(marker::NUMBER) {
            return None;
        }
        let out = self.state.number(&mut self.r);
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

/// Decodes every AMF0 value in `input`.
pub fn decode_all(input: &Bytes, limits: &DecodeLimits) -> Result<Vec<Value>, AmfError> {
    Decoder::new(input, limits).collect()
}

/// Appends one AMF0 value.
pub fn encode(value: &Value, out: &mut BytesMut) {
    Encoder::new().encode(value, out);
}

/// Appends AMF0 values sharing one set of AMF3 reference tables.
pub fn encode_all(values: &[Value], out: &mut BytesMut) {
    let mut encoder = Encoder::new();
    values.iter().for_each(|v| encoder.encode(v, out));
}
