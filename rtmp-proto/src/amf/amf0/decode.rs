//! AMF0 decoding: tolerant object bodies, references, and the switch into AMF3.
//!
//! References are resolved the way the AMF3 decoder resolves its object references: the
//! table holds the input offset of each object or array, and a reference re-decodes it with
//! table growth switched off, charging every node to the value budget.

use super::marker;
use crate::amf::amf3;
use crate::amf::reader::Reader;
use crate::amf::{
    AmfError, AmfString, Budget, DecodeLimits, Object, Properties, Value, check_depth,
};

/// Tables and budget of one AMF0 message (including the AMF3 values it switches into).
#[derive(Debug)]
pub(crate) struct State {
    limits: DecodeLimits,
    /// Start offset of each object/array; `None` while it is still being decoded.
    refs: Vec<Option<usize>>,
    amf3: amf3::Context,
    budget: Budget,
    /// Property pairs of the objects being decoded, so each finished object gets one
    /// exactly sized vector (AMF0 objects carry no count).
    scratch: Properties,
}

impl State {
    pub(crate) fn new(limits: &DecodeLimits) -> Self {
        State {
            limits: limits.clone(),
            refs: Vec::new(),
            amf3: amf3::Context::new(limits.clone()),
            budget: Budget::new(limits.max_values),
            scratch: Vec::new(),
        }
    }

    fn reserve(&mut self) -> Result<Option<usize>, AmfError> {
        if self.amf3.is_replaying() {
            return Ok(None);
        }
        if self.refs.len() >= self.limits.max_references {
            return Err(AmfError::TooManyReferences {
                limit: self.limits.max_references,
            });
        }
        self.refs.push(None);
        Ok(Some(self.refs.len() - 1))
    }

    fn complete(&mut self, slot: Option<usize>, start: usize) {
        if let Some(entry) = slot.and_then(|i| self.refs.get_mut(i)) {
            *entry = Some(start);
        }
    }

    fn reference(&mut self, r: &Reader, depth: usize, index: u16) -> Result<Value, AmfError> {
        let Some(Some(start)) = self.refs.get(usize::from(index)).copied() else {
            return Err(AmfError::BadReference {
                table: "AMF0 object",
                index: u32::from(index),
            });
        };
        let mut at = r.at(start);
        self.amf3.begin_replay();
        let out = self.value(&mut at, depth);
        self.amf3.end_replay();
        out
    }

    /// A string value (marker 0x02, not yet consumed), as [`value`](Self::value) reads it.
    pub(crate) fn short_string(&mut self, r: &mut Reader) -> Result<AmfString, AmfError> {
        r.u8()?;
        self.budget.charge(1)?;
        let len = r.u16()?;
        r.string(u64::from(len))
    }

    /// A number value (marker 0x00, not yet consumed), as [`value`](Self::value) reads it.
    pub(crate) fn number(&mut self, r: &mut Reader) -> Result<f64, AmfError> {
        r.u8()?;
        self.budget.charge(1)?;
        r.f64()
    }

    /// Decodes one AMF0 value at nesting `depth`.
    pub(crate) fn value(&mut self, r: &mut Reader, depth: usize) -> Result<Value, AmfError> {
        let start = r.position();
        let m = r.u8()?;
        if m == marker::AVMPLUS {
            let inner = self.amf3.value(r, &mut self.budget, depth)?;
            return Ok(Value::Amf3(Box::new(inner)));
        }
        self.budget.charge(1)?;
        Ok(match m {
            marker::NUMBER => Value::Number(r.f64()?),
            marker::BOOLEAN => Value::Boolean(r.u8()? != 0),
            marker::STRING => {
                let len = r.u16()?;
                Value::String(r.string(u64::from(len))?)
            }
            marker::OBJECT => {
                let properties = self.object_body(r, depth, start)?;
                Value::Object(Box::new(Object::with_properties(properties)))
            }
            marker::NULL => Value::Null,
            marker::UNDEFINED => Value::Undefined,
            marker::REFERENCE => {
                let index = r.u16()?;
                // The reference itself was charged; the replay charges the copy.
                return self.reference(r, depth, index);
            }
            marker::ECMA_ARRAY => {
                // The count is only a hint, and encoders get it wrong: the body ends at the
                // end marker (or the end of input).
                let _count = r.u32()?;
                Value::EcmaArray(self.object_body(r, depth, start)?)
            }
            marker::OBJECT_END => return Err(AmfError::UnexpectedObjectEnd),
            marker::STRICT_ARRAY => {
                let count = r.u32()?;
                check_depth(depth, &self.limits)?;
                let slot = self.reserve()?;
                r.check_fits(u64::from(count), 1)?;
                self.budget.check_room(u64::from(count))?;
                let mut items = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    items.push(self.value(r, depth + 1)?);
                }
                self.complete(slot, start);
                Value::StrictArray(items)
            }
            marker::DATE => Value::Date {
                millis: r.f64()?,
                timezone: r.i16()?,
            },
            marker::LONG_STRING => {
                let len = r.u32()?;
                Value::String(r.string(u64::from(len))?)
            }
            marker::UNSUPPORTED => Value::Unsupported,
            marker::XML_DOCUMENT => {
                let len = r.u32()?;
                Value::XmlDocument(r.string(u64::from(len))?)
            }
            marker::TYPED_OBJECT => {
                let len = r.u16()?;
                let class_name = r.string(u64::from(len))?;
                let properties = self.object_body(r, depth, start)?;
                Value::Object(Box::new(Object {
                    class_name: Some(class_name),
                    ..Object::with_properties(properties)
                }))
            }
            marker::MOVIECLIP | marker::RECORDSET => return Err(AmfError::ReservedMarker(m)),
            other => return Err(AmfError::UnknownAmf0Marker(other)),
        })
    }

    /// A property's value: numbers, strings and booleans (nearly every property of a
    /// `connect` object or `onMetaData`) decoded right here, the rest by
    /// [`value`](Self::value). Same reads, charges and errors as `value`; it only saves the
    /// call and the move of its result, which showed up as a stall on every property.
    #[inline(always)]
    fn property_value(&mut self, r: &mut Reader, depth: usize) -> Result<Value, AmfError> {
        match r.peek_u8() {
            Some(marker::NUMBER) => Ok(Value::Number(self.number(r)?)),
            Some(marker::STRING) => Ok(Value::String(self.short_string(r)?)),
            Some(marker::BOOLEAN) => {
                r.u8()?;
                self.budget.charge(1)?;
                Ok(Value::Boolean(r.u8()? != 0))
            }
            _ => self.value(r, depth),
        }
    }

    /// Key/value pairs up to the empty key + object-end marker. The end of input also ends
    /// the body: encoders omit the end marker of a trailing ECMA array.
    fn object_body(
        &mut self,
        r: &mut Reader,
        depth: usize,
        start: usize,
    ) -> Result<Properties, AmfError> {
        check_depth(depth, &self.limits)?;
        let slot = self.reserve()?;
        if self.scratch.capacity() == 0 {
            // Room for a typical command object without regrowing.
            self.scratch.reserve(16);
        }
        let mark = self.scratch.len();
        while r.remaining() > 0 {
            let len = r.u16()?;
            if len == 0 {
                match r.peek_u8() {
                    Some(marker::OBJECT_END) => {
                        r.u8()?;
                        break;
                    }
                    None => break,
                    // An empty key with a value: keep it as a property named "".
                    Some(_) => {}
                }
            }
            let key = r.string(u64::from(len))?;
            let value = self.property_value(r, depth + 1)?;
            self.scratch.push((key, value));
        }
        self.complete(slot, start);
        if mark == 0 {
            // Outermost object: hand over the scratch buffer itself instead of copying.
            let mut properties = std::mem::take(&mut self.scratch);
            if properties.capacity() > 2 * properties.len() {
                properties.shrink_to_fit();
            }
            return Ok(properties);
        }
        Ok(self.scratch.split_off(mark))
    }
}
