//! Errors of the client resilience module, each naming what was wrong.

use super::state::ConnectionState;

/// A malformed or unsupported `rtmp://` / `rtmps://` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    #[error("URL is {len} bytes long, more than the limit of {max}")]
    TooLong { len: usize, max: usize },
    #[error("URL contains {ch:?} at byte {at}; whitespace and control characters are not allowed")]
    InvalidChar { ch: char, at: usize },
    #[error("URL has no scheme; expected rtmp:// or rtmps://")]
    MissingScheme,
    #[error("unsupported scheme {0:?}; expected rtmp or rtmps")]
    UnsupportedScheme(String),
    #[error("credentials (user@host) in the URL are not supported; pass them in the query")]
    Credentials,
    #[error("URL has no host")]
    EmptyHost,
    #[error("invalid host {0:?}: letters, digits, '-', '.' and '_' only (IPv6 goes in brackets)")]
    InvalidHost(String),
    #[error("invalid IPv6 address {0:?} in brackets")]
    InvalidIpv6(String),
    #[error("invalid port {0:?}: expected a number from 1 to 65535")]
    InvalidPort(String),
    #[error("URL has no application name (rtmp://host/app[/stream])")]
    MissingApp,
    #[error("application name {0:?} has an empty path segment")]
    EmptySegment(String),
}

/// A malformed URL template, or a failed expansion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    #[error(
        "template has '{{' at byte {at} without a closing '}}' (write '{{{{' for a literal brace)"
    )]
    Unclosed { at: usize },
    #[error(
        "template has '}}' at byte {at} without an opening '{{' (write '}}}}' for a literal brace)"
    )]
    UnmatchedClose { at: usize },
    #[error("template placeholder at byte {at} has no name")]
    EmptyName { at: usize },
    #[error("template placeholder {name:?} at byte {at}: names use letters, digits and '_' only")]
    InvalidName { name: String, at: usize },
    #[error("template uses variable {0:?}, which is not one of the known variables")]
    UnknownVariable(String),
    #[error("no value given for template variable {0:?}")]
    MissingVariable(String),
    #[error("template is {len} bytes long, more than the limit of {max}")]
    TooLong { len: usize, max: usize },
    #[error("expanded template is not a valid URL: {0}")]
    InvalidUrl(#[from] UrlError),
}

/// A reconnect policy or failover list that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("failover list is empty; give at least the primary URL")]
    NoUrls,
    #[error("backoff factor {0} must be a finite number >= 1")]
    BadFactor(f64),
    #[error("jitter {0} must be between 0 and 1")]
    BadJitter(f64),
    #[error("initial delay is longer than the maximum delay")]
    InitialAboveMax,
}

/// A state change the connection state machine does not allow; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("illegal connection state change from {from:?} to {to:?}")]
#[non_exhaustive]
pub struct IllegalTransition {
    pub from: ConnectionState,
    pub to: ConnectionState,
}
