//! AMF3 decoding with string, object and traits reference tables.
//!
//! The object table does not hold copies of decoded values: it holds the input offset where
//! each complex value starts, and a reference re-decodes ("replays") that value with table
//! growth switched off. The common case (no references) thus pays one `usize` push per
//! complex value instead of a deep clone, and a reference chain costs work bounded by the
//! value budget, since every replayed node is charged like any other.

use std::sync::Arc;

use super::marker;
use crate::amf::reader::Reader;
use crate::amf::{
    AmfError, AmfString, Array, Budget, DecodeLimits, Dictionary, Object, ObjectVector, Properties,
    Value, Vector, check_depth,
};

/// Class definition shared by every object that references it.
#[derive(Debug)]
struct Traits {
    class_name: Option<AmfString>,
    sealed: Vec<AmfString>,
    dynamic: bool,
}

/// Reference tables of one AMF3 message (or of every AMF3 value inside one AMF0 message).
#[derive(Debug)]
pub(crate) struct Context {
    limits: DecodeLimits,
    strings: Vec<AmfString>,
    /// Start offset of each complex value; `None` while it is still being decoded.
    objects: Vec<Option<usize>>,
    traits: Vec<Arc<Traits>>,
    /// Nesting of replays in progress: while non-zero nothing is added to any table (the
    /// first decode already did).
    replaying: u32,
    /// Property pairs of the objects being decoded, so each finished object gets one
    /// exactly sized vector.
    scratch: Properties,
}

/// Reads a U29: 1 to 4 bytes, 7 bits each from the first three, 8 from the fourth.
pub(crate) fn read_u29(r: &mut Reader) -> Result<u32, AmfError> {
    let mut v = 0u32;
    for _ in 0..3 {
        let b = r.u8()?;
        if b & 0x80 == 0 {
            return Ok((v << 7) | u32::from(b));
        }
        v = (v << 7) | u32::from(b & 0x7f);
    }
    Ok((v << 8) | u32::from(r.u8()?))
}

/// Reference-or-inline header: `Err(index)` for a reference, `Ok(value)` for inline data.
fn split(header: u32) -> Result<u32, u32> {
    if header & 1 == 0 {
        Err(header >> 1)
    } else {
        Ok(header >> 1)
    }
}

impl Context {
    pub(crate) fn new(limits: DecodeLimits) -> Self {
        Context {
            limits,
            strings: Vec::new(),
            objects: Vec::new(),
            traits: Vec::new(),
            replaying: 0,
            scratch: Vec::new(),
        }
    }

    /// Whether a referenced value is being re-decoded (tables must not grow). AMF0 shares
    /// this flag so that AMF3 values inside a replayed AMF0 value do not grow them either.
    pub(crate) fn is_replaying(&self) -> bool {
        self.replaying > 0
    }

    pub(crate) fn begin_replay(&mut self) {
        self.replaying = self.replaying.saturating_add(1);
    }

    pub(crate) fn end_replay(&mut self) {
        self.replaying = self.replaying.saturating_sub(1);
    }

    fn check_table(&self, len: usize) -> Result<(), AmfError> {
        if len >= self.limits.max_references {
            return Err(AmfError::TooManyReferences {
                limit: self.limits.max_references,
            });
        }
        Ok(())
    }

    /// A string-table string (values, keys, class names).
    fn string(&mut self, r: &mut Reader) -> Result<AmfString, AmfError> {
        match split(read_u29(r)?) {
            Err(index) => self
                .strings
                .get(index as usize)
                .cloned()
                .ok_or(AmfError::BadReference {
                    table: "AMF3 string",
                    index,
                }),
            Ok(len) => {
                let s = r.string(u64::from(len))?;
                // The empty string is never sent by reference, so never enters the table.
                if !s.is_empty() && !self.is_replaying() {
                    self.check_table(self.strings.len())?;
                    self.strings.push(s.clone());
                }
                Ok(s)
            }
        }
    }

    /// Claims the next object-table slot (completed with the value's start offset).
    fn reserve(&mut self) -> Result<Option<usize>, AmfError> {
        if self.is_replaying() {
            return Ok(None);
        }
        self.check_table(self.objects.len())?;
        self.objects.push(None);
        Ok(Some(self.objects.len() - 1))
    }

    fn complete(&mut self, slot: Option<usize>, start: usize) {
        if let Some(entry) = slot.and_then(|i| self.objects.get_mut(i)) {
            *entry = Some(start);
        }
    }

    /// Registers a value with no children (date, XML, byte array, vectors) as complete.
    fn register(&mut self, start: usize) -> Result<(), AmfError> {
        let slot = self.reserve()?;
        self.complete(slot, start);
        Ok(())
    }

    /// Re-decodes the complex value behind object reference `index`.
    fn object_ref(
        &mut self,
        r: &Reader,
        budget: &mut Budget,
        depth: usize,
        index: u32,
    ) -> Result<Value, AmfError> {
        let Some(Some(start)) = self.objects.get(index as usize).copied() else {
            return Err(AmfError::BadReference {
                table: "AMF3 object",
                index,
            });
        };
        let mut at = r.at(start);
        self.begin_replay();
        let out = self.value(&mut at, budget, depth);
        self.end_replay();
        out
    }

    /// Decodes one AMF3 value at nesting `depth`.
    pub(crate) fn value(
        &mut self,
        r: &mut Reader,
        budget: &mut Budget,
        depth: usize,
    ) -> Result<Value, AmfError> {
        budget.charge(1)?;
        let start = r.position();
        let m = r.u8()?;
        Ok(match m {
            marker::UNDEFINED => Value::Undefined,
            marker::NULL => Value::Null,
            marker::FALSE => Value::Boolean(false),
            marker::TRUE => Value::Boolean(true),
            marker::INTEGER => {
                // Sign-extend the 29-bit value.
                Value::Integer(((read_u29(r)? << 3) as i32) >> 3)
            }
            marker::DOUBLE => Value::Number(r.f64()?),
            marker::STRING => Value::String(self.string(r)?),
            marker::XML_DOC | marker::XML => match split(read_u29(r)?) {
                Err(index) => return self.object_ref(r, budget, depth, index),
                Ok(len) => {
                    let s = r.string(u64::from(len))?;
                    self.register(start)?;
                    if m == marker::XML {
                        Value::Xml(s)
                    } else {
                        Value::XmlDocument(s)
                    }
                }
            },
            marker::DATE => match split(read_u29(r)?) {
                Err(index) => return self.object_ref(r, budget, depth, index),
                Ok(_) => {
                    let millis = r.f64()?;
                    self.register(start)?;
                    Value::Date {
                        millis,
                        timezone: 0,
                    }
                }
            },
            marker::ARRAY => match split(read_u29(r)?) {
                Err(index) => return self.object_ref(r, budget, depth, index),
                Ok(dense_len) => self.array(r, budget, depth, start, dense_len)?,
            },
            marker::OBJECT => self.object(r, budget, depth, start)?,
            marker::BYTE_ARRAY => match split(read_u29(r)?) {
                Err(index) => return self.object_ref(r, budget, depth, index),
                Ok(len) => {
                    let bytes = r.bytes(u64::from(len))?;
                    self.register(start)?;
                    Value::ByteArray(bytes)
                }
            },
            marker::VECTOR_INT => match split(read_u29(r)?) {
                Err(index) => return self.object_ref(r, budget, depth, index),
                Ok(n) => Value::VectorInt(self.vector(r, budget, start, n, 4, Reader::i32)?),
            },
            marker::VECTOR_UINT => match split(read_u29(r)?) {
                Err(index) => return self.object_ref(r, budget, depth, index),
                Ok(n) => Value::VectorUint(self.vector(r, budget, start, n, 4, Reader::u32)?),
            },
            marker::VECTOR_DOUBLE => match split(read_u29(r)?) {
                Err(index) => return self.object_ref(r, budget, depth, index),
                Ok(n) => Value::VectorDouble(self.vector(r, budget, start, n, 8, Reader::f64)?),
            },
            marker::VECTOR_OBJECT => match split(read_u29(r)?) {
                Err(index) => return self.object_ref(r, budget, depth, index),
                Ok(n) => self.object_vector(r, budget, depth, start, n)?,
            },
            marker::DICTIONARY => match split(read_u29(r)?) {
                Err(index) => return self.object_ref(r, budget, depth, index),
                Ok(n) => self.dictionary(r, budget, depth, start, n)?,
            },
            other => return Err(AmfError::UnknownAmf3Marker(other)),
        })
    }

    /// Items of a dense part, vector or similar: `count` values, each at least one byte,
    /// checked against the input and the budget before the vector is allocated.
    fn values(
        &mut self,
        r: &mut Reader,
        budget: &mut Budget,
        depth: usize,
        count: u32,
    ) -> Result<Vec<Value>, AmfError> {
        r.check_fits(u64::from(count), 1)?;
        budget.check_room(u64::from(count))?;
        let mut items = Vec::with_capacity(count as usize);
        for _ in 0..count {
            items.push(self.value(r, budget, depth + 1)?);
        }
        Ok(items)
    }

    /// Key/value pairs up to the empty key, collected on the scratch stack.
    fn dynamic_members(
        &mut self,
        r: &mut Reader,
        budget: &mut Budget,
        depth: usize,
    ) -> Result<(), AmfError> {
        loop {
            let key = self.string(r)?;
            if key.is_empty() {
                return Ok(());
            }
            let value = self.value(r, budget, depth + 1)?;
            self.scratch.push((key, value));
        }
    }

    fn array(
        &mut self,
        r: &mut Reader,
        budget: &mut Budget,
        depth: usize,
        start: usize,
        dense_len: u32,
    ) -> Result<Value, AmfError> {
        check_depth(depth, &self.limits)?;
        let slot = self.reserve()?;
        let mark = self.scratch.len();
        self.dynamic_members(r, budget, depth)?;
        let assoc = self.scratch.split_off(mark);
        let dense = self.values(r, budget, depth, dense_len)?;
        self.complete(slot, start);
        Ok(Value::Array(Box::new(Array { dense, assoc })))
    }

    fn object(
        &mut self,
        r: &mut Reader,
        budget: &mut Budget,
        depth: usize,
        start: usize,
    ) -> Result<Value, AmfError> {
        let header = read_u29(r)?;
        if header & 1 == 0 {
            return self.object_ref(r, budget, depth, header >> 1);
        }
        let traits = if header & 2 == 0 {
            let index = header >> 2;
            self.traits
                .get(index as usize)
                .cloned()
                .ok_or(AmfError::BadReference {
                    table: "AMF3 traits",
                    index,
                })?
        } else if header & 4 != 0 {
            let class_name = self.string(r)?;
            return Err(AmfError::Externalizable {
                class_name: class_name.as_str().to_owned(),
            });
        } else {
            let dynamic = header & 8 != 0;
            let sealed_len = header >> 4;
            let class_name = self.string(r)?;
            r.check_fits(u64::from(sealed_len), 1)?;
            let mut sealed = Vec::with_capacity(sealed_len as usize);
            for _ in 0..sealed_len {
                sealed.push(self.string(r)?);
            }
            let traits = Arc::new(Traits {
                class_name: (!class_name.is_empty()).then_some(class_name),
                sealed,
                dynamic,
            });
            if !self.is_replaying() {
                self.check_table(self.traits.len())?;
                self.traits.push(traits.clone());
            }
            traits
        };
        check_depth(depth, &self.limits)?;
        let slot = self.reserve()?;
        let sealed_len = traits.sealed.len();
        r.check_fits(sealed_len as u64, 1)?;
        budget.check_room(sealed_len as u64)?;
        let mark = self.scratch.len();
        for name in &traits.sealed {
            let value = self.value(r, budget, depth + 1)?;
            self.scratch.push((name.clone(), value));
        }
        if traits.dynamic {
            self.dynamic_members(r, budget, depth)?;
        }
        let properties = self.scratch.split_off(mark);
        self.complete(slot, start);
        Ok(Value::Object(Box::new(Object {
            class_name: traits.class_name.clone(),
            properties,
            sealed_count: sealed_len,
            dynamic: traits.dynamic,
        })))
    }

    fn vector<T>(
        &mut self,
        r: &mut Reader,
        budget: &mut Budget,
        start: usize,
        count: u32,
        item_size: u64,
        read: fn(&mut Reader) -> Result<T, AmfError>,
    ) -> Result<Vector<T>, AmfError> {
        let fixed = r.u8()? != 0;
        r.check_fits(u64::from(count), item_size)?;
        // Items are charged so that references to a large vector cannot copy it unboundedly.
        budget.charge(count as usize)?;
        let mut items = Vec::with_capacity(count as usize);
        for _ in 0..count {
            items.push(read(r)?);
        }
        self.register(start)?;
        Ok(Vector { fixed, items })
    }

    fn object_vector(
        &mut self,
        r: &mut Reader,
        budget: &mut Budget,
        depth: usize,
        start: usize,
        count: u32,
    ) -> Result<Value, AmfError> {
        let fixed = r.u8()? != 0;
        let type_name = self.string(r)?;
        check_depth(depth, &self.limits)?;
        let slot = self.reserve()?;
        let items = self.values(r, budget, depth, count)?;
        self.complete(slot, start);
        Ok(Value::VectorObject(Box::new(ObjectVector {
            fixed,
            type_name,
            items,
        })))
    }

    fn dictionary(
        &mut self,
        r: &mut Reader,
        budget: &mut Budget,
        depth: usize,
        start: usize,
        count: u32,
    ) -> Result<Value, AmfError> {
        let weak_keys = r.u8()? != 0;
        check_depth(depth, &self.limits)?;
        let slot = self.reserve()?;
        r.check_fits(u64::from(count), 2)?;
        budget.check_room(u64::from(count).saturating_mul(2))?;
        let mut entries = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let key = self.value(r, budget, depth + 1)?;
            let value = self.value(r, budget, depth + 1)?;
            entries.push((key, value));
        }
        self.complete(slot, start);
        Ok(Value::Dictionary(Box::new(Dictionary {
            weak_keys,
            entries,
        })))
    }
}
