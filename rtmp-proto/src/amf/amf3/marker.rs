//! AMF3 type markers (RTMP-NOTES item 11).

pub(crate) const UNDEFINED: u8 = 0x00;
pub(crate) const NULL: u8 = 0x01;
pub(crate) const FALSE: u8 = 0x02;
pub(crate) const TRUE: u8 = 0x03;
pub(crate) const INTEGER: u8 = 0x04;
pub(crate) const DOUBLE: u8 = 0x05;
pub(crate) const STRING: u8 = 0x06;
pub(crate) const XML_DOC: u8 = 0x07;
pub(crate) const DATE: u8 = 0x08;
pub(crate) const ARRAY: u8 = 0x09;
pub(crate) const OBJECT: u8 = 0x0A;
pub(crate) const XML: u8 = 0x0B;
pub(crate) const BYTE_ARRAY: u8 = 0x0C;
pub(crate) const VECTOR_INT: u8 = 0x0D;
pub(crate) const VECTOR_UINT: u8 = 0x0E;
pub(crate) const VECTOR_DOUBLE: u8 = 0x0F;
pub(crate) const VECTOR_OBJECT: u8 = 0x10;
pub(crate) const DICTIONARY: u8 = 0x11;

/// Largest U29 (28 bits of payload after the reference/inline flag shifts are applied by
/// the caller; 29 bits raw).
pub(crate) const U29_MAX: u32 = 0x1FFF_FFFF;
/// Range of [`crate::amf::Value::Integer`] that fits the AMF3 integer type.
pub(crate) const INT_MIN: i32 = -(1 << 28);
pub(crate) const INT_MAX: i32 = (1 << 28) - 1;
