//! [`Value`]: one model for every AMF0 and AMF3 type.
//!
//! The model keeps the distinctions that change the bytes on the wire, so that
//! `encode(decode(bytes)) == bytes` for well-formed input without references:
//! - AMF3 values met inside AMF0 (marker `0x11`) stay wrapped in [`Value::Amf3`].
//! - AMF3 integers ([`Value::Integer`]) are distinct from doubles ([`Value::Number`]).
//! - AMF0 ECMA and strict arrays are distinct from the AMF3 [`Array`].
//! - Objects remember their class name and their AMF3 traits (sealed count, dynamic).
//!
//! What the model does not keep: references (decoders expand them, values are trees), the
//! AMF0 string-vs-long-string choice (made from the length), and the element count written
//! in an ECMA array header (the real count is written back).

use bytes::Bytes;

use super::AmfString;

/// Object properties and associative array entries, in wire order.
pub type Properties = Vec<(AmfString, Value)>;

/// An AMF0 or AMF3 value.
///
/// Equality compares doubles by their bits, so `NaN == NaN` (same encoding) and
/// `0.0 != -0.0`: two values are equal exactly when they encode the same.
///
/// The tag takes a whole word (`repr(u64)`), so every payload starts on a word boundary.
/// With a byte tag rustc packed the small payloads (a bool, an i32) right after it, and
/// moving a `Value` whose variant it does not know (out of a `Result`, into a vector)
/// copied bytes 1..40 with unaligned loads that each spanned two of the stores that
/// built the value: a store-forwarding stall per decoded value.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[repr(u64)]
pub enum Value {
    /// AMF0 number, AMF3 double.
    Number(f64),
    /// AMF0 boolean, AMF3 true/false.
    Boolean(bool),
    /// AMF0 string or long string (chosen by length), AMF3 string.
    String(AmfString),
    /// AMF0 anonymous or typed object, AMF3 object.
    Object(Box<Object>),
    /// AMF0/AMF3 null.
    Null,
    /// AMF0/AMF3 undefined.
    Undefined,
    /// AMF0 ECMA array (associative). Written to AMF3 as an [`Array`] with no dense part.
    EcmaArray(Properties),
    /// AMF0 strict array. Written to AMF3 as a dense [`Array`].
    StrictArray(Vec<Value>),
    /// AMF0 date (with time zone, minutes) or AMF3 date (time zone always 0).
    Date {
        /// Milliseconds since 1970-01-01 UTC.
        millis: f64,
        /// AMF0's time zone offset in minutes; the spec says to send 0, and AMF3 has none.
        timezone: i16,
    },
    /// AMF0 unsupported marker. Written to AMF3 as undefined.
    Unsupported,
    /// AMF0 XML document, AMF3 XMLDocument (marker 0x07).
    XmlDocument(AmfString),
    /// An AMF3 value inside an AMF0 stream (AMF0 marker 0x11). Accessors look through it.
    Amf3(Box<Value>),
    /// AMF3 integer (29-bit signed). Values outside -2^28..2^28 are written as doubles.
    Integer(i32),
    /// AMF3 array: dense part and associative part.
    Array(Box<Array>),
    /// AMF3 XML (E4X, marker 0x0B).
    Xml(AmfString),
    /// AMF3 ByteArray.
    ByteArray(Bytes),
    /// AMF3 `Vector.<int>`.
    VectorInt(Vector<i32>),
    /// AMF3 `Vector.<uint>`.
    VectorUint(Vector<u32>),
    /// AMF3 `Vector.<Number>`.
    VectorDouble(Vector<f64>),
    /// AMF3 `Vector.<Object>` (typed by name).
    VectorObject(Box<ObjectVector>),
    /// AMF3 Dictionary.
    Dictionary(Box<Dictionary>),
}

/// An object: AMF0 anonymous (`class_name: None`) or typed, or an AMF3 object with traits.
///
/// For AMF3 the first `sealed_count` properties are the sealed members (names in the traits)
/// and the rest are dynamic members. AMF0 has neither notion: AMF0 decoding gives
/// `sealed_count: 0, dynamic: true`, which is also what [`Object::new`] builds. In AMF3 an
/// empty class name means anonymous, so it decodes as `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// The class name of a typed object; `None` for an anonymous one.
    pub class_name: Option<AmfString>,
    /// Name/value pairs in wire order: sealed members first, then dynamic ones.
    pub properties: Properties,
    /// How many leading `properties` are AMF3 sealed members.
    pub sealed_count: usize,
    /// Whether an AMF3 object carries dynamic members after the sealed ones.
    pub dynamic: bool,
}

/// AMF3 array: the associative part is written first on the wire.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Array {
    /// The values at indices 0, 1, 2, ...
    pub dense: Vec<Value>,
    /// The named entries, in wire order.
    pub assoc: Properties,
}

/// AMF3 vector of a primitive type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Vector<T> {
    /// Whether the vector has a fixed length (ActionScript `fixed`).
    pub fixed: bool,
    /// The elements.
    pub items: Vec<T>,
}

/// AMF3 `Vector.<Object>`; `type_name` is the element class name (`"*"` for any).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectVector {
    /// Whether the vector has a fixed length (ActionScript `fixed`).
    pub fixed: bool,
    /// The element class name; `"*"` for any.
    pub type_name: AmfString,
    /// The elements.
    pub items: Vec<Value>,
}

/// AMF3 Dictionary: keys are arbitrary values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dictionary {
    /// Whether the keys were weakly referenced (ActionScript `weakKeys`).
    pub weak_keys: bool,
    /// Key/value pairs in wire order.
    pub entries: Vec<(Value, Value)>,
}

impl Object {
    /// An empty anonymous dynamic object.
    pub fn new() -> Self {
        Object {
            class_name: None,
            properties: Vec::new(),
            sealed_count: 0,
            dynamic: true,
        }
    }

    /// An anonymous dynamic object with these properties.
    pub fn with_properties(properties: Properties) -> Self {
        Object {
            properties,
            ..Object::new()
        }
    }

    /// The first property named `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        find(&self.properties, key)
    }

    /// The first property named `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        find_mut(&mut self.properties, key)
    }

    /// Sets `key` (replacing the first property of that name, else appending).
    pub fn insert(&mut self, key: impl Into<AmfString>, value: impl Into<Value>) {
        let key = key.into();
        match find_mut(&mut self.properties, &key) {
            Some(slot) => *slot = value.into(),
            None => self.properties.push((key, value.into())),
        }
    }
}

impl Default for Object {
    fn default() -> Self {
        Object::new()
    }
}

impl<T> Vector<T> {
    /// A variable-length vector of these items.
    pub fn new(items: Vec<T>) -> Self {
        Vector {
            fixed: false,
            items,
        }
    }
}

fn find<'a>(properties: &'a [(AmfString, Value)], key: &str) -> Option<&'a Value> {
    properties
        .iter()
        .find(|(k, _)| k.as_bytes() == key.as_bytes())
        .map(|(_, v)| v)
}

fn find_mut<'a>(properties: &'a mut [(AmfString, Value)], key: &str) -> Option<&'a mut Value> {
    properties
        .iter_mut()
        .find(|(k, _)| k.as_bytes() == key.as_bytes())
        .map(|(_, v)| v)
}

fn to_properties<K, V>(entries: impl IntoIterator<Item = (K, V)>) -> Properties
where
    K: Into<AmfString>,
    V: Into<Value>,
{
    entries
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
}

impl Value {
    /// An anonymous object: `Value::object([("app", "live".into()), ("capabilities", 15.0.into())])`.
    pub fn object<K, V>(properties: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<AmfString>,
        V: Into<Value>,
    {
        Value::Object(Box::new(Object::with_properties(to_properties(properties))))
    }

    /// A typed object (AMF0 marker 0x10, AMF3 object with a class name).
    pub fn typed_object<K, V>(
        class_name: impl Into<AmfString>,
        properties: impl IntoIterator<Item = (K, V)>,
    ) -> Self
    where
        K: Into<AmfString>,
        V: Into<Value>,
    {
        Value::Object(Box::new(Object {
            class_name: Some(class_name.into()),
            ..Object::with_properties(to_properties(properties))
        }))
    }

    /// An ECMA array (what `onMetaData` carries).
    pub fn ecma_array<K, V>(entries: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<AmfString>,
        V: Into<Value>,
    {
        Value::EcmaArray(to_properties(entries))
    }

    /// An AMF0 strict array.
    pub fn strict_array<V: Into<Value>>(items: impl IntoIterator<Item = V>) -> Self {
        Value::StrictArray(items.into_iter().map(Into::into).collect())
    }

    /// The value itself, or the AMF3 value behind an AMF0 switch marker.
    pub fn unwrap_amf3(&self) -> &Value {
        match self {
            Value::Amf3(inner) => inner.unwrap_amf3(),
            other => other,
        }
    }

    /// The named property of an object, ECMA array or AMF3 array's associative part.
    pub fn get(&self, key: &str) -> Option<&Value> {
        find(self.properties()?, key)
    }

    /// The named property, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Value::Amf3(inner) => inner.get_mut(key),
            Value::Object(o) => o.get_mut(key),
            Value::EcmaArray(p) => find_mut(p, key),
            Value::Array(a) => find_mut(&mut a.assoc, key),
            _ => None,
        }
    }

    /// Properties of an object, ECMA array or AMF3 array's associative part, in wire order.
    pub fn properties(&self) -> Option<&[(AmfString, Value)]> {
        match self.unwrap_amf3() {
            Value::Object(o) => Some(&o.properties),
            Value::EcmaArray(p) => Some(p),
            Value::Array(a) => Some(&a.assoc),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self.unwrap_amf3() {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Items of a strict array or an AMF3 array's dense part.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self.unwrap_amf3() {
            Value::StrictArray(items) => Some(items),
            Value::Array(a) => Some(&a.dense),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        self.as_amf_string().map(AmfString::as_str)
    }

    /// The string (sharing the payload), if this is one.
    pub fn as_amf_string(&self) -> Option<&AmfString> {
        match self.unwrap_amf3() {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A number or AMF3 integer as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        match self.unwrap_amf3() {
            Value::Number(n) => Some(*n),
            Value::Integer(i) => Some(f64::from(*i)),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.unwrap_amf3() {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// Whether this is null.
    pub fn is_null(&self) -> bool {
        matches!(self.unwrap_amf3(), Value::Null)
    }

    /// Whether this is undefined.
    pub fn is_undefined(&self) -> bool {
        matches!(self.unwrap_amf3(), Value::Undefined)
    }
}

fn same_f64(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        use Value as V;
        match (self, other) {
            (V::Number(a), V::Number(b)) => same_f64(*a, *b),
            (V::Boolean(a), V::Boolean(b)) => a == b,
            (V::String(a), V::String(b)) => a == b,
            (V::Object(a), V::Object(b)) => a == b,
            (V::Null, V::Null) | (V::Undefined, V::Undefined) => true,
            (V::Unsupported, V::Unsupported) => true,
            (V::EcmaArray(a), V::EcmaArray(b)) => a == b,
            (V::StrictArray(a), V::StrictArray(b)) => a == b,
            (
                V::Date {
                    millis: a,
                    timezone: x,
                },
                V::Date {
                    millis: b,
                    timezone: y,
                },
            ) => same_f64(*a, *b) && x == y,
            (V::XmlDocument(a), V::XmlDocument(b)) => a == b,
            (V::Amf3(a), V::Amf3(b)) => a == b,
            (V::Integer(a), V::Integer(b)) => a == b,
            (V::Array(a), V::Array(b)) => a == b,
            (V::Xml(a), V::Xml(b)) => a == b,
            (V::ByteArray(a), V::ByteArray(b)) => a == b,
            (V::VectorInt(a), V::VectorInt(b)) => a == b,
            (V::VectorUint(a), V::VectorUint(b)) => a == b,
            (V::VectorDouble(a), V::VectorDouble(b)) => {
                a.fixed == b.fixed
                    && a.items.len() == b.items.len()
                    && a.items.iter().zip(&b.items).all(|(x, y)| same_f64(*x, *y))
            }
            (V::VectorObject(a), V::VectorObject(b)) => a == b,
            (V::Dictionary(a), V::Dictionary(b)) => a == b,
            _ => false,
        }
    }
}

impl From<&'static str> for Value {
    fn from(s: &'static str) -> Self {
        Value::String(AmfString::from_static(s))
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::String(s.into())
    }
}

impl From<AmfString> for Value {
    fn from(s: AmfString) -> Self {
        Value::String(s)
    }
}

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Value::Number(n)
    }
}

/// Integers become [`Value::Number`]: that is what RTMP commands carry in AMF0.
impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Number(f64::from(n))
    }
}

/// Integers become [`Value::Number`]: that is what RTMP commands carry in AMF0.
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::Number(f64::from(n))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<Object> for Value {
    fn from(o: Object) -> Self {
        Value::Object(Box::new(o))
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::StrictArray(items)
    }
}

/// `None` becomes [`Value::Null`].
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stays_small() {
        // Properties vectors hold (AmfString, Value) pairs; keep Value at 40 bytes.
        assert!(std::mem::size_of::<Value>() <= 40);
        // The word tag's unused values still serve as the niche of `Option` and `Result`.
        assert_eq!(
            std::mem::size_of::<Option<Value>>(),
            std::mem::size_of::<Value>()
        );
    }

    #[test]
    fn accessors_look_through_amf3_switch() {
        let v = Value::Amf3(Box::new(Value::object([("app", "live")])));
        assert_eq!(v.get("app").and_then(Value::as_str), Some("live"));
        assert_eq!(Value::Amf3(Box::new(Value::Integer(3))).as_f64(), Some(3.0));
        assert!(Value::Amf3(Box::new(Value::Null)).is_null());
    }

    #[test]
    fn equality_is_bitwise_on_doubles() {
        assert_eq!(Value::Number(f64::NAN), Value::Number(f64::NAN));
        assert_ne!(Value::Number(0.0), Value::Number(-0.0));
        assert_ne!(Value::Number(1.0), Value::Integer(1));
    }

    #[test]
    fn insert_replaces_then_appends() {
        let mut o = Object::new();
        o.insert("a", 1.0);
        o.insert("b", true);
        o.insert("a", "x");
        assert_eq!(o.properties.len(), 2);
        assert_eq!(o.get("a"), Some(&Value::from("x")));
        assert_eq!(Value::from(None::<f64>), Value::Null);
    }
}
