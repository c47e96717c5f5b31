//! A fleet's JSON configuration file (feature `config`), parsed with serde into
//! `rtmp-proto`'s [`FleetConfig`], which validates it. Kept here rather than in
//! `rtmp-proto` so the sans-IO crate needs no serde: the file's shape is this module's,
//! what it means is the model's. The format, with examples, is in `docs/fleet.md`.
//!
//! ```json
//! { "rtmp": { "url_template": "rtmp://a/live/cam{camera_id}_{stream_name}",
//!             "fallback_urls": ["rtmp://b/live/cam{camera_id}_{stream_name}"] },
//!   "cameras": [ { "id": 1, "streams": [ { "name": "main" },
//!                                        { "name": "sub", "rtmp": { "urls": ["rtmp://c/live/1s"] } } ] } ] }
//! ```
//!
//! Unknown fields are errors (a misspelt `fallback_url` would otherwise be ignored).

use std::path::Path;
use std::time::Duration;

use rtmp_proto::client::{
    CameraConfig, CodecPreference, ConfigProblem, FleetConfig, FleetConfigError, ReconnectPolicy,
    StreamConfig, StreamSpec,
};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rtmp: Option<Templates>,
    #[serde(default)]
    cameras: Vec<Camera>,
    #[serde(default)]
    reconnect: Option<Reconnect>,
}

/// The reconnect policy of every stream; what is left out keeps its default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Reconnect {
    initial_delay_ms: Option<u64>,
    max_delay_ms: Option<u64>,
    factor: Option<f64>,
    /// `0`: never give up.
    max_attempts: Option<u32>,
    jitter: Option<f64>,
    healthy_after_ms: Option<u64>,
    failover_delay_ms: Option<u64>,
}

impl Reconnect {
    fn policy(&self) -> ReconnectPolicy {
        let ms = Duration::from_millis;
        let mut p = ReconnectPolicy::default();
        if let Some(v) = self.initial_delay_ms {
            p.initial_delay = ms(v);
        }
        if let Some(v) = self.max_delay_ms {
            p.max_delay = ms(v);
        }
        if let Some(v) = self.factor {
            p.factor = v;
        }
        if let Some(v) = self.max_attempts {
            p.max_attempts = (v > 0).then_some(v);
        }
        if let Some(v) = self.jitter {
            p.jitter = v;
        }
        if let Some(v) = self.healthy_after_ms {
            p.healthy_after = ms(v);
        }
        if let Some(v) = self.failover_delay_ms {
            p.failover_delay = ms(v);
        }
        p
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Templates {
    url_template: String,
    #[serde(default)]
    fallback_urls: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Camera {
    #[serde(alias = "camera_id")]
    id: Id,
    #[serde(default)]
    streams: Vec<Stream>,
}

/// A camera id written as a number or a string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Id {
    Number(u64),
    Text(String),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stream {
    #[serde(alias = "stream_name")]
    name: String,
    #[serde(default)]
    rtmp: Option<StaticUrls>,
    #[serde(default)]
    codec: Option<String>,
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    hevc_file: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaticUrls {
    urls: Vec<String>,
}

/// Parses a configuration file's text (not yet validated: see [`FleetConfig::streams`]).
pub fn parse_fleet_config(json: &str) -> Result<FleetConfig, FleetConfigError> {
    let file: File = serde_json::from_str(json)
        .map_err(|e| FleetConfigError::new(None, None, ConfigProblem::Syntax(e.to_string())))?;
    let mut config = FleetConfig::new();
    if let Some(r) = &file.reconnect {
        config = config.reconnect_policy(r.policy());
    }
    if let Some(t) = file.rtmp {
        config = config.url_template(t.url_template);
        for f in t.fallback_urls {
            config = config.fallback_template(f);
        }
    }
    for cam in file.cameras {
        let id = match cam.id {
            Id::Number(n) => n.to_string(),
            Id::Text(s) => s,
        };
        let mut camera = CameraConfig::new(id.clone());
        for s in cam.streams {
            let mut stream = StreamConfig::new(s.name.clone());
            if let Some(codec) = s.codec {
                let c = codec.parse::<CodecPreference>().map_err(|_| {
                    FleetConfigError::new(Some(&id), Some(&s.name), ConfigProblem::Codec(codec))
                })?;
                stream = stream.codec(c);
            }
            if let Some(r) = s.rtmp {
                stream = stream.urls(r.urls);
            }
            if let Some(f) = s.file {
                stream = stream.source(f);
            }
            if let Some(f) = s.hevc_file {
                stream = stream.hevc_source(f);
            }
            camera = camera.stream(stream);
        }
        config = config.camera(camera);
    }
    Ok(config)
}

/// Reads, parses and validates a configuration file: every session's spec, or the first
/// problem (naming the file when it cannot be read).
pub fn load_fleet_config(path: &Path) -> Result<Vec<StreamSpec>, FleetConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let what = format!("cannot read {}: {e}", path.display());
        FleetConfigError::new(None, None, ConfigProblem::Syntax(what))
    })?;
    parse_fleet_config(&text)?.streams()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_parse() {
        let specs = parse_fleet_config(
            r#"{ "rtmp": { "url_template": "rtmp://a/live/cam{camera_id}_{stream_name}",
                          "fallback_urls": ["rtmp://b/live/cam{camera_id}_{stream_name}"] },
                 "cameras": [ { "id": 1, "streams": [ { "name": "main" },
                     { "stream_name": "sub", "codec": "hevc_or_h264",
                       "rtmp": { "urls": ["rtmp://c/live/one_sub"] } } ] } ] }"#,
        )
        .unwrap()
        .streams()
        .unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[0].failover().len(), 2);
        assert_eq!(
            specs[1].failover().primary().to_string(),
            "rtmp://c/live/one_sub"
        );
        assert_eq!(specs[1].codec(), CodecPreference::HevcOrH264);
        assert!(specs[0].policy().is_none(), "the fleet's policy");
    }

    #[test]
    fn a_reconnect_block_sets_every_stream_s_policy() {
        let specs = parse_fleet_config(
            r#"{ "reconnect": { "initial_delay_ms": 500, "max_delay_ms": 30000, "max_attempts": 0 },
                 "cameras": [ { "id": 1, "streams": [ { "name": "main", "rtmp": { "urls": ["rtmp://a/live/x"] } } ] } ] }"#,
        )
        .unwrap()
        .streams()
        .unwrap();
        let p = specs[0].policy().unwrap();
        assert_eq!(p.initial_delay, Duration::from_millis(500));
        assert_eq!(p.max_delay, Duration::from_secs(30));
        assert_eq!(p.max_attempts, None, "0: never give up");
        assert_eq!(p.factor, 2.0, "the rest keeps its default");
    }

    #[test]
    fn syntax_and_codec_errors_are_clear() {
        let e = parse_fleet_config(r#"{ "cameras": [], "fallback_url": [] }"#).unwrap_err();
        assert!(
            e.to_string().contains("unknown field `fallback_url`"),
            "{e}"
        );
        let e = parse_fleet_config(
            r#"{ "cameras": [ { "id": "door", "streams": [ { "name": "main", "codec": "h265" } ] } ] }"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "camera \"door\", stream \"main\": unknown codec \"h265\": expected h264, hevc or hevc_or_h264"
        );
    }
}
