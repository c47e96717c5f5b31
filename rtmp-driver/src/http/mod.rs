//! The relay's HTTP side, written once for every runtime: Prometheus metrics, the JSON
//! stream API and a status page, served by hyper over the runtime's sockets
//! ([`HyperIo`]).
//!
//! | path | what |
//! |---|---|
//! | `GET /metrics` | totals and per-stream series (`app`, `stream` labels): OpenMetrics text when asked for, else the classic text format |
//! | `GET /api/streams` | totals (`server`) and every live stream (`streams`), JSON |
//! | `GET /api/server` | the totals alone: connections by state and transport, refusals by cause, bytes, lag disconnects; JSON |
//! | `GET /api/streams/{app}/{stream}` | one stream, JSON; 404 when it is not live |
//! | `GET /{app}/{stream}.flv` | HTTP-FLV playback ([`flv`]), decided by the `on_play` hook |
//! | `GET /` | an HTML page listing the live streams, refreshing itself |
//!
//! Bounded like the RTMP side: at most [`MAX_HTTP_CONNECTIONS`] at once (more are closed
//! on accept), request heads up to 16 KiB arriving within [`HEAD_TIMEOUT`] (an idle
//! keep-alive connection is closed then too), and an HTTP-FLV reader that falls behind is
//! cut by the relay's lag policy.

mod api;
pub mod flv;
mod io;
mod metrics;
mod page;
pub mod segments;
mod timer;
mod whole;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use rtmp_proto::session::{PlayRequest, StreamId};

pub use io::HyperIo;
pub use timer::HyperTimer;

use crate::runtime::{Runtime, accept};
use crate::server::counters::Refused;
use crate::server::{PlayContext, Shared, StreamDecision, Subscriber};
use crate::sync::Signal;
use segments::Segments;
use whole::Whole;

/// Most HTTP connections served at once (HTTP-FLV players included).
pub const MAX_HTTP_CONNECTIONS: usize = 1024;

/// How long a request head may take to arrive, and an idle keep-alive connection may wait
/// for the next one.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// A response body: a whole document or an HTTP-FLV stream.
type Body = UnsyncBoxBody<Segments, Infallible>;

/// A whole-body response in the server's body type.
fn boxed(full: Full<Bytes>) -> Body {
    Whole::new(full.into_inner().unwrap_or_default()).boxed_unsync()
}

/// Serves HTTP on `listener` until the task is aborted (the server's accept loop does that
/// when it ends).
pub(crate) async fn serve<R: Runtime>(rt: R, listener: R::Listener, shared: Arc<Shared>) {
    loop {
        let (sock, peer) = match accept(&listener).await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "http accept failed");
                crate::runtime::sleep_until(&rt, rt.now() + Duration::from_millis(50)).await;
                continue;
            }
        };
        if !shared.counters.http_opened(MAX_HTTP_CONNECTIONS) {
            tracing::warn!(%peer, "http connection refused: too many open");
            continue;
        }
        let (conn_rt, shared) = (rt.clone(), shared.clone());
        let _detached = rt.spawn(async move {
            let _open = HttpOpen(shared.clone());
            serve_one(&conn_rt, sock, peer, shared).await;
        });
    }
}

/// Counts an HTTP connection out however its task ends.
struct HttpOpen(Arc<Shared>);

impl Drop for HttpOpen {
    fn drop(&mut self) {
        self.0.counters.http_closed();
    }
}

/// One HTTP connection. It is closed at once when the memory budget ends its HTTP-FLV
/// subscription (`cut`): hyper polls a body only when the socket takes more, so a reader
/// that stopped reading would otherwise keep the connection, and its subscription, forever.
async fn serve_one<R: Runtime>(rt: &R, sock: R::Socket, peer: SocketAddr, shared: Arc<Shared>) {
    let cut = Signal::new();
    let service = {
        let cut = cut.clone();
        hyper::service::service_fn(move |req: Request<Incoming>| {
            let shared = shared.clone();
            let cut = cut.clone();
            async move { Ok::<_, Infallible>(respond(&shared, peer, &req, cut).await) }
        })
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .max_buf_size(16 * 1024)
        .timer(HyperTimer(rt.clone()))
        .header_read_timeout(HEAD_TIMEOUT)
        .serve_connection(HyperIo::new(sock), service);
    let mut conn = std::pin::pin!(conn);
    let ended = std::future::poll_fn(|cx| {
        if cut.poll_wait(cx).is_ready() {
            return Poll::Ready(None);
        }
        conn.as_mut().poll(cx).map(Some)
    })
    .await;
    match ended {
        Some(Ok(())) => {}
        Some(Err(e)) => tracing::debug!(%peer, error = %e, "http connection ended"),
        None => tracing::info!(%peer, "http-flv player over the memory budget: connection closed"),
    }
}

async fn respond<B>(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    req: &Request<B>,
    cut: Arc<Signal>,
) -> Response<Body> {
    if req.method() == Method::GET
        && let Some((app, name)) = req
            .uri()
            .path()
            .strip_prefix('/')
            .and_then(|p| p.strip_suffix(".flv"))
            .and_then(|p| p.split_once('/'))
    {
        let query = req.uri().query().map(str::to_owned);
        return http_flv(shared, peer, app, name, query, cut).await;
    }
    document(shared, req).map(boxed)
}

/// An HTTP-FLV play of `app`/`name`: the `on_play` hook decides, as for an RTMP play.
/// `query`: the URL's query string (a stream key or token for the hook), as an RTMP play's.
async fn http_flv(
    shared: &Arc<Shared>,
    peer: SocketAddr,
    app: &str,
    name: &str,
    query: Option<String>,
    cut: Arc<Signal>,
) -> Response<Body> {
    let ctx = PlayContext {
        peer,
        app: app.to_owned(),
        request: PlayRequest {
            stream: StreamId(1),
            name: name.to_owned(),
            query,
            start: -2000.0,
            duration: -1.0,
            reset: true,
        },
    };
    if let Some(decision) = shared.hooks.on_play(ctx)
        && let StreamDecision::Reject(why) = decision.await
    {
        tracing::info!(%peer, stream = %format!("{app}/{name}"), reason = %why.description,
            "http-flv play rejected");
        shared.counters.refused(Refused::PlayByHook);
        let text = format!("{}\n", why.description);
        return plain(StatusCode::FORBIDDEN, &text).map(boxed);
    }
    match Subscriber::join(shared.clone(), rtmp_proto::relay::StreamKey::new(app, name)) {
        Ok(subscriber) => {
            tracing::info!(%peer, stream = %subscriber.key(), "http-flv play start");
            subscriber.cut_on_eviction(cut);
            let mut response = Response::new(flv::FlvBody::new(subscriber).boxed_unsync());
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("video/x-flv"),
            );
            response
        }
        Err(why) => plain(StatusCode::NOT_FOUND, &format!("{}\n", why.description)).map(boxed),
    }
}

fn document<B>(shared: &Shared, req: &Request<B>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
    }
    let path = req.uri().path();
    match path.trim_end_matches('/') {
        "/metrics" => {
            let text = metrics::render(&shared.stats(), &shared.streams());
            let open_metrics = req
                .headers()
                .get(hyper::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("application/openmetrics-text"));
            if open_metrics {
                with_type(
                    StatusCode::OK,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    text,
                )
            } else {
                with_type(
                    StatusCode::OK,
                    "text/plain; version=0.0.4; charset=utf-8",
                    metrics::classic(&text),
                )
            }
        }
        "/api/streams" => {
            let streams = shared.streams();
            json(&api::StreamsJson::new(&shared.stats(), &streams))
        }
        "/api/server" => json(&api::ServerJson::from(&shared.stats())),
        "" => with_type(
            StatusCode::OK,
            "text/html; charset=utf-8",
            page::render(&shared.streams()),
        ),
        other => match other
            .strip_prefix("/api/streams/")
            .and_then(|r| r.split_once('/'))
        {
            Some((app, name)) => {
                let streams = shared.streams();
                match streams
                    .iter()
                    .find(|v| v.key.app() == app && v.key.name() == name)
                {
                    Some(v) => json(&api::StreamJson::from(v)),
                    None => plain(StatusCode::NOT_FOUND, "no such live stream\n"),
                }
            }
            None => plain(StatusCode::NOT_FOUND, "not found\n"),
        },
    }
}

fn json<T: serde::Serialize>(value: &T) -> Response<Full<Bytes>> {
    match serde_json::to_string_pretty(value) {
        Ok(body) => with_type(StatusCode::OK, "application/json", body),
        Err(e) => plain(StatusCode::INTERNAL_SERVER_ERROR, &format!("{e}\n")),
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    with_type(status, "text/plain; charset=utf-8", text.to_owned())
}

fn with_type(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, v);
    }
    response
}
