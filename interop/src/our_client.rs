//! Our resilient `Client` (the library API an application calls) as the peer of real
//! servers, on either adapter's runtime, behind blocking calls so one test body covers
//! both. Every call is bounded: it runs on its own thread and a hang fails the test.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use crate::Adapter;

/// Runs `f` on a thread of its own and waits at most `limit` for it.
fn bounded<T: Send + 'static>(
    what: &str,
    limit: Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|e| panic!("{what}: no result within {limit:?} ({e})"))
}

/// Expands `$body` once per adapter, with `Client` and `PlayerEvent` naming that adapter's
/// types and `$sleep` its timer, and runs it on that adapter's runtime.
macro_rules! on_runtime {
    ($adapter:expr, |$sleep:ident| $body:expr) => {
        match $adapter {
            Adapter::Tokio => {
                #[allow(unused_imports)]
                use rtmp_tokio::{Client, Fleet, PlayerEvent};
                #[allow(dead_code)]
                async fn $sleep(d: Duration) {
                    tokio::time::sleep(d).await
                }
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime")
                    .block_on($body)
            }
            Adapter::Smol => {
                #[allow(unused_imports)]
                use rtmp_smol::{Client, Fleet, PlayerEvent};
                #[allow(dead_code)]
                async fn $sleep(d: Duration) {
                    smol::Timer::after(d).await;
                }
                smol::block_on($body)
            }
        }
    };
}

/// Publishes `file` (FLV) to `url` at the pace of its timestamps, then closes (the server
/// sees the unpublish). Retries the first connect for `connect_for`, for servers that are
/// still starting (a probe connection would take `ffmpeg -listen 1`'s only accept).
/// Returns the FLV items sent.
pub fn publish_file(
    adapter: Adapter,
    url: &str,
    file: &Path,
    connect_for: Duration,
) -> Result<u64, String> {
    publish_file_trusting(adapter, url, file, connect_for, None)
}

/// [`publish_file`] to an `rtmps://` URL whose server certificate chains to the CA in the
/// PEM file `ca` (`--ca`), or to the public web's roots when `None`.
pub fn publish_file_trusting(
    adapter: Adapter,
    url: &str,
    file: &Path,
    connect_for: Duration,
    ca: Option<PathBuf>,
) -> Result<u64, String> {
    let url = url.to_owned();
    let file: PathBuf = file.to_owned();
    bounded(
        "our publisher",
        connect_for + Duration::from_secs(30),
        move || {
            on_runtime!(adapter, |sleep| async move {
                let mut waited = Duration::ZERO;
                let publisher = loop {
                    let mut builder = Client::builder().url(&url).auto_reconnect(false);
                    if let Some(ca) = &ca {
                        builder = builder.ca_file(ca);
                    }
                    match builder.publish().await {
                        Ok(p) => break p,
                        Err(e) if waited >= connect_for => return Err(format!("publish: {e}")),
                        Err(_) => {
                            sleep(Duration::from_millis(100)).await;
                            waited += Duration::from_millis(100);
                        }
                    }
                };
                let sent = publisher
                    .push_flv_file(&file, false)
                    .await
                    .map_err(|e| format!("push: {e}"))?;
                publisher.close().await.map_err(|e| format!("close: {e}"))?;
                Ok(sent)
            })
        },
    )
}

/// Plays `url` into the FLV file `out` until the publisher goes away (or the connection
/// ends, or `limit`). Returns the media and metadata tags written.
pub fn play_to_file(
    adapter: Adapter,
    url: &str,
    out: &Path,
    limit: Duration,
) -> Result<u64, String> {
    use rtmp_tokio::driver::client::flv_file::FlvFileWriter;
    let url = url.to_owned();
    let out: PathBuf = out.to_owned();
    bounded("our player", limit, move || {
        on_runtime!(adapter, |sleep| async move {
            let mut player = Client::builder()
                .url(&url)
                .auto_reconnect(false)
                .play()
                .await
                .map_err(|e| format!("play: {e}"))?;
            let mut file = FlvFileWriter::create(&out).map_err(|e| e.to_string())?;
            while let Some(event) = player.next().await {
                match event {
                    PlayerEvent::Media(m) => file.write_media(&m).map_err(|e| e.to_string())?,
                    PlayerEvent::Metadata(m) => {
                        file.write_metadata(&m).map_err(|e| e.to_string())?
                    }
                    PlayerEvent::Unpublished => break,
                    PlayerEvent::Interrupted { reason } => {
                        return Err(format!("connection lost: {reason:?}"));
                    }
                    _ => {}
                }
            }
            let tags = file.tags();
            file.finish().map_err(|e| e.to_string())?;
            player.close().await;
            Ok(tags)
        })
    })
}

/// One media frame [`publish_file_tracked`] handed to the publisher.
#[derive(Debug, Clone)]
pub struct Handed {
    pub media: rtmp_proto::session::Media,
    /// `ClientStatus::starts` just before the frame was handed over: 1 on the first
    /// connection, 2 once the client had published again after its first reconnect.
    pub starts: u64,
    pub at: std::time::Instant,
}

/// What [`publish_file_tracked`] did.
#[derive(Debug, Clone)]
pub struct TrackedPush {
    /// Every media frame handed to the publisher, in order.
    pub frames: Vec<Handed>,
    /// The first instant the publisher's status said it had published again
    /// (`starts >= 2`), as seen before handing over a frame.
    pub restarted_at: Option<std::time::Instant>,
    /// The publisher's status before it was closed (counters, starts, last failure).
    pub status: rtmp_proto::client::ClientStatus,
}

/// Publishes `file` (FLV) to `url` at the pace of its timestamps with automatic reconnects
/// (the default policy), handing frames over one by one and noting for each whether the
/// client had reconnected by then; closes at the end of the file.
pub fn publish_file_tracked(
    adapter: Adapter,
    url: &str,
    file: &Path,
    limit: Duration,
) -> Result<TrackedPush, String> {
    use rtmp_proto::client::PacedItem;
    use rtmp_tokio::driver::client::flv_source::FlvFileSource;
    use std::time::Instant;
    let url = url.to_owned();
    let file: PathBuf = file.to_owned();
    bounded("our tracked publisher", limit, move || {
        on_runtime!(adapter, |sleep| async move {
            let publisher = Client::builder()
                .url(&url)
                .publish()
                .await
                .map_err(|e| format!("publish: {e}"))?;
            let mut source = FlvFileSource::open(&file, false).map_err(|e| e.to_string())?;
            let start = Instant::now();
            let mut frames = Vec::new();
            let mut restarted_at = None;
            while let Some(tag) = source.next_tag().map_err(|e| e.to_string())? {
                let due = start + tag.due;
                let now = Instant::now();
                if due > now {
                    sleep(due - now).await;
                }
                let starts = publisher.status().starts;
                let at = Instant::now();
                if starts >= 2 && restarted_at.is_none() {
                    restarted_at = Some(at);
                }
                match tag.item {
                    PacedItem::Media(media) => {
                        frames.push(Handed {
                            media: media.clone(),
                            starts,
                            at,
                        });
                        publisher
                            .send_media(media)
                            .await
                            .map_err(|e| format!("send: {e}"))?;
                    }
                    PacedItem::Metadata(v) => publisher
                        .send_metadata(v)
                        .await
                        .map_err(|e| format!("metadata: {e}"))?,
                    _ => {}
                }
            }
            let status = publisher.status();
            publisher.close().await.map_err(|e| format!("close: {e}"))?;
            Ok(TrackedPush {
                frames,
                restarted_at,
                status,
            })
        })
    })
}

/// What [`publish_by_codec`] saw.
#[derive(Debug, Clone)]
pub struct CodecPush {
    /// The codec the session chose from the server's answer.
    pub codec: rtmp_proto::client::StreamCodec,
    /// The server's Enhanced RTMP answer to `connect` (`None`: a legacy answer).
    pub server_caps: Option<rtmp_proto::media::caps::EnhancedCaps>,
    /// Video frames sent.
    pub frames: u64,
}

/// A one-session fleet publishing to `url` with `preference`: the `h264` or `hevc` FLV
/// file, as the server's answer decides (`Publisher::push_flv_by_codec`), for `run_for`
/// after the first publish (dial retries included: the server may still be starting);
/// then the stream ends politely.
pub fn publish_by_codec(
    adapter: Adapter,
    url: &str,
    preference: rtmp_proto::client::CodecPreference,
    h264: &Path,
    hevc: &Path,
    run_for: Duration,
) -> Result<CodecPush, String> {
    use rtmp_proto::client::{StreamKey, StreamSpec};
    let url = url.to_owned();
    let (h264, hevc): (PathBuf, PathBuf) = (h264.to_owned(), hevc.to_owned());
    bounded(
        "our fleet publisher",
        run_for + Duration::from_secs(30),
        move || {
            on_runtime!(adapter, |sleep| async move {
                let spec = StreamSpec::from_urls(StreamKey::new("1", "main"), &[url])
                    .map_err(|e| e.to_string())?
                    .with_codec(preference);
                let fleet = Fleet::new(Client::builder());
                let publisher = fleet.add(spec).map_err(|e| e.to_string())?;
                let push = publisher.push_flv_by_codec(preference, &h264, Some(&hevc));
                let run = async {
                    publisher
                        .wait_until(|s| s.starts > 0)
                        .await
                        .map_err(|e| format!("publish: {e}"))?;
                    sleep(run_for).await;
                    Ok::<_, String>(())
                };
                match race(push, run).await {
                    Either::Left(r) => return Err(format!("push ended: {r:?}")),
                    Either::Right(r) => r?,
                }
                let snap = fleet.snapshot().pop().ok_or("no session")?;
                fleet.close().await;
                Ok(CodecPush {
                    codec: snap.codec,
                    server_caps: snap.server_caps,
                    frames: snap.frames_sent,
                })
            })
        },
    )
}

/// Which of two futures finished first.
enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls both until one finishes (`a` first on each wake-up); the other is dropped.
async fn race<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    std::future::poll_fn(|cx| {
        if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
            return std::task::Poll::Ready(Either::Left(v));
        }
        b.as_mut().poll(cx).map(Either::Right)
    })
    .await
}
