//! `GET /`: the live streams as a small HTML page, rendered on the server, refreshing
//! itself every 5 s.

use std::fmt::Write;

use rtmp_proto::relay::{audio_codec_name, video_codec_name};

use crate::server::StreamView;

/// `text` with the characters HTML gives a meaning escaped (stream names come from peers).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page for `streams`.
pub fn render(streams: &[StreamView]) -> String {
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"5\"><title>RTMP relay</title>\
         <style>body{font-family:sans-serif}td,th{padding:2px 10px;text-align:left}</style>\
         </head><body><h1>Live streams</h1><table id=\"streams\"><tr><th>stream</th>\
         <th>video</th><th>size</th><th>audio</th><th>in kbit/s</th><th>out kbit/s</th>\
         <th>players</th><th>uptime</th></tr>",
    );
    for v in streams {
        let s = &v.stats;
        let video = s.video.codec.map(video_codec_name).unwrap_or_default();
        let audio = s.audio.codec.map(audio_codec_name).unwrap_or_default();
        let size = match (s.video.width, s.video.height) {
            (Some(w), Some(h)) => match s.video.frame_rate {
                Some(r) => format!("{w}x{h} @ {r:.0}"),
                None => format!("{w}x{h}"),
            },
            _ => String::new(),
        };
        // Writing to a String cannot fail.
        let _ = write!(
            html,
            "<tr class=\"stream\"><td>{}/{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}s</td></tr>",
            escape(v.key.app()),
            escape(v.key.name()),
            escape(&video),
            size,
            escape(&audio),
            s.bitrate_in / 1000,
            s.bitrate_out / 1000,
            v.players,
            s.uptime.as_secs()
        );
    }
    html.push_str("</table></body></html>\n");
    html
}
