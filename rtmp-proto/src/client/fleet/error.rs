//! [`FleetConfigError`]: one problem of a fleet configuration, naming the camera and the
//! stream it was found in, so a configuration of a hundred streams points at its line.

use std::fmt;

use crate::client::{PolicyError, TemplateError, UrlError};

/// What is wrong (see [`FleetConfigError`] for where).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConfigProblem {
    /// The file is not valid JSON or does not have the configuration's shape (the
    /// parser's message, with its line and column).
    Syntax(String),
    /// No cameras at all.
    NoCameras,
    /// A camera without an id.
    EmptyCameraId,
    /// A camera without streams.
    NoStreams,
    /// A stream without a name.
    EmptyStreamName,
    /// The same (camera, stream) twice.
    Duplicate,
    /// Neither a static `rtmp.urls` list for the stream nor a `url_template`.
    NoUrlSource,
    /// A static `rtmp.urls` list that is empty.
    EmptyUrlList,
    /// A template (`url_template`, or `fallback_urls[index - 1]`) that does not parse,
    /// uses an unknown variable, or does not expand to a valid URL.
    Template {
        /// The template as written.
        template: String,
        /// What is wrong with it.
        error: TemplateError,
    },
    /// A codec name other than `h264`, `hevc` and `hevc_or_h264`.
    Codec(String),
    /// Reconnect settings that cannot work (a factor below 1, an initial delay above the
    /// maximum).
    Policy(PolicyError),
    /// A static URL that does not parse.
    Url {
        /// The URL as written.
        url: String,
        /// What is wrong with it.
        error: UrlError,
    },
}

/// A fleet configuration that cannot run; see [`FleetConfig::streams`](super::FleetConfig::streams).
#[derive(Debug, Clone, PartialEq)]
pub struct FleetConfigError {
    camera: Option<String>,
    stream: Option<String>,
    problem: ConfigProblem,
}

impl FleetConfigError {
    /// `problem` found in `camera`'s `stream` (either may be unknown or irrelevant).
    pub fn new(camera: Option<&str>, stream: Option<&str>, problem: ConfigProblem) -> Self {
        FleetConfigError {
            camera: camera.map(str::to_owned),
            stream: stream.map(str::to_owned),
            problem,
        }
    }

    /// The camera the problem is in.
    pub fn camera(&self) -> Option<&str> {
        self.camera.as_deref()
    }

    /// The stream the problem is in.
    pub fn stream(&self) -> Option<&str> {
        self.stream.as_deref()
    }

    /// What is wrong.
    pub fn problem(&self) -> &ConfigProblem {
        &self.problem
    }
}

impl fmt::Display for FleetConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.camera, &self.stream) {
            (Some(c), Some(s)) => write!(f, "camera {c:?}, stream {s:?}: ")?,
            (Some(c), None) => write!(f, "camera {c:?}: ")?,
            (None, Some(s)) => write!(f, "stream {s:?}: ")?,
            (None, None) => {}
        }
        match &self.problem {
            ConfigProblem::Syntax(e) => write!(f, "not a valid fleet configuration: {e}"),
            ConfigProblem::NoCameras => f.write_str("no cameras configured"),
            ConfigProblem::EmptyCameraId => f.write_str("camera has an empty id"),
            ConfigProblem::NoStreams => f.write_str("camera has no streams"),
            ConfigProblem::EmptyStreamName => f.write_str("stream has an empty name"),
            ConfigProblem::Duplicate => f.write_str("configured twice"),
            ConfigProblem::NoUrlSource => {
                f.write_str("no URLs: give rtmp.urls for the stream or a url_template")
            }
            ConfigProblem::EmptyUrlList => f.write_str("rtmp.urls is empty"),
            ConfigProblem::Template { template, error } => {
                write!(f, "template {template:?}: {error}")
            }
            ConfigProblem::Url { url, error } => write!(f, "URL {url:?}: {error}"),
            ConfigProblem::Policy(e) => write!(f, "reconnect: {e}"),
            ConfigProblem::Codec(c) => {
                write!(
                    f,
                    "unknown codec {c:?}: expected h264, hevc or hevc_or_h264"
                )
            }
        }
    }
}

impl std::error::Error for FleetConfigError {}
