//! Errors of the client resilience module, each naming what was wrong.

use super::state::ConnectionState;

/// A malformed or unsupported `rtmp://` / `rtmps://` URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Longer than [`MAX_URL_LEN`](super::MAX_URL_LEN).
    #[error("URL is {len} bytes long, more than the limit of {max}")]
    TooLong {
        /// The URL's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Whitespace or a control character: they would corrupt `tcUrl` or hide in logs.
    #[error("URL contains {ch:?} at byte {at}; whitespace and control characters are not allowed")]
    InvalidChar {
        /// The offending character.
        ch: char,
        /// Its byte offset in the URL.
        at: usize,
    },
    #[error("URL has no scheme; expected rtmp:// or rtmps://")]
    /// No `scheme://` prefix.
    MissingScheme,
    #[error("unsupported scheme {0:?}; expected rtmp or rtmps")]
    /// A scheme other than `rtmp` or `rtmps` (such as `rtmpt` or `http`).
    UnsupportedScheme(String),
    #[error("credentials (user@host) in the URL are not supported; pass them in the query")]
    /// `user:password@` before the host: RTMP has no place to send it.
    Credentials,
    #[error("URL has no host")]
    /// Nothing between `://` and the port or path.
    EmptyHost,
    #[error("invalid host {0:?}: letters, digits, '-', '.' and '_' only (IPv6 goes in brackets)")]
    /// A host name with characters no DNS name or IPv4 address has.
    InvalidHost(String),
    #[error("invalid IPv6 address {0:?} in brackets")]
    /// A bracketed host that is not an IPv6 address.
    InvalidIpv6(String),
    #[error("invalid port {0:?}: expected a number from 1 to 65535")]
    /// A port that is not a number in 1..=65535.
    InvalidPort(String),
    #[error("URL has no application name (rtmp://host/app[/stream])")]
    /// No path: RTMP needs at least the application name to `connect`.
    MissingApp,
    #[error("application name {0:?} has an empty path segment")]
    /// An application name with an empty segment (`live//x`).
    EmptySegment(String),
}

/// A malformed URL template, or a failed expansion.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    #[error(
        "template has '{{' at byte {at} without a closing '}}' (write '{{{{' for a literal brace)"
    )]
    /// A `{` with no `}` after it.
    Unclosed {
        /// Byte offset of the `{`.
        at: usize,
    },
    #[error(
        "template has '}}' at byte {at} without an opening '{{' (write '}}}}' for a literal brace)"
    )]
    /// A `}` with no `{` before it.
    UnmatchedClose {
        /// Byte offset of the `}`.
        at: usize,
    },
    #[error("template placeholder at byte {at} has no name")]
    /// `{}`: a placeholder without a variable name.
    EmptyName {
        /// Byte offset of the `{`.
        at: usize,
    },
    #[error("template placeholder {name:?} at byte {at}: names use letters, digits and '_' only")]
    /// A placeholder name with characters other than letters, digits and `_`.
    InvalidName {
        /// The name as written.
        name: String,
        /// Byte offset of the `{`.
        at: usize,
    },
    #[error("template uses variable {0:?}, which is not one of the known variables")]
    /// A placeholder naming a variable outside the set given to
    /// [`UrlTemplate::check_known`](super::UrlTemplate::check_known).
    UnknownVariable(String),
    #[error("no value given for template variable {0:?}")]
    /// Expansion was given no value for a variable the template uses.
    MissingVariable(String),
    /// The template, or its expansion, is longer than [`MAX_URL_LEN`](super::MAX_URL_LEN).
    #[error("template is {len} bytes long, more than the limit of {max}")]
    TooLong {
        /// The template's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    #[error("expanded template is not a valid URL: {0}")]
    /// The expansion is not a valid RTMP URL.
    InvalidUrl(#[from] UrlError),
}

/// A reconnect policy or failover list that cannot work.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    #[error("failover list is empty; give at least the primary URL")]
    /// A failover list needs at least one URL.
    NoUrls,
    #[error("backoff factor {0} must be a finite number >= 1")]
    /// The backoff factor is below 1 or not finite: delays would shrink or overflow.
    BadFactor(f64),
    #[error("jitter {0} must be between 0 and 1")]
    /// The jitter fraction is outside 0..=1.
    BadJitter(f64),
    #[error("initial delay is longer than the maximum delay")]
    /// The first delay is longer than the cap on every delay.
    InitialAboveMax,
}

/// A state change the connection state machine does not allow; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("illegal connection state change from {from:?} to {to:?}")]
#[non_exhaustive]
pub struct IllegalTransition {
    /// The state the machine is in, and stays in.
    pub from: ConnectionState,
    /// The state the caller asked for.
    pub to: ConnectionState,
}
