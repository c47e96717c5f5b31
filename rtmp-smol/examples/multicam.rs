//! Publishes N streams at once, one per camera id, to URLs built from a template, each
//! with its own reconnect loop: what a multi-camera recorder or a load test does.
//!
//! ```sh
//! cargo run -p rtmp-smol --example relay &
//! cargo run -p rtmp-smol --example multicam -- \
//!     --template 'rtmp://127.0.0.1:1935/live/cam{camera_id}_{stream}' --cameras 4 --stream main
//! ffplay rtmp://127.0.0.1:1935/live/cam2_main
//! ```
//!
//! Template variables: `{camera_id}` (1..=N) and `{stream}` (also `{stream_name}`).
//! Without `--file` each camera sends a synthetic stream (metadata, an H.264 sequence
//! header, then 25 frames per second with a keyframe every second; the frames are filler,
//! not decodable pictures, which is enough for relays, failover and load); with `--file`
//! each camera pushes that FLV file in real time.

use std::path::PathBuf;
use std::time::Duration;

use async_signal::{Signal, Signals};
use bytes::Bytes;
use clap::Parser;
use rtmp_smol::proto::amf::Value;
use rtmp_smol::proto::client::UrlTemplate;
use rtmp_smol::{Client, ClientError, Publisher};
use smol::stream::StreamExt;
use smol::{Timer, future};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(about = "Publish one RTMP stream per camera from a URL template (smol)")]
struct Args {
    /// URL template, e.g. rtmp://host/live/cam{camera_id}_{stream}.
    #[arg(long)]
    template: String,
    /// Number of cameras (ids 1..=N).
    #[arg(long, default_value_t = 1)]
    cameras: u32,
    /// Value of `{stream}` / `{stream_name}`.
    #[arg(long, default_value = "main")]
    stream: String,
    /// Push this FLV file from every camera instead of the synthetic stream.
    #[arg(long)]
    file: Option<PathBuf>,
    /// With --file: start over at the end of the file.
    #[arg(long = "loop")]
    looping: bool,
    /// Stop after this many seconds (default: until Ctrl-C).
    #[arg(long, value_name = "S")]
    duration: Option<f64>,
}

const KNOWN: &[&str] = &["camera_id", "stream", "stream_name"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let template = UrlTemplate::parse(&args.template)?;
    template.check_known(KNOWN)?;

    smol::block_on(async {
        // Each camera task reports its end here; the tasks themselves stay in `cams`, and
        // dropping a smol task cancels it.
        let (done_tx, done_rx) = smol::channel::unbounded();
        let mut cams = Vec::new();
        for id in 1..=args.cameras {
            let id_text = id.to_string();
            let url = template.expand_with(|name| match name {
                "camera_id" => Some(id_text.as_str()),
                "stream" | "stream_name" => Some(args.stream.as_str()),
                _ => None,
            })?;
            let file = args.file.clone();
            let looping = args.looping;
            let done_tx = done_tx.clone();
            cams.push(smol::spawn(async move {
                let r = camera(id, url, file, looping).await;
                let _ = done_tx.send(r).await;
            }));
        }
        drop(done_tx);
        let run = async {
            while let Ok(done) = done_rx.recv().await {
                match done {
                    Ok(id) => tracing::info!(camera = id, "finished"),
                    Err(e) => tracing::error!(error = %e, "camera stopped"),
                }
            }
        };
        let limit = args
            .duration
            .and_then(|s| Duration::try_from_secs_f64(s).ok());
        let mut signals = Signals::new([Signal::Int])?;
        let stop = async {
            match limit {
                Some(d) => {
                    Timer::after(d).await;
                    tracing::info!("duration reached");
                }
                None => future::pending().await,
            }
        };
        let ctrl_c = async {
            signals.next().await;
            tracing::info!("ctrl-c");
        };
        future::or(run, future::or(stop, ctrl_c)).await;
        // Cancelling a camera task drops its publisher, which closes its stream.
        for cam in cams {
            cam.cancel().await;
        }
        Ok(())
    })
}

/// One camera: publishes, sends until the file ends or the publisher fails, closes.
async fn camera(
    id: u32,
    url: rtmp_smol::proto::client::RtmpUrl,
    file: Option<PathBuf>,
    looping: bool,
) -> Result<u32, ClientError> {
    tracing::info!(camera = id, %url, "starting");
    let publisher = Client::builder().rtmp_url(url).publish().await?;
    let r = match &file {
        Some(path) => publisher.push_flv_file(path, looping).await.map(drop),
        None => synthetic(&publisher, id).await,
    };
    publisher.close().await?;
    r.map(|()| id)
}

/// A synthetic camera: metadata, an AVC sequence header, 25 fps with a keyframe every
/// second. Runs until the publisher fails.
async fn synthetic(p: &Publisher, id: u32) -> Result<(), ClientError> {
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
    let mut tick = Timer::interval(Duration::from_millis(40));
    let key = Bytes::from(filler(0x17, 0x65, 4000));
    let inter = Bytes::from(filler(0x27, 0x41, 800));
    for n in 0u32.. {
        tick.next().await;
        let frame = if n % 25 == 0 {
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
