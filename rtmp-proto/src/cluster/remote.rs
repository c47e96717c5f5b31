//! [`Remote`]: one push target or pull origin, written as a URL template with `{app}` and
//! `{stream}` placeholders and `|`-separated alternatives.

use std::fmt;

use crate::client::{RtmpUrl, TemplateError, UrlTemplate};
use crate::relay::StreamKey;

/// Why a push target or pull origin could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// An alternative is not a valid template.
    #[error("{alternative:?}: {source}")]
    Template {
        /// The alternative as written.
        alternative: String,
        /// What is wrong with it.
        source: TemplateError,
    },
    /// An alternative is empty.
    #[error("{0:?} has an empty alternative")]
    Empty(String),
}

/// One push target or pull origin: a failover list of URL templates, the first the
/// primary (`rtmp://a.example/live/{stream}|rtmp://b.example/live/{stream}`). The
/// placeholders are `{app}` and `{stream}`, the stream's app and name; a template without
/// them names the same URL for every stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    text: String,
    alternatives: Vec<UrlTemplate>,
}

/// The placeholders a route may use.
const KNOWN: &[&str] = &["app", "stream"];

impl Remote {
    /// Parses `text`: URL templates separated by `|`, each using only `{app}` and `{stream}`.
    pub fn parse(text: &str) -> Result<Self, RemoteError> {
        let mut alternatives = Vec::new();
        for alt in text.split('|') {
            let alt = alt.trim();
            if alt.is_empty() {
                return Err(RemoteError::Empty(text.to_owned()));
            }
            let template = UrlTemplate::parse(alt)
                .and_then(|t| t.check_known(KNOWN).map(|()| t))
                .map_err(|source| RemoteError::Template {
                    alternative: alt.to_owned(),
                    source,
                })?;
            // A template that cannot make a URL even for a plain key fails here, at
            // start-up, not at the first stream.
            template
                .expand_with(|v| Some(if v == "app" { "live" } else { "test" }))
                .map_err(|source| RemoteError::Template {
                    alternative: alt.to_owned(),
                    source,
                })?;
            alternatives.push(template);
        }
        Ok(Remote {
            text: text.to_owned(),
            alternatives,
        })
    }

    /// The URLs of `key`'s stream, in failover order. Alternatives that do not make a
    /// valid URL for this key (a stream name with characters a URL cannot carry) are left
    /// out.
    pub fn urls(&self, key: &StreamKey) -> Vec<RtmpUrl> {
        self.alternatives
            .iter()
            .filter_map(|t| {
                t.expand_with(|v| match v {
                    "app" => Some(key.app()),
                    "stream" => Some(key.name()),
                    _ => None,
                })
                .ok()
            })
            .collect()
    }
}

impl std::str::FromStr for Remote {
    type Err = RemoteError;

    /// [`Remote::parse`].
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Remote::parse(text)
    }
}

impl fmt::Display for Remote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_app_and_stream_in_every_alternative() {
        let r = Remote::parse("rtmp://a/{app}/{stream}|rtmps://b:444/live/{stream}_hd").unwrap();
        let urls = r.urls(&StreamKey::new("show", "cam1"));
        let urls: Vec<String> = urls.iter().map(|u| u.to_string()).collect();
        assert_eq!(urls, ["rtmp://a/show/cam1", "rtmps://b:444/live/cam1_hd"]);
        assert_eq!(
            r.to_string(),
            "rtmp://a/{app}/{stream}|rtmps://b:444/live/{stream}_hd"
        );
    }

    #[test]
    fn refuses_unknown_placeholders_and_empty_alternatives() {
        assert!(matches!(
            Remote::parse("rtmp://a/live/{camera}"),
            Err(RemoteError::Template { .. })
        ));
        assert!(matches!(
            Remote::parse("rtmp://a/live/{stream}||rtmp://b/live/{stream}"),
            Err(RemoteError::Empty(_))
        ));
        assert!(matches!(
            Remote::parse("http://a/live/{stream}"),
            Err(RemoteError::Template { .. })
        ));
    }
}
