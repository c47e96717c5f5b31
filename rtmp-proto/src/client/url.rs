//! `rtmp://` and `rtmps://` URLs, split into app and stream the way ffmpeg and OBS do.
//!
//! # How a single URL is split (ffmpeg's `rtmp_open`, libavformat/rtmpproto.c)
//!
//! `rtmp://host[:port]/path[?query]`. The path (without its leading `/`) is split like
//! this, and the query always stays with the stream name:
//!
//! - `live` → app `live`, empty stream (the caller names the stream elsewhere);
//! - `live/key` → app `live`, stream `key`;
//! - `a/b/rest...` → app `a/b` (an application instance), stream `rest...` (which may
//!   contain further slashes): ffmpeg takes everything up to the *second* slash as the app;
//! - ... unless a `:` comes before that second slash (`vod/mp4:dir/file`): then the app is
//!   the first element and the stream `mp4:dir/file` ("do not mismatch a playpath for an
//!   application instance");
//! - `ondemand/rest...` → app `ondemand`, stream `rest...`.
//!
//! A trailing slash leaves the stream empty (`live/` → app `live`; `a/b/` → app `a/b`).
//!
//! Not followed from ffmpeg: the `?slist=` playlist syntax, the `mp4:` prefix it adds to
//! `*.mp4`/`*.f4v` names and the `.flv` suffix it strips (both only matter for playing
//! recorded files, not live streams), and credentials in `user:pass@host` (refused with
//! [`UrlError::Credentials`] so secrets never end up in logs of the URL).
//!
//! The query is split off at the first `?` before anything else, so a `/` inside a query
//! (`?token=a/b`) never moves the app/stream boundary; ffmpeg would split there. When the
//! stream is empty, the query belongs to the app (`rtmp://host/live?token=x` connects to app
//! `live?token=x`), as it does for ffmpeg and OBS. Percent escapes are kept exactly as
//! written and never decoded: servers compare app and stream names byte for byte.
//!
//! # tcUrl
//!
//! `scheme://host[:port]/app[?app query]`, the port only when the URL gave one. That is what
//! OBS (librtmp: "if app is part of original url, just use it") sends; ffmpeg always writes
//! the port (`rtmp://host:1935/live`). Servers accept both.
//!
//! # Server URL and stream key (OBS)
//!
//! OBS takes the server URL and the stream key separately: the whole path of the server URL
//! is the app, however many slashes it has ([`RtmpUrl::from_server_and_key`]), and the key
//! is the stream name with its own optional query.

use std::borrow::Cow;
use std::fmt;
use std::net::Ipv6Addr;

use super::error::UrlError;
use crate::session::ConnectParams;

/// Longest URL accepted, in bytes (ffmpeg's buffers for tcUrl, app and playpath are 1 KiB
/// each).
pub const MAX_URL_LEN: usize = 4096;

/// The two supported schemes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Scheme {
    /// Plain TCP, default port 1935.
    Rtmp,
    /// RTMP over TLS, default port 443.
    Rtmps,
}

impl Scheme {
    /// The scheme as written in a URL and a tcUrl: `rtmp` or `rtmps`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Rtmp => "rtmp",
            Scheme::Rtmps => "rtmps",
        }
    }

    /// The port used when the URL names none.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Rtmp => 1935,
            Scheme::Rtmps => 443,
        }
    }

    /// Whether the adapter must wrap the TCP connection in TLS.
    pub fn is_tls(self) -> bool {
        self == Scheme::Rtmps
    }
}

/// A parsed `rtmp[s]://host[:port]/app[/instance]/stream[?query]`.
///
/// Equality is structural: `rtmp://h/live/` and `rtmp://h/live` are the same URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RtmpUrl {
    scheme: Scheme,
    /// Without brackets for IPv6.
    host: String,
    ipv6: bool,
    /// The port written in the URL, if any.
    port: Option<u16>,
    /// `app` or `app/instance...`, never empty, no empty segments, no query.
    app: String,
    app_query: Option<String>,
    /// The stream name without its query; may be empty.
    stream: String,
    stream_query: Option<String>,
}

impl RtmpUrl {
    /// Parses one URL, splitting app and stream like ffmpeg (see the module docs).
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        check_chars(url)?;
        let (scheme, host, ipv6, port, rest) = split_authority(url)?;
        let path = rest.strip_prefix('/').unwrap_or(rest);
        let (path, query) = split_query(path);
        let (app, stream) = split_path(path);
        check_app(app)?;
        let (app_query, stream_query) = if stream.is_empty() {
            (query, None)
        } else {
            (None, query)
        };
        Ok(RtmpUrl {
            scheme,
            host,
            ipv6,
            port,
            app: app.to_owned(),
            app_query: app_query.map(str::to_owned),
            stream: stream.to_owned(),
            stream_query: stream_query.map(str::to_owned),
        })
    }

    /// OBS style: a server URL whose whole path is the app (any number of slashes, its
    /// query kept on the app), and a stream key (with an optional `?query` of its own).
    pub fn from_server_and_key(server: &str, key: &str) -> Result<Self, UrlError> {
        let total = server.len().saturating_add(key.len());
        if total > MAX_URL_LEN {
            return Err(UrlError::TooLong {
                len: total,
                max: MAX_URL_LEN,
            });
        }
        check_chars(server)?;
        check_chars(key).map_err(|e| match e {
            UrlError::InvalidChar { ch, at } => UrlError::InvalidChar {
                ch,
                at: at + server.len(),
            },
            e => e,
        })?;
        let (scheme, host, ipv6, port, rest) = split_authority(server)?;
        let path = rest.strip_prefix('/').unwrap_or(rest);
        let (app, app_query) = split_query(path);
        let app = app.trim_end_matches('/');
        check_app(app)?;
        let (stream, stream_query) = split_query(key);
        Ok(RtmpUrl {
            scheme,
            host,
            ipv6,
            port,
            app: app.to_owned(),
            app_query: app_query.map(str::to_owned),
            stream: stream.to_owned(),
            stream_query: stream_query.map(str::to_owned),
        })
    }

    /// The URL a `NetConnection.Connect.ReconnectRequest` (or a connect redirect) points
    /// to: `tc_url` is a server URL (its whole path is the app); the stream stays the same.
    pub fn redirected(&self, tc_url: &str) -> Result<Self, UrlError> {
        RtmpUrl::from_server_and_key(tc_url, &self.stream())
    }

    /// The same server and app with another stream name (`key` may carry a `?query`).
    pub fn with_stream(&self, key: &str) -> Result<Self, UrlError> {
        RtmpUrl::from_server_and_key(&self.tc_url(), key)
    }

    /// `rtmp` or `rtmps`: whether to wrap the TCP connection in TLS.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The host without brackets (`::1` for `[::1]`): the name to resolve and to present
    /// as TLS server name.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether the host is a bracketed IPv6 address.
    pub fn is_ipv6(&self) -> bool {
        self.ipv6
    }

    /// The port to dial: the URL's, or the scheme's default (1935 / 443).
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// The port written in the URL, if any.
    pub fn explicit_port(&self) -> Option<u16> {
        self.port
    }

    /// `host:port` (`[v6]:port`), ready for `TcpStream::connect` / `ToSocketAddrs`.
    pub fn socket_addr_string(&self) -> String {
        if self.ipv6 {
            format!("[{}]:{}", self.host, self.port())
        } else {
            format!("{}:{}", self.host, self.port())
        }
    }

    /// The app as sent in `connect`: `app[/instance]` plus its query when it has one.
    pub fn app(&self) -> Cow<'_, str> {
        with_query(&self.app, self.app_query.as_deref())
    }

    /// `app[/instance]` without query.
    pub fn app_path(&self) -> &str {
        &self.app
    }

    /// The first path element of the app (`live` in `live/studio1`).
    pub fn app_name(&self) -> &str {
        self.app.split('/').next().unwrap_or(&self.app)
    }

    /// The application instance: what follows the first element of the app, if anything.
    pub fn instance(&self) -> Option<&str> {
        self.app.split_once('/').map(|(_, i)| i)
    }

    /// The query of the app (when the stream is empty or came separately).
    pub fn app_query(&self) -> Option<&str> {
        self.app_query.as_deref()
    }

    /// The stream name as sent in `publish`/`play`, its query included (ffmpeg keeps it:
    /// Wowza and others read credentials from it). Empty when the URL names no stream.
    pub fn stream(&self) -> Cow<'_, str> {
        with_query(&self.stream, self.stream_query.as_deref())
    }

    /// The stream name without query.
    pub fn stream_name(&self) -> &str {
        &self.stream
    }

    /// The query of the stream name, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.stream_query.as_deref()
    }

    /// `scheme://host[:port]/app[?app query]`: the `tcUrl` of `connect`.
    pub fn tc_url(&self) -> String {
        let mut s = String::with_capacity(self.host.len() + self.app.len() + 24);
        self.write_base(&mut s);
        s.push_str(&self.app);
        if let Some(q) = &self.app_query {
            s.push('?');
            s.push_str(q);
        }
        s
    }

    /// `connect` parameters (app and tcUrl) with the usual defaults.
    pub fn connect_params(&self) -> ConnectParams {
        ConnectParams::new(self.app().into_owned(), self.tc_url())
    }

    fn write_base(&self, s: &mut String) {
        s.push_str(self.scheme.as_str());
        s.push_str("://");
        if self.ipv6 {
            s.push('[');
            s.push_str(&self.host);
            s.push(']');
        } else {
            s.push_str(&self.host);
        }
        if let Some(p) = self.port {
            s.push(':');
            s.push_str(&p.to_string());
        }
        s.push('/');
    }
}

/// The single-URL form. `RtmpUrl::parse(&url.to_string()) == Ok(url)` for every URL that
/// `parse` produced. A URL built by [`RtmpUrl::from_server_and_key`] may have no single-URL
/// form (an app with two or more slashes *and* a stream, or queries on both): keep such
/// URLs as [`RtmpUrl::tc_url`] plus [`RtmpUrl::stream`], which round-trip through
/// `from_server_and_key`.
impl fmt::Display for RtmpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        self.write_base(&mut s);
        s.push_str(&self.app);
        if self.stream.is_empty() {
            // `a/b` alone would parse as app `a`, stream `b`: the trailing slash keeps the
            // instance in the app (ffmpeg reads `a/b/` as app `a/b`, empty stream).
            if self.app.contains('/') {
                s.push('/');
            }
            if let Some(q) = &self.app_query {
                s.push('?');
                s.push_str(q);
            }
        } else {
            if let Some(q) = &self.app_query {
                s.push('?');
                s.push_str(q);
            }
            s.push('/');
            s.push_str(&self.stream);
            if let Some(q) = &self.stream_query {
                s.push('?');
                s.push_str(q);
            }
        }
        f.write_str(&s)
    }
}

impl std::str::FromStr for RtmpUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, UrlError> {
        RtmpUrl::parse(s)
    }
}

fn with_query<'a>(base: &'a str, query: Option<&str>) -> Cow<'a, str> {
    match query {
        Some(q) => Cow::Owned(format!("{base}?{q}")),
        None => Cow::Borrowed(base),
    }
}

fn check_chars(s: &str) -> Result<(), UrlError> {
    if s.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong {
            len: s.len(),
            max: MAX_URL_LEN,
        });
    }
    match s
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || c.is_control())
    {
        Some((at, ch)) => Err(UrlError::InvalidChar { ch, at }),
        None => Ok(()),
    }
}

type Authority<'a> = (Scheme, String, bool, Option<u16>, &'a str);

/// Scheme, host, IPv6 flag, explicit port, and the rest (starting at `/`, `?` or empty).
fn split_authority(url: &str) -> Result<Authority<'_>, UrlError> {
    let (scheme, rest) = url.split_once("://").ok_or(UrlError::MissingScheme)?;
    let scheme = if scheme.eq_ignore_ascii_case("rtmp") {
        Scheme::Rtmp
    } else if scheme.eq_ignore_ascii_case("rtmps") {
        Scheme::Rtmps
    } else if scheme.is_empty() {
        return Err(UrlError::MissingScheme);
    } else {
        return Err(UrlError::UnsupportedScheme(scheme.to_owned()));
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, rest) = rest.split_at(end);
    if authority.contains('@') {
        return Err(UrlError::Credentials);
    }
    let (host, ipv6, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| UrlError::InvalidIpv6(v6.to_owned()))?;
        if addr.parse::<Ipv6Addr>().is_err() {
            return Err(UrlError::InvalidIpv6(addr.to_owned()));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| UrlError::InvalidPort(p.to_owned()))?,
            ),
        };
        (addr, true, port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, false, Some(p)),
            None => (authority, false, None),
        }
    };
    if host.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    if !ipv6
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    {
        return Err(UrlError::InvalidHost(host.to_owned()));
    }
    let port = port.map(parse_port).transpose()?;
    Ok((scheme, host.to_owned(), ipv6, port, rest))
}

fn parse_port(p: &str) -> Result<u16, UrlError> {
    let bad = || UrlError::InvalidPort(p.to_owned());
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match p.parse::<u16>() {
        Ok(0) | Err(_) => Err(bad()),
        Ok(n) => Ok(n),
    }
}

fn split_query(s: &str) -> (&str, Option<&str>) {
    match s.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (s, None),
    }
}

/// ffmpeg's app/playpath split of the path (leading `/` and query already removed).
fn split_path(path: &str) -> (&str, &str) {
    if let Some(rest) = path.strip_prefix("ondemand/") {
        return ("ondemand", rest);
    }
    let Some((first, rest)) = path.split_once('/') else {
        return (path, "");
    };
    match rest.find('/') {
        // A ':' before the second slash means `rest` is a playpath such as `mp4:dir/f`.
        Some(second) if !rest[..second].contains(':') => {
            let app_len = first.len() + 1 + second;
            (&path[..app_len], &rest[second + 1..])
        }
        _ => (first, rest),
    }
}

fn check_app(app: &str) -> Result<(), UrlError> {
    if app.is_empty() {
        return Err(UrlError::MissingApp);
    }
    if app.split('/').any(str::is_empty) {
        return Err(UrlError::EmptySegment(app.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(u: &str) -> (String, String) {
        let u = RtmpUrl::parse(u).unwrap();
        (u.app().into_owned(), u.stream().into_owned())
    }

    #[test]
    fn split_follows_ffmpeg() {
        let p = |a: &str, s: &str| (a.to_owned(), s.to_owned());
        assert_eq!(parts("rtmp://h/live"), p("live", ""));
        assert_eq!(parts("rtmp://h/live/key"), p("live", "key"));
        assert_eq!(parts("rtmp://h/live/"), p("live", ""));
        assert_eq!(parts("rtmp://h/app/inst/key"), p("app/inst", "key"));
        assert_eq!(parts("rtmp://h/app/inst/a/b"), p("app/inst", "a/b"));
        assert_eq!(parts("rtmp://h/app/inst/"), p("app/inst", ""));
        assert_eq!(
            parts("rtmp://h/vod/mp4:dir/f.mp4"),
            p("vod", "mp4:dir/f.mp4")
        );
        assert_eq!(parts("rtmp://h/ondemand/a/b/c"), p("ondemand", "a/b/c"));
        assert_eq!(parts("rtmp://h/live/key?a=b/c"), p("live", "key?a=b/c"));
        assert_eq!(parts("rtmp://h/live?t=1"), p("live?t=1", ""));
    }

    #[test]
    fn display_keeps_instance_with_empty_stream() {
        let u = RtmpUrl::parse("rtmp://h/app/inst/").unwrap();
        assert_eq!(u.to_string(), "rtmp://h/app/inst/");
        assert_eq!(RtmpUrl::parse(&u.to_string()).unwrap(), u);
    }
}
