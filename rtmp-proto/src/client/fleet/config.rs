//! [`FleetConfig`]: a fleet's configuration as data, in the two shapes a multi-camera
//! recorder describes its RTMP side with, and its validation into [`StreamSpec`]s.
//!
//! - **Templates**: one `url_template` (`rtmp://server/live/cam{camera_id}_{stream_name}`)
//!   plus `fallback_urls` templates, expanded for every camera's every stream.
//! - **Static lists**: `cameras[].streams[].rtmp.urls`, primary first, per stream.
//!
//! A stream with its own static list uses it; the others use the templates. Parsing the
//! JSON file is the driver's (feature `config`): this model stays free of serde.

use std::collections::HashSet;

use super::codec::CodecPreference;
use super::error::{ConfigProblem, FleetConfigError};
use super::spec::{StreamKey, StreamSpec};
use crate::client::ReconnectPolicy;

/// A fleet's configuration; see the module docs. Build it with the methods below (or
/// parse it from JSON with the driver), then [`streams`](Self::streams) validates it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FleetConfig {
    url_template: Option<String>,
    fallback_templates: Vec<String>,
    cameras: Vec<CameraConfig>,
    policy: Option<ReconnectPolicy>,
}

/// One camera and its streams.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraConfig {
    id: String,
    streams: Vec<StreamConfig>,
}

/// One stream of a camera.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig {
    name: String,
    urls: Option<Vec<String>>,
    codec: CodecPreference,
    source: Option<String>,
    hevc_source: Option<String>,
}

impl FleetConfig {
    /// An empty configuration.
    pub fn new() -> Self {
        FleetConfig::default()
    }

    /// The primary URL template of every stream without a static list.
    pub fn url_template(mut self, template: impl Into<String>) -> Self {
        self.url_template = Some(template.into());
        self
    }

    /// A fallback template, tried after the primary and the fallbacks added before it.
    pub fn fallback_template(mut self, template: impl Into<String>) -> Self {
        self.fallback_templates.push(template.into());
        self
    }

    /// The reconnect policy of every stream (default: the fleet's, itself by default
    /// 1 s doubling to 60 s, 10 attempts).
    pub fn reconnect_policy(mut self, policy: ReconnectPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// Adds a camera.
    pub fn camera(mut self, camera: CameraConfig) -> Self {
        self.cameras.push(camera);
        self
    }

    /// The cameras, in configuration order.
    pub fn cameras(&self) -> &[CameraConfig] {
        &self.cameras
    }

    /// Every stream of every camera as a validated [`StreamSpec`], in configuration
    /// order; the first problem found, naming its camera and stream, otherwise.
    pub fn streams(&self) -> Result<Vec<StreamSpec>, FleetConfigError> {
        if self.cameras.is_empty() {
            return Err(FleetConfigError::new(None, None, ConfigProblem::NoCameras));
        }
        if let Some(Err(e)) = self.policy.as_ref().map(ReconnectPolicy::validate) {
            return Err(FleetConfigError::new(None, None, ConfigProblem::Policy(e)));
        }
        let templates: Option<Vec<&str>> = self.url_template.as_deref().map(|primary| {
            std::iter::once(primary)
                .chain(self.fallback_templates.iter().map(String::as_str))
                .collect()
        });
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for cam in &self.cameras {
            let at = |stream: Option<&str>, p| FleetConfigError::new(Some(&cam.id), stream, p);
            if cam.id.is_empty() {
                return Err(at(None, ConfigProblem::EmptyCameraId));
            }
            if cam.streams.is_empty() {
                return Err(at(None, ConfigProblem::NoStreams));
            }
            for s in &cam.streams {
                if s.name.is_empty() {
                    return Err(at(None, ConfigProblem::EmptyStreamName));
                }
                let key = StreamKey::new(cam.id.clone(), s.name.clone());
                if !seen.insert(key.clone()) {
                    return Err(at(Some(&s.name), ConfigProblem::Duplicate));
                }
                let spec = match (&s.urls, &templates) {
                    (Some(urls), _) => StreamSpec::from_urls(key, urls)?,
                    (None, Some(t)) => StreamSpec::from_templates(key, t)?,
                    (None, None) => return Err(at(Some(&s.name), ConfigProblem::NoUrlSource)),
                };
                let mut spec = spec.with_codec(s.codec);
                if let Some(src) = &s.source {
                    spec = spec.with_source(src.clone());
                }
                if let Some(src) = &s.hevc_source {
                    spec = spec.with_hevc_source(src.clone());
                }
                if let Some(p) = &self.policy {
                    spec = spec.with_policy(p.clone());
                }
                out.push(spec);
            }
        }
        Ok(out)
    }
}

impl CameraConfig {
    /// A camera with this id (`{camera_id}`) and no streams yet.
    pub fn new(id: impl Into<String>) -> Self {
        CameraConfig {
            id: id.into(),
            streams: Vec::new(),
        }
    }

    /// Adds a stream.
    pub fn stream(mut self, stream: StreamConfig) -> Self {
        self.streams.push(stream);
        self
    }

    /// The camera id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The streams, in configuration order.
    pub fn streams(&self) -> &[StreamConfig] {
        &self.streams
    }
}

impl StreamConfig {
    /// A stream named `name` (`{stream_name}`: `main`, `sub`), using the templates.
    pub fn new(name: impl Into<String>) -> Self {
        StreamConfig {
            name: name.into(),
            urls: None,
            codec: CodecPreference::default(),
            source: None,
            hevc_source: None,
        }
    }

    /// A static failover list for this stream (primary first), instead of the templates.
    pub fn urls<S: Into<String>>(mut self, urls: impl IntoIterator<Item = S>) -> Self {
        self.urls = Some(urls.into_iter().map(Into::into).collect());
        self
    }

    /// The codec preference (default H.264).
    pub fn codec(mut self, codec: CodecPreference) -> Self {
        self.codec = codec;
        self
    }

    /// An application-defined media source ([`StreamSpec::source`]).
    pub fn source(mut self, source: impl Into<String>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The HEVC counterpart of the source ([`StreamSpec::hevc_source`]).
    pub fn hevc_source(mut self, source: impl Into<String>) -> Self {
        self.hevc_source = Some(source.into());
        self
    }

    /// The stream name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templated(cameras: u32) -> FleetConfig {
        let mut c = FleetConfig::new()
            .url_template("rtmp://a/live/cam{camera_id}_{stream_name}")
            .fallback_template("rtmp://b/live/cam{camera_id}_{stream_name}");
        for id in 1..=cameras {
            c = c.camera(
                CameraConfig::new(id.to_string())
                    .stream(StreamConfig::new("main"))
                    .stream(StreamConfig::new("sub")),
            );
        }
        c
    }

    #[test]
    fn every_camera_and_stream_gets_primary_and_fallback() {
        let specs = templated(8).streams().unwrap();
        assert_eq!(specs.len(), 16);
        let last = specs.last().unwrap();
        assert_eq!(last.key(), &StreamKey::new("8", "sub"));
        let urls: Vec<String> = last
            .failover()
            .urls()
            .iter()
            .map(|u| u.to_string())
            .collect();
        assert_eq!(urls, ["rtmp://a/live/cam8_sub", "rtmp://b/live/cam8_sub"]);
    }

    #[test]
    fn a_static_list_overrides_the_templates() {
        let c = templated(1).camera(
            CameraConfig::new("9").stream(
                StreamConfig::new("main")
                    .urls(["rtmp://x/live/nine"])
                    .codec(CodecPreference::HevcOrH264),
            ),
        );
        let specs = c.streams().unwrap();
        let nine = specs.last().unwrap();
        assert_eq!(nine.failover().primary().to_string(), "rtmp://x/live/nine");
        assert_eq!(nine.codec(), CodecPreference::HevcOrH264);
    }

    #[test]
    fn each_problem_is_named_with_its_camera_and_stream() {
        let mut cases: Vec<(FleetConfig, Option<&str>, Option<&str>, &str)> = vec![
            (FleetConfig::new(), None, None, "no cameras"),
            (
                templated(0).camera(CameraConfig::new("4")),
                Some("4"),
                None,
                "no streams",
            ),
            (
                templated(2).camera(CameraConfig::new("2").stream(StreamConfig::new("sub"))),
                Some("2"),
                Some("sub"),
                "configured twice",
            ),
            (
                FleetConfig::new().camera(CameraConfig::new("5").stream(StreamConfig::new("main"))),
                Some("5"),
                Some("main"),
                "no URLs",
            ),
            (
                templated(0).camera(
                    CameraConfig::new("6")
                        .stream(StreamConfig::new("main").urls(Vec::<String>::new())),
                ),
                Some("6"),
                Some("main"),
                "rtmp.urls is empty",
            ),
            (
                FleetConfig::new()
                    .url_template("rtmp://a/live/{camera}")
                    .camera(CameraConfig::new("1").stream(StreamConfig::new("main"))),
                Some("1"),
                Some("main"),
                "\"camera\", which is not one of the known variables",
            ),
            (
                FleetConfig::new().camera(
                    CameraConfig::new("3").stream(StreamConfig::new("sub").urls(["rtmp://"])),
                ),
                Some("3"),
                Some("sub"),
                "URL \"rtmp://\"",
            ),
        ];
        let slow = ReconnectPolicy {
            initial_delay: std::time::Duration::from_secs(120),
            ..ReconnectPolicy::default()
        };
        cases.push((
            templated(1).reconnect_policy(slow),
            None,
            None,
            "reconnect: initial delay is longer than the maximum delay",
        ));
        for (config, camera, stream, says) in cases {
            let e = config.streams().unwrap_err();
            assert_eq!((e.camera(), e.stream()), (camera, stream), "{e}");
            assert!(
                e.to_string().contains(says),
                "{e:?} does not say {says:?}: {e}"
            );
        }
    }
}
