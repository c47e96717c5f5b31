//! The JSON stream API: `GET /api/streams` and `GET /api/streams/{app}/{stream}`.

use rtmp_proto::relay::{Counters, RejectCauses, audio_codec_name, video_codec_name};
use serde::Serialize;

use rtmp_proto::cluster::PullPhase;

use crate::server::{PushView, StreamSource, StreamView};

/// One live stream, as the API shows it.
#[derive(Debug, Serialize)]
pub struct StreamJson {
    app: String,
    stream: String,
    publisher: Option<String>,
    uptime_seconds: f64,
    video: Option<VideoJson>,
    audio: Option<AudioJson>,
    bitrate_in_bps: u64,
    bitrate_out_bps: u64,
    players: usize,
    frames_in: u64,
    bytes_in: u64,
    frames_out: u64,
    bytes_out: u64,
    frames_dropped: u64,
    lag_disconnects: u64,
    gop_cache_bytes: usize,
    source: SourceJson,
    pushes: Vec<PushJson>,
}

/// Where a stream comes from: `kind` is `peer` (with `address`), `in_process`, `pulled`
/// (with the origin's `url` and the pull's `phase`) or `none` (held for a new publisher).
#[derive(Debug, Serialize)]
struct SourceJson {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phase: Option<&'static str>,
}

impl From<&StreamSource> for SourceJson {
    fn from(s: &StreamSource) -> Self {
        let mut json = SourceJson {
            kind: "none",
            address: None,
            url: None,
            phase: None,
        };
        match s {
            StreamSource::Peer(addr) => {
                json.kind = "peer";
                json.address = Some(addr.to_string());
            }
            StreamSource::InProcess => json.kind = "in_process",
            StreamSource::Pulled { url, phase } => {
                json.kind = "pulled";
                json.url = Some(url.clone());
                json.phase = Some(match phase {
                    PullPhase::Probing => "probing",
                    PullPhase::Receiving => "receiving",
                    PullPhase::BackingOff => "backing_off",
                    _ => "other",
                });
            }
            _ => {}
        }
        json
    }
}

/// One push of a stream: the target as configured, the URL of its connection, its state
/// (`publishing`, `connecting`, `reconnecting`, ...) and how often it started.
#[derive(Debug, Serialize)]
struct PushJson {
    target: String,
    url: Option<String>,
    state: &'static str,
    starts: u64,
}

impl From<&PushView> for PushJson {
    fn from(p: &PushView) -> Self {
        PushJson {
            target: p.target.clone(),
            url: p.url.clone(),
            state: p.state.as_str(),
            starts: p.starts,
        }
    }
}

#[derive(Debug, Serialize)]
struct VideoJson {
    codec: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    frame_rate: Option<f64>,
}

#[derive(Debug, Serialize)]
struct AudioJson {
    codec: Option<String>,
    sample_rate: Option<u32>,
    channels: Option<u32>,
}

impl From<&StreamView> for StreamJson {
    fn from(v: &StreamView) -> Self {
        let s = &v.stats;
        let video = (s.video.codec.is_some() || s.video.width.is_some()).then(|| VideoJson {
            codec: s.video.codec.map(video_codec_name),
            width: s.video.width,
            height: s.video.height,
            frame_rate: s.video.frame_rate,
        });
        let audio = (s.audio.codec.is_some() || s.audio.sample_rate.is_some()).then(|| AudioJson {
            codec: s.audio.codec.map(audio_codec_name),
            sample_rate: s.audio.sample_rate,
            channels: s.audio.channels,
        });
        StreamJson {
            app: v.key.app().to_owned(),
            stream: v.key.name().to_owned(),
            publisher: v.publisher.map(|a| a.to_string()),
            uptime_seconds: s.uptime.as_secs_f64(),
            video,
            audio,
            bitrate_in_bps: s.bitrate_in,
            bitrate_out_bps: s.bitrate_out,
            players: v.players,
            frames_in: s.frames_in,
            bytes_in: s.bytes_in,
            frames_out: s.frames_out,
            bytes_out: s.bytes_out,
            frames_dropped: s.frames_dropped,
            lag_disconnects: s.lag_disconnects,
            gop_cache_bytes: v.gop_bytes,
            source: SourceJson::from(&v.source),
            pushes: v.pushes.iter().map(PushJson::from).collect(),
        }
    }
}

/// The server's totals, as the API shows them (`GET /api/server`, and `server` in
/// `GET /api/streams`).
#[derive(Debug, Serialize)]
pub struct ServerJson {
    connections: u64,
    connections_total: u64,
    /// Network RTMP connections by state (in-process players and publishers, and HTTP-FLV
    /// readers, count in `connections` only).
    connections_by_state: StatesJson,
    /// HTTP connections open now (HTTP-FLV readers included).
    http_connections: u64,
    /// Connections accepted, by listener.
    accepted: AcceptedJson,
    /// Refusals by kind and cause.
    rejected: RejectedJson,
    publishers: u64,
    players: u64,
    bytes_in: u64,
    bytes_out: u64,
    frames_in: u64,
    frames_relayed: u64,
    frames_dropped: u64,
    lag_disconnects: u64,
}

#[derive(Debug, Serialize)]
struct StatesJson {
    handshaking: u64,
    idle: u64,
    publishing: u64,
    playing: u64,
}

#[derive(Debug, Serialize)]
struct AcceptedJson {
    plain: u64,
    tls: u64,
}

#[derive(Debug, Serialize)]
struct CausesJson {
    hook: u64,
    relay: u64,
    limit: u64,
}

impl From<&RejectCauses> for CausesJson {
    fn from(c: &RejectCauses) -> Self {
        CausesJson {
            hook: c.hook,
            relay: c.relay,
            limit: c.limit,
        }
    }
}

#[derive(Debug, Serialize)]
struct RejectedJson {
    connects: CausesJson,
    publishes: CausesJson,
    plays: CausesJson,
    http_connections: u64,
}

impl From<&Counters> for ServerJson {
    fn from(c: &Counters) -> Self {
        ServerJson {
            connections: c.connections,
            connections_total: c.connections_total,
            connections_by_state: StatesJson {
                handshaking: c.states.handshaking,
                idle: c.states.idle,
                publishing: c.states.publishing,
                playing: c.states.playing,
            },
            http_connections: c.http_connections,
            accepted: AcceptedJson {
                plain: c.accepted_plain,
                tls: c.accepted_tls,
            },
            rejected: RejectedJson {
                connects: (&c.rejected.connects).into(),
                publishes: (&c.rejected.publishes).into(),
                plays: (&c.rejected.plays).into(),
                http_connections: c.rejected.http_connections,
            },
            publishers: c.publishers,
            players: c.players,
            bytes_in: c.bytes_in,
            bytes_out: c.bytes_out,
            frames_in: c.frames_in,
            frames_relayed: c.frames_relayed,
            frames_dropped: c.frames_dropped,
            lag_disconnects: c.lag_disconnects,
        }
    }
}

/// `GET /api/streams`: the server's totals and every live stream.
#[derive(Debug, Serialize)]
pub struct StreamsJson {
    server: ServerJson,
    streams: Vec<StreamJson>,
}

impl StreamsJson {
    /// The document for these totals and streams.
    pub fn new(counters: &Counters, streams: &[StreamView]) -> Self {
        StreamsJson {
            server: counters.into(),
            streams: streams.iter().map(StreamJson::from).collect(),
        }
    }
}
