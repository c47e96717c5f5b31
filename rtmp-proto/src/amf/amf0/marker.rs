//! AMF0 type markers (RTMP-NOTES item 10).

pub(crate) const NUMBER: u8 = 0x00;
pub(crate) const BOOLEAN: u8 = 0x01;
pub(crate) const STRING: u8 = 0x02;
pub(crate) const OBJECT: u8 = 0x03;
pub(crate) const MOVIECLIP: u8 = 0x04;
pub(crate) const NULL: u8 = 0x05;
pub(crate) const UNDEFINED: u8 = 0x06;
pub(crate) const REFERENCE: u8 = 0x07;
pub(crate) const ECMA_ARRAY: u8 = 0x08;
pub(crate) const OBJECT_END: u8 = 0x09;
pub(crate) const STRICT_ARRAY: u8 = 0x0A;
pub(crate) const DATE: u8 = 0x0B;
pub(crate) const LONG_STRING: u8 = 0x0C;
pub(crate) const UNSUPPORTED: u8 = 0x0D;
pub(crate) const RECORDSET: u8 = 0x0E;
pub(crate) const XML_DOCUMENT: u8 = 0x0F;
pub(crate) const TYPED_OBJECT: u8 = 0x10;
pub(crate) const AVMPLUS: u8 = 0x11;
