//! The `multicam` example: a camera fleet ([`Fleet`]) publishing every camera's streams,
//! from a JSON config (`--config`, see `docs/fleet.md`) or, for the simple case, from one
//! template and a camera count on the command line; a status table every few seconds.

use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rtmp_proto::amf::Value;
use rtmp_proto::client::{CameraConfig, CodecPreference, FleetConfig, StreamConfig, StreamSpec};

use super::status_table::status_table;
use super::{CliResult, First, after, first, plain};
use crate::client::fleet_config::load_fleet_config;
use crate::client::{ClientError, Fleet, Publisher};
use crate::runtime::{Runtime, Task, sleep_until};

/// The `multicam` example's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct MulticamArgs {
    /// A JSON fleet config (URL template + fallback templates, or static URLs per camera
    /// and stream; see docs/fleet.md). Replaces --template, --fallback, --cameras, --stream.
    #[arg(long, value_name = "FILE", conflicts_with = "template")]
    pub config: Option<PathBuf>,
    /// URL template, e.g. rtmp://host/live/cam{camera_id}_{stream} (or rtmps://).
    #[arg(long, required_unless_present = "config")]
    pub template: Option<String>,
    /// A fallback URL template, tried after the template fails (repeat for more).
    #[arg(long)]
    pub fallback: Vec<String>,
    /// Number of cameras (ids 1..=N).
    #[arg(long, default_value_t = 1)]
    pub cameras: u32,
    /// Value of `{stream}` / `{stream_name}`.
    #[arg(long, default_value = "main")]
    pub stream: String,
    /// Push this FLV file from every stream without a file of its own in the config
    /// (default: a synthetic H.264 stream).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// With --file: start over at the end of the file.
    #[arg(long = "loop")]
    pub looping: bool,
    /// Print the status table every S seconds (0: never).
    #[arg(long, value_name = "S", default_value_t = 5.0)]
    pub status_every: f64,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Trust only the certificate authorities in this PEM file for rtmps:// URLs (a
    /// private CA); default: the public web's roots.
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "FILE.pem")]
    pub ca: Option<PathBuf>,
}

impl MulticamArgs {
    /// The sessions: from the config file, or from the flags.
    fn specs(&self) -> Result<Vec<StreamSpec>, Box<dyn std::error::Error + Send + Sync>> {
        if let Some(path) = &self.config {
            return load_fleet_config(path).map_err(plain);
        }
        let mut config = FleetConfig::new().url_template(self.template.clone().unwrap_or_default());
        for f in &self.fallback {
            config = config.fallback_template(f.clone());
        }
        for id in 1..=self.cameras {
            config = config
                .camera(CameraConfig::new(id.to_string()).stream(StreamConfig::new(&self.stream)));
        }
        config.streams().map_err(plain)
    }
}

/// Publishes every session until every source ended, `--duration` passed or
/// `interrupted` (Ctrl-C) completed, printing the status table to stdout; then ends every stream politely.
pub async fn multicam<R: Runtime + Default>(
    args: &MulticamArgs,
    interrupted: impl Future<Output = ()>,
) -> CliResult {
    let specs = args.specs()?;
    let rt = R::default();
    #[allow(unused_mut)]
    let mut settings = crate::client::ClientBuilder::<R>::default();
    #[cfg(feature = "tls")]
    if let Some(ca) = &args.ca {
        settings = settings.tls(crate::io::tls::TlsConnector::with_ca_file(ca)?);
    }
    let fleet = Fleet::<R>::new(settings);
    let mut feeders = Vec::new();
    // Each feeder holds a sender: the channel closes once every source ended.
    let (done_tx, done_rx) = async_channel::bounded::<()>(1);
    for spec in specs {
        let source = spec
            .source()
            .map(PathBuf::from)
            .or_else(|| args.file.clone());
        let hevc = spec.hevc_source().map(PathBuf::from);
        let (codec, key) = (spec.codec(), spec.key().to_string());
        let publisher = fleet.add(spec)?;
        let looping = args.looping;
        let (feed_rt, done) = (rt.clone(), done_tx.clone());
        feeders.push(rt.spawn(async move {
            let _done = done;
            tracing::info!(stream = %key, "starting");
            let r = feed(&feed_rt, &publisher, source, hevc, codec, looping, &key).await;
            match r {
                Ok(()) => tracing::info!(stream = %key, "source ended"),
                Err(ClientError::Closed) => {}
                Err(e) => tracing::error!(stream = %key, error = %e, "stream stopped"),
            }
        }));
    }
    let table = async {
        let Ok(every) = Duration::try_from_secs_f64(args.status_every) else {
            return std::future::pending().await;
        };
        if every.is_zero() {
            return std::future::pending().await;
        }
        loop {
            sleep_until(&rt, rt.now() + every).await;
            let text = status_table(&fleet.snapshot());
            let _ = writeln!(std::io::stdout().lock(), "{text}");
        }
    };
    drop(done_tx);
    let all_ended = async {
        let _ = done_rx.recv().await;
    };
    match first(
        first(table, all_ended),
        first(after(&rt, args.duration), interrupted),
    )
    .await
    {
        First::A(_) => tracing::info!("every source ended"),
        First::B(First::A(())) => tracing::info!("duration reached"),
        First::B(First::B(())) => tracing::info!("interrupted"),
    }
    fleet.close().await;
    for f in feeders {
        f.abort();
    }
    Ok(())
}

/// What one session sends: its file(s) by codec, one file, or the synthetic stream.
async fn feed<R: Runtime>(
    rt: &R,
    p: &Arc<Publisher<R>>,
    file: Option<PathBuf>,
    hevc: Option<PathBuf>,
    codec: CodecPreference,
    looping: bool,
    label: &str,
) -> Result<(), ClientError> {
    match (file, codec) {
        (Some(f), CodecPreference::H264) => p.push_flv_file(&f, looping).await.map(drop),
        (Some(f), c) => {
            p.push_flv_by_codec(c, &f, hevc.as_deref().map(Path::new))
                .await
        }
        (None, c) => {
            if c != CodecPreference::H264 {
                tracing::warn!(stream = label, "no files given: sending synthetic H.264");
            }
            synthetic(rt, p, label).await
        }
    }
}

/// A synthetic camera: metadata, an AVC sequence header, 25 fps with a keyframe every
/// second (filler frames, not decodable pictures: enough for relays, failover and load).
/// Runs until the publisher fails.
async fn synthetic<R: Runtime>(rt: &R, p: &Publisher<R>, label: &str) -> Result<(), ClientError> {
    // A camera whose server is not up yet would only have its first keyframe dropped.
    p.wait_until(|s| s.starts > 0).await?;
    p.send_metadata(Value::ecma_array([
        ("width", Value::Number(320.0)),
        ("height", Value::Number(240.0)),
        ("framerate", Value::Number(25.0)),
        ("videocodecid", Value::Number(7.0)),
        ("title", Value::from(label.to_owned())),
    ]))
    .await?;
    // AVCDecoderConfigurationRecord for a 320x240 baseline stream (SPS/PPS filler).
    let header: &[u8] = &[
        0x17, 0, 0, 0, 0, 1, 0x42, 0xc0, 0x0d, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x0d, 1, 0, 2,
        0x68, 0xce,
    ];
    p.send_video(0, Bytes::from_static(header)).await?;
    let key = Bytes::from(filler(0x17, 0x65, 4000));
    let inter = Bytes::from(filler(0x27, 0x41, 800));
    let start = rt.now();
    for n in 0u32.. {
        sleep_until(rt, start + Duration::from_millis(40) * n).await;
        let frame = if n.is_multiple_of(25) {
            key.clone()
        } else {
            inter.clone()
        };
        p.send_video(n.wrapping_mul(40), frame).await?;
    }
    Ok(())
}

/// An AVC NALU frame of `len` bytes: tag header, one NAL unit of type `nal` with filler.
fn filler(first: u8, nal: u8, len: usize) -> Vec<u8> {
    let nal_len = (len - 9) as u32;
    let mut v = vec![first, 1, 0, 0, 0];
    v.extend_from_slice(&nal_len.to_be_bytes());
    v.push(nal);
    v.resize(len, 0xaa);
    v
}
