//! [`StreamKey`] and [`StreamSpec`]: one session of a fleet, named and with its failover
//! list expanded and checked before anything dials.

use std::fmt;

use super::codec::CodecPreference;
use super::error::{ConfigProblem, FleetConfigError};
use crate::client::{Failover, ReconnectPolicy, RtmpUrl, UrlTemplate};

/// The variables a fleet's URL templates may use: `{camera_id}`, `{stream_name}` and its
/// short form `{stream}`.
pub const TEMPLATE_VARIABLES: &[&str] = &["camera_id", "stream_name", "stream"];

/// Which stream of which camera: the name of a fleet session (`3/main`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    camera: String,
    stream: String,
}

impl StreamKey {
    /// The key of `camera`'s stream `stream` (`main`, `sub`, ...).
    pub fn new(camera: impl Into<String>, stream: impl Into<String>) -> Self {
        StreamKey {
            camera: camera.into(),
            stream: stream.into(),
        }
    }

    /// The camera id (`{camera_id}` in templates).
    pub fn camera(&self) -> &str {
        &self.camera
    }

    /// The stream name (`{stream_name}` in templates).
    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// The value of a template variable for this key (`None`: not a fleet variable).
    fn variable(&self, name: &str) -> Option<&str> {
        match name {
            "camera_id" => Some(&self.camera),
            "stream_name" | "stream" => Some(&self.stream),
            _ => None,
        }
    }
}

/// `camera/stream`.
impl fmt::Display for StreamKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.camera, self.stream)
    }
}

/// One validated fleet session: its key, the URLs its publisher fails over between
/// (primary first) and the codec it prefers. Built from templates or a static list, so a
/// bad configuration fails here, at load time, with the camera and stream named.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamSpec {
    key: StreamKey,
    failover: Failover,
    codec: CodecPreference,
    source: Option<String>,
    hevc_source: Option<String>,
    policy: Option<ReconnectPolicy>,
}

impl StreamSpec {
    /// Expands `templates` (the primary's first, then the fallbacks') for `key`: each must
    /// parse, use only [`TEMPLATE_VARIABLES`] and expand to a valid URL.
    pub fn from_templates<S: AsRef<str>>(
        key: StreamKey,
        templates: &[S],
    ) -> Result<Self, FleetConfigError> {
        let mut urls = Vec::with_capacity(templates.len());
        for text in templates {
            let text = text.as_ref();
            let url = UrlTemplate::parse(text)
                .and_then(|t| {
                    t.check_known(TEMPLATE_VARIABLES)?;
                    t.expand_with(|name| key.variable(name))
                })
                .map_err(|error| {
                    key.error(ConfigProblem::Template {
                        template: text.to_owned(),
                        error,
                    })
                })?;
            urls.push(url);
        }
        Self::from_parsed(key, urls)
    }

    /// Parses a static failover list for `key` (primary first).
    pub fn from_urls<S: AsRef<str>>(key: StreamKey, urls: &[S]) -> Result<Self, FleetConfigError> {
        if urls.is_empty() {
            return Err(key.error(ConfigProblem::EmptyUrlList));
        }
        let parsed = urls
            .iter()
            .map(|u| {
                RtmpUrl::parse(u.as_ref()).map_err(|error| {
                    key.error(ConfigProblem::Url {
                        url: u.as_ref().to_owned(),
                        error,
                    })
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_parsed(key, parsed)
    }

    fn from_parsed(key: StreamKey, urls: Vec<RtmpUrl>) -> Result<Self, FleetConfigError> {
        let failover = Failover::new(urls).map_err(|_| key.error(ConfigProblem::NoUrlSource))?;
        Ok(StreamSpec {
            key,
            failover,
            codec: CodecPreference::default(),
            source: None,
            hevc_source: None,
            policy: None,
        })
    }

    /// The codec preference (default [`CodecPreference::H264`]).
    pub fn with_codec(mut self, codec: CodecPreference) -> Self {
        self.codec = codec;
        self
    }

    /// An application-defined media source for the stream (the `multicam` example: the
    /// FLV file to push); the fleet itself does not read it.
    pub fn with_source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The HEVC counterpart of [`source`](Self::source), sent instead when the
    /// [`CodecPreference`] picks HEVC.
    pub fn with_hevc_source(mut self, source: impl Into<String>) -> Self {
        self.hevc_source = Some(source.into());
        self
    }

    /// A reconnect policy of the session's own, instead of the fleet's.
    pub fn with_policy(mut self, policy: ReconnectPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The session's name.
    pub fn key(&self) -> &StreamKey {
        &self.key
    }

    /// The URLs, primary first.
    pub fn failover(&self) -> &Failover {
        &self.failover
    }

    /// The codec preference.
    pub fn codec(&self) -> CodecPreference {
        self.codec
    }

    /// The media source, if the configuration named one.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The HEVC media source, if the configuration named one.
    pub fn hevc_source(&self) -> Option<&str> {
        self.hevc_source.as_deref()
    }

    /// The session's own reconnect policy, if it has one.
    pub fn policy(&self) -> Option<&ReconnectPolicy> {
        self.policy.as_ref()
    }
}

impl StreamKey {
    fn error(&self, problem: ConfigProblem) -> FleetConfigError {
        FleetConfigError::new(Some(&self.camera), Some(&self.stream), problem)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::TemplateError;

    #[test]
    fn templates_expand_primary_then_fallbacks() {
        let key = StreamKey::new("3", "sub");
        let spec = StreamSpec::from_templates(
            key,
            &[
                "rtmp://a/live/cam{camera_id}_{stream_name}",
                "rtmp://b:1936/live/{stream}{camera_id}",
            ],
        )
        .unwrap();
        let urls: Vec<String> = spec
            .failover()
            .urls()
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(urls, ["rtmp://a/live/cam3_sub", "rtmp://b:1936/live/sub3"]);
    }

    #[test]
    fn unknown_variable_names_camera_stream_and_variable() {
        let e = StreamSpec::from_templates(StreamKey::new("7", "main"), &["rtmp://a/live/{cam}"])
            .unwrap_err();
        assert_eq!((e.camera(), e.stream()), (Some("7"), Some("main")));
        assert!(matches!(
            e.problem(),
            ConfigProblem::Template { error: TemplateError::UnknownVariable(v), .. } if v == "cam"
        ));
        let text = e.to_string();
        assert!(
            text.starts_with("camera \"7\", stream \"main\": template"),
            "{text}"
        );
        assert!(text.contains("\"cam\""), "{text}");
    }

    #[test]
    fn static_lists_must_be_non_empty_valid_urls() {
        let key = StreamKey::new("1", "main");
        let e = StreamSpec::from_urls::<&str>(key.clone(), &[]).unwrap_err();
        assert_eq!(e.problem(), &ConfigProblem::EmptyUrlList);
        let e = StreamSpec::from_urls(key, &["rtmp://a/live/x", "http://b/live/x"]).unwrap_err();
        assert!(
            matches!(e.problem(), ConfigProblem::Url { url, .. } if url == "http://b/live/x"),
            "{e}"
        );
    }
}
