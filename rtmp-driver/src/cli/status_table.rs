//! The status table `multicam` prints every few seconds: one row per session, from the
//! fleet's snapshots.

use std::fmt::Write;
use std::time::Duration;

use rtmp_proto::client::{ConnectionState, FailureReason, SessionSnapshot};

/// The table's text, a header line then one line per session.
pub fn status_table(sessions: &[SessionSnapshot]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<10} {:<8} {:<12} {:>9} {:>6} {:>6} {:>9} {:<5} {:<40} LAST ERROR",
        "CAMERA", "STREAM", "STATE", "KBIT/S", "RECON", "DROPS", "UPTIME", "CODEC", "URL"
    );
    for s in sessions {
        let _ = writeln!(
            out,
            "{:<10} {:<8} {:<12} {:>9} {:>6} {:>6} {:>9} {:<5} {:<40} {}",
            s.key.camera(),
            s.key.stream(),
            state(s.state, s.gave_up),
            s.bitrate.map_or("-".into(), |b| (b / 1000).to_string()),
            s.reconnects,
            s.drops,
            s.uptime.map_or("-".into(), clock),
            s.codec.as_str(),
            s.url.as_ref().map_or("-".into(), ToString::to_string),
            s.last_error.as_ref().map_or("-".into(), failure),
        );
    }
    out
}

fn state(s: ConnectionState, gave_up: bool) -> &'static str {
    if gave_up { "gave up" } else { s.as_str() }
}

/// `h:mm:ss`.
fn clock(d: Duration) -> String {
    let s = d.as_secs();
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// A failure in a few words.
fn failure(f: &FailureReason) -> String {
    match f {
        FailureReason::Dial(e) => format!("dial: {e}"),
        FailureReason::ConnectRejected { description, .. } => format!("refused: {description}"),
        FailureReason::StreamFailed { description, .. } => {
            format!("publish refused: {description}")
        }
        FailureReason::Closed(r) => format!("closed: {r:?}"),
        FailureReason::Io(e) => format!("io: {e}"),
        _ => format!("{f:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtmp_proto::client::{ClientStatus, CodecPreference, RateMeter, RtmpUrl, StreamKey};
    use std::time::Instant;

    #[test]
    fn one_row_per_session_with_state_url_bitrate_and_reconnects() {
        let t0 = Instant::now();
        let mut st = ClientStatus::new();
        st.state = ConnectionState::Publishing;
        st.since = Some(t0);
        st.starts = 2;
        st.url = Some(RtmpUrl::parse("rtmp://b/live/cam3_sub").unwrap());
        st.counters.sent_bytes = 250_000;
        let mut meter = RateMeter::new(Duration::from_secs(5));
        meter.record(t0, 0);
        let snap = SessionSnapshot::new(
            StreamKey::new("3", "sub"),
            &st,
            CodecPreference::H264,
            t0 + Duration::from_secs(62),
            &mut meter,
        );
        let table = status_table(&[snap]);
        let row = table.lines().nth(1).unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "3",
                "sub",
                "publishing",
                "32",
                "1",
                "0",
                "0:01:02",
                "h264",
                "rtmp://b/live/cam3_sub",
                "-"
            ]
        );
    }
}
