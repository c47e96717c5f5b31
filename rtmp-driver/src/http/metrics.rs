//! `GET /metrics`: the server's totals and every live stream in Prometheus' text format.
//!
//! The registry is built for each scrape from a snapshot, so a stream that ended has no
//! series any more: the label sets are bounded by the streams live at that moment.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use rtmp_proto::relay::Counters;

use crate::server::StreamView;

/// The labels of a stream's series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StreamLabels {
    app: String,
    stream: String,
}

fn gauge(registry: &mut Registry, name: &str, help: &str, value: u64) {
    let g: Gauge = Gauge::default();
    g.set(i64::try_from(value).unwrap_or(i64::MAX));
    registry.register(name, help, g);
}

fn counter(registry: &mut Registry, name: &str, help: &str, value: u64) {
    let c: Counter = Counter::default();
    c.inc_by(value);
    registry.register(name, help, c);
}

/// The label of a server-wide series split one way (`state`, `transport`, `cause`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransportLabel {
    transport: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CauseLabel {
    cause: &'static str,
}

/// A counter family with one series per cause.
fn by_cause(registry: &mut Registry, name: &str, help: &str, causes: &[(&'static str, u64)]) {
    let family = Family::<CauseLabel, Counter>::default();
    for (cause, value) in causes {
        family.get_or_create(&CauseLabel { cause }).inc_by(*value);
    }
    registry.register(name, help, family);
}

/// The server's own series: connections by state and transport, refusals by cause.
fn server_series(r: &mut Registry, c: &Counters) {
    let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let states = Family::<StateLabel, Gauge>::default();
    for (state, value) in [
        ("handshaking", c.states.handshaking),
        ("idle", c.states.idle),
        ("publishing", c.states.publishing),
        ("playing", c.states.playing),
    ] {
        states
            .get_or_create(&StateLabel { state })
            .set(to_i64(value));
    }
    r.register(
        "connections",
        "Network RTMP connections by state now",
        states,
    );
    let transports = Family::<TransportLabel, Counter>::default();
    for (transport, value) in [("plain", c.accepted_plain), ("tls", c.accepted_tls)] {
        transports
            .get_or_create(&TransportLabel { transport })
            .inc_by(value);
    }
    r.register(
        "accepted_network_connections",
        "RTMP connections accepted, by listener",
        transports,
    );
    gauge(
        r,
        "http_connections",
        "HTTP connections open now, HTTP-FLV readers included",
        c.http_connections,
    );
    let rj = &c.rejected;
    by_cause(
        r,
        "rejected_connects",
        "Connections refused: by the on_connect hook, or over the connection limit",
        &[("hook", rj.connects.hook), ("limit", rj.connects.limit)],
    );
    by_cause(
        r,
        "rejected_publishes",
        "Publishes refused: by the on_publish hook, or by the relay (stream already published)",
        &[("hook", rj.publishes.hook), ("relay", rj.publishes.relay)],
    );
    by_cause(
        r,
        "rejected_plays",
        "Plays refused: by the on_play hook, by the relay (not live), or over the waiting limits",
        &[
            ("hook", rj.plays.hook),
            ("relay", rj.plays.relay),
            ("limit", rj.plays.limit),
        ],
    );
    counter(
        r,
        "rejected_http_connections",
        "HTTP connections closed on accept over the HTTP connection limit",
        rj.http_connections,
    );
}

/// The text exposition of `counters` and `streams`.
pub fn render(counters: &Counters, streams: &[StreamView]) -> String {
    let mut r = Registry::with_prefix("rtmp");
    gauge(
        &mut r,
        "open_connections",
        "Connections open now",
        counters.connections,
    );
    counter(
        &mut r,
        "accepted_connections",
        "Connections accepted",
        counters.connections_total,
    );
    gauge(
        &mut r,
        "publishers",
        "Streams with a publisher now",
        counters.publishers,
    );
    gauge(&mut r, "players", "Players attached now", counters.players);
    counter(
        &mut r,
        "received_bytes",
        "Payload bytes published",
        counters.bytes_in,
    );
    counter(
        &mut r,
        "sent_bytes",
        "Payload bytes sent to players",
        counters.bytes_out,
    );
    counter(
        &mut r,
        "received_frames",
        "Frames published",
        counters.frames_in,
    );
    counter(
        &mut r,
        "sent_frames",
        "Frames sent to players",
        counters.frames_relayed,
    );
    counter(
        &mut r,
        "dropped_frames",
        "Frames the lag policy did not send",
        counters.frames_dropped,
    );
    counter(
        &mut r,
        "lag_disconnects",
        "Players cut for lag",
        counters.lag_disconnects,
    );
    server_series(&mut r, counters);

    let players = Family::<StreamLabels, Gauge>::default();
    let bitrate_in = Family::<StreamLabels, Gauge>::default();
    let bitrate_out = Family::<StreamLabels, Gauge>::default();
    let uptime = Family::<StreamLabels, Gauge>::default();
    let gop = Family::<StreamLabels, Gauge>::default();
    let bytes_in = Family::<StreamLabels, Counter>::default();
    let bytes_out = Family::<StreamLabels, Counter>::default();
    let dropped = Family::<StreamLabels, Counter>::default();
    let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for v in streams {
        let l = StreamLabels {
            app: v.key.app().to_owned(),
            stream: v.key.name().to_owned(),
        };
        players.get_or_create(&l).set(to_i64(v.players as u64));
        // Prometheus' base unit is bytes.
        bitrate_in
            .get_or_create(&l)
            .set(to_i64(v.stats.bitrate_in / 8));
        bitrate_out
            .get_or_create(&l)
            .set(to_i64(v.stats.bitrate_out / 8));
        uptime
            .get_or_create(&l)
            .set(to_i64(v.stats.uptime.as_secs()));
        gop.get_or_create(&l).set(to_i64(v.gop_bytes as u64));
        bytes_in.get_or_create(&l).inc_by(v.stats.bytes_in);
        bytes_out.get_or_create(&l).inc_by(v.stats.bytes_out);
        dropped.get_or_create(&l).inc_by(v.stats.frames_dropped);
    }
    r.register("stream_players", "Players of the stream now", players);
    r.register(
        "stream_in_bytes_per_second",
        "Bytes per second published, over 5 s",
        bitrate_in,
    );
    r.register(
        "stream_out_bytes_per_second",
        "Bytes per second sent to players, over 5 s",
        bitrate_out,
    );
    r.register(
        "stream_uptime_seconds",
        "Time since the stream was published",
        uptime,
    );
    r.register(
        "stream_gop_cache_bytes",
        "Bytes in the stream's GOP cache",
        gop,
    );
    r.register(
        "stream_received_bytes",
        "Payload bytes published on the stream",
        bytes_in,
    );
    r.register(
        "stream_sent_bytes",
        "Payload bytes sent to the stream's players",
        bytes_out,
    );
    r.register(
        "stream_dropped_frames",
        "Frames of the stream the lag policy did not send",
        dropped,
    );

    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut out, &r);
    out
}

/// The OpenMetrics text `open` in the classic Prometheus text format (0.0.4), for scrapers
/// and tools that do not ask for OpenMetrics (`promtool check metrics` among them). For
/// counters and gauges the two differ only in that a counter's `# HELP` and `# TYPE` name
/// its samples' `_total` name in the classic format, and in the closing `# EOF`.
pub fn classic(open: &str) -> String {
    let mut counters: Vec<&str> = Vec::new();
    for line in open.lines() {
        if let Some(name) = line
            .strip_prefix("# TYPE ")
            .and_then(|l| l.strip_suffix(" counter"))
        {
            counters.push(name);
        }
    }
    let mut out = String::with_capacity(open.len() + counters.len() * 12);
    for line in open.lines() {
        if line == "# EOF" {
            continue;
        }
        let header = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match header {
            Some((prefix, rest)) => {
                let name = rest.split(' ').next().unwrap_or_default();
                if counters.contains(&name) {
                    out.push_str(prefix);
                    out.push_str(name);
                    out.push_str("_total");
                    out.push_str(&rest[name.len()..]);
                } else {
                    out.push_str(line);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}
