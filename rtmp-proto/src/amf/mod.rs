//! AMF0 and AMF3: the value encodings of commands and metadata.

/// Malformed or over-limit AMF input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmfError {
    #[error("unexpected end of AMF input")]
    Eof,
}
