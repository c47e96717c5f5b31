//! The `multicam` example: one stream per camera id from a URL template, each with its own
//! reconnect loop, as a multi-camera recorder or a load test publishes.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;
use rtmp_proto::amf::Value;
use rtmp_proto::client::UrlTemplate;

use super::{CliResult, First, after, first};
use crate::client::{Client, ClientError, Publisher};
use crate::runtime::{Runtime, Task, sleep_until};

/// The `multicam` example's flags.
#[derive(Debug, Clone, clap::Args)]
pub struct MulticamArgs {
    /// URL template, e.g. rtmp://host/live/cam{camera_id}_{stream} (or rtmps://).
    #[arg(long)]
    pub template: String,
    /// Number of cameras (ids 1..=N).
    #[arg(long, default_value_t = 1)]
    pub cameras: u32,
    /// Value of `{stream}` / `{stream_name}`.
    #[arg(long, default_value = "main")]
    pub stream: String,
    /// Push this FLV file from every camera instead of the synthetic stream.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// With --file: start over at the end of the file.
    #[arg(long = "loop")]
    pub looping: bool,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "S")]
    pub duration: Option<f64>,
    /// Trust only the certificate authorities in this PEM file for rtmps:// URLs (a
    /// private CA); default: the public web's roots.
    #[cfg(feature = "tls")]
    #[arg(long, value_name = "FILE.pem")]
    pub ca: Option<PathBuf>,
}

/// The template variables `multicam` fills in.
const KNOWN: &[&str] = &["camera_id", "stream", "stream_name"];

/// Publishes one stream per camera until every camera stopped, `--duration` passed or
/// `interrupted` (Ctrl-C) completed; then the camera tasks are stopped (a dropped
/// publisher ends its stream).
pub async fn multicam<R: Runtime + Default>(
    args: &MulticamArgs,
    interrupted: impl Future<Output = ()>,
) -> CliResult {
    let template = UrlTemplate::parse(&args.template)?;
    template.check_known(KNOWN)?;
    let rt = R::default();
    #[cfg(feature = "tls")]
    let tls = args
        .ca
        .as_ref()
        .map(crate::io::tls::TlsConnector::with_ca_file)
        .transpose()?;
    let (done_tx, done_rx) = async_channel::unbounded();
    let mut cams = Vec::new();
    for id in 1..=args.cameras {
        let id_text = id.to_string();
        let url = template.expand_with(|name| match name {
            "camera_id" => Some(id_text.as_str()),
            "stream" | "stream_name" => Some(args.stream.as_str()),
            _ => None,
        })?;
        let (file, looping, done, cam_rt) =
            (args.file.clone(), args.looping, done_tx.clone(), rt.clone());
        #[allow(unused_mut)]
        let mut builder = Client::<R>::builder().rtmp_url(url.clone());
        #[cfg(feature = "tls")]
        if let Some(tls) = &tls {
            builder = builder.tls(tls.clone());
        }
        cams.push(rt.spawn(async move {
            tracing::info!(camera = id, %url, "starting");
            let r: Result<(), ClientError> = async {
                let publisher = builder.publish().await?;
                let r = match &file {
                    Some(path) => publisher.push_flv_file(path, looping).await.map(drop),
                    None => synthetic(&cam_rt, &publisher, id).await,
                };
                publisher.close().await?;
                r
            }
            .await;
            let _ = done.try_send((id, r));
        }));
    }
    drop(done_tx);
    let run = async {
        while let Ok((id, r)) = done_rx.recv().await {
            match r {
                Ok(()) => tracing::info!(camera = id, "finished"),
                Err(e) => tracing::error!(camera = id, error = %e, "camera stopped"),
            }
        }
    };
    match first(run, first(after(&rt, args.duration), interrupted)).await {
        First::A(()) => {}
        First::B(First::A(())) => tracing::info!("duration reached"),
        First::B(First::B(())) => tracing::info!("interrupted"),
    }
    for cam in cams {
        cam.abort();
    }
    Ok(())
}

/// A synthetic camera: metadata, an AVC sequence header, 25 fps with a keyframe every
/// second (filler frames, not decodable pictures: enough for relays, failover and load).
/// Runs until the publisher fails.
async fn synthetic<R: Runtime>(rt: &R, p: &Publisher<R>, id: u32) -> Result<(), ClientError> {
    p.send_metadata(Value::ecma_array([
        ("width", Value::Number(320.0)),
        ("height", Value::Number(240.0)),
        ("framerate", Value::Number(25.0)),
        ("videocodecid", Value::Number(7.0)),
        ("camera", Value::Number(f64::from(id))),
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
