//! The relay's HTTP side, written once for every runtime: Prometheus metrics, the JSON
//! stream API and a status page, served by hyper over the runtime's sockets
//! ([`HyperIo`]).
//!
//! | path | what |
//! |---|---|
//! | `GET /metrics` | totals and per-stream series (`app`, `stream` labels): OpenMetrics text when asked for, else the classic text format |
//! | `GET /api/streams` | totals and every live stream, JSON |
//! | `GET /api/streams/{app}/{stream}` | one stream, JSON; 404 when it is not live |
//! | `GET /` | an HTML page listing the live streams, refreshing itself |
//!
//! Bounded like the RTMP side: at most [`MAX_HTTP_CONNECTIONS`] at once (more are closed
//! on accept), request heads up to 16 KiB, and a connection lasts at most
//! [`HTTP_CONNECTION_LIMIT`] however it trickles.

mod api;
mod io;
mod metrics;
mod page;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

pub use io::HyperIo;

use crate::runtime::{Runtime, accept, timeout_at};
use crate::server::Shared;

/// Most HTTP connections served at once.
pub const MAX_HTTP_CONNECTIONS: usize = 256;

/// How long one HTTP connection may last, keep-alive included: a slow or idle client is
/// closed then.
pub const HTTP_CONNECTION_LIMIT: Duration = Duration::from_secs(10);

/// Serves HTTP on `listener` until the task is aborted (the server's accept loop does that
/// when it ends).
pub(crate) async fn serve<R: Runtime>(rt: R, listener: R::Listener, shared: Arc<Shared>) {
    let open = Arc::new(AtomicUsize::new(0));
    loop {
        let (sock, peer) = match accept(&listener).await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, "http accept failed");
                crate::runtime::sleep_until(&rt, rt.now() + Duration::from_millis(50)).await;
                continue;
            }
        };
        if open.load(Ordering::Acquire) >= MAX_HTTP_CONNECTIONS {
            tracing::warn!(%peer, "http connection refused: too many open");
            continue;
        }
        open.fetch_add(1, Ordering::AcqRel);
        let (conn_rt, shared, open) = (rt.clone(), shared.clone(), open.clone());
        let _detached = rt.spawn(async move {
            serve_one(&conn_rt, sock, peer, shared).await;
            open.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

async fn serve_one<R: Runtime>(rt: &R, sock: R::Socket, peer: SocketAddr, shared: Arc<Shared>) {
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let response = respond(&shared, &req);
        async move { Ok::<_, Infallible>(response) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .max_buf_size(16 * 1024)
        .serve_connection(HyperIo::new(sock), service);
    match timeout_at(rt, rt.now() + HTTP_CONNECTION_LIMIT, conn).await {
        Some(Ok(())) => {}
        Some(Err(e)) => tracing::debug!(%peer, error = %e, "http connection failed"),
        None => tracing::debug!(%peer, "http connection closed at its time limit"),
    }
}

fn respond<B>(shared: &Shared, req: &Request<B>) -> Response<Full<Bytes>> {
    if req.method() != Method::GET {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET\n");
    }
    let path = req.uri().path();
    match path.trim_end_matches('/') {
        "/metrics" => {
            let text = metrics::render(&shared.hub.stats(), &shared.hub.streams());
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
            let streams = shared.hub.streams();
            json(&api::StreamsJson::new(&shared.hub.stats(), &streams))
        }
        "" => with_type(
            StatusCode::OK,
            "text/html; charset=utf-8",
            page::render(&shared.hub.streams()),
        ),
        other => match other
            .strip_prefix("/api/streams/")
            .and_then(|r| r.split_once('/'))
        {
            Some((app, name)) => {
                let streams = shared.hub.streams();
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
