//! RTMPS with real peers (issue 18), certificates made by the test (`rtmp_interop::tls`):
//!
//! - ffmpeg publishes `rtmps://` to the relay's TLS listener; three ffmpeg players, two
//!   over rtmps and one over plain RTMP on the other listener, each decode at least 95% of
//!   the frames without errors;
//! - rtmpdump (librtmp over GnuTLS) plays `rtmps://` from the relay, ends by itself at the
//!   stream's end, and its file holds at least 95% of the frames and decodes cleanly;
//! - our client publishes over rtmps, trusting the test CA (`--ca`), to nginx-rtmp behind
//!   nginx's `stream` module terminating TLS, and an ffmpeg player on nginx-rtmp's plain
//!   port decodes at least 95% of the frames.
//!
//! ffmpeg cannot be the TLS server here: its RTMP listen mode refuses rtmps ("rtmp_listen
//! not available for rtmps", in 5.1 and later).

use std::process::Command;
use std::time::Duration;

use rtmp_interop::ffmpeg::{self, Play, assert_most_frames};
use rtmp_interop::nginx::Nginx;
use rtmp_interop::tls::TestCerts;
use rtmp_interop::{
    Adapter, Proc, ServerOpts, for_each_adapter, our_client, peers, start, temp_dir,
};

/// Published video frames (4 s at 25 fps).
const FRAMES: u32 = 100;

fn tls_opts(label: &str) -> ServerOpts {
    ServerOpts {
        tls: Some(TestCerts::generate(label)),
        ..ServerOpts::default()
    }
}

mod three_players {
    use super::*;

    fn ffmpeg_over_rtmps_reaches_tls_and_plain_players(adapter: Adapter) {
        let Some(p) = peers::legacy("rtmps/three_players") else {
            return;
        };
        let srv = start(adapter, &tls_opts("rtmps-three"));
        let (tls_url, plain_url) = (srv.tls_url("pattern"), srv.url("pattern"));
        let mut players: Vec<Proc> = [&tls_url, &tls_url, &plain_url]
            .iter()
            .enumerate()
            .map(|(i, url)| {
                Proc::spawn(
                    &format!("player {i} ({url})"),
                    &mut ffmpeg::player(&p.ffmpeg, url, Play::Decode),
                )
            })
            .collect();
        srv.wait_players(3);
        Proc::spawn(
            "ffmpeg publisher over rtmps",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &tls_url, FRAMES, 25),
        )
        .wait_success(Duration::from_secs(20));
        let got: Vec<u64> = players
            .iter_mut()
            .map(|pl| ffmpeg::finish_clean(pl, rtmp_interop::player_end_limit()))
            .collect();
        eprintln!(
            "rtmps/three_players/{}: published {FRAMES} video frames over rtmps; decoded {got:?} (rtmps, rtmps, rtmp)",
            adapter.name()
        );
        for (i, n) in got.iter().enumerate() {
            assert_most_frames(&format!("player {i}"), *n, FRAMES);
        }
        srv.stop();
    }

    for_each_adapter!(ffmpeg_over_rtmps_reaches_tls_and_plain_players);
}

mod rtmpdump {
    use super::*;

    fn rtmpdump_plays_rtmps(adapter: Adapter) {
        let Some(l) = peers::librtmp("rtmps/rtmpdump") else {
            return;
        };
        let p = &l.peers;
        let srv = start(adapter, &tls_opts("rtmps-rtmpdump"));
        let url = srv.tls_url("pattern");
        let out = temp_dir("rtmps-rtmpdump").join("played.flv");
        // rtmpdump exits 0 only for a complete download: the stream's end reached it.
        let mut player = Proc::spawn(
            "rtmpdump",
            Command::new(&l.rtmpdump)
                .args(["--live", "--timeout", "15", "-r", &url, "-o"])
                .arg(&out),
        );
        srv.wait_players(1);
        Proc::spawn(
            "ffmpeg publisher over rtmps",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, 25),
        )
        .wait_success(Duration::from_secs(20));
        player.wait_success(rtmp_interop::player_end_limit());
        let saved = ffmpeg::clean_frames(&p.ffmpeg, &p.ffprobe, &out, "rtmpdump");
        eprintln!(
            "rtmps/rtmpdump/{}: ffmpeg published {FRAMES} video frames; rtmpdump saved {saved}",
            adapter.name()
        );
        assert_most_frames("rtmpdump", saved, FRAMES);
        srv.stop();
    }

    for_each_adapter!(rtmpdump_plays_rtmps);
}

mod to_nginx_stream_ssl {
    use super::*;

    fn our_client_publishes_rtmps_to_nginx_behind_tls(adapter: Adapter) {
        let Some((nginx, p)) = peers::nginx_stream("rtmps/to_nginx_stream_ssl") else {
            return;
        };
        let certs = TestCerts::generate("rtmps-nginx");
        let dir = temp_dir("rtmps-nginx-pub");
        let file = ffmpeg::pattern_file(&p.ffmpeg, &dir, FRAMES, 25);
        let server = Nginx::start_tls(&nginx, &certs.cert, &certs.key);
        // nginx-rtmp lets a player wait for a stream nobody publishes yet.
        let mut player = Proc::spawn(
            "ffmpeg player (plain port)",
            &mut ffmpeg::player(&p.ffmpeg, &server.url("ours"), Play::Decode),
        );
        std::thread::sleep(Duration::from_millis(500));
        let sent = our_client::publish_file_trusting(
            adapter,
            &server.tls_url("ours"),
            &file,
            Duration::from_secs(5),
            Some(certs.ca.clone()),
        )
        .unwrap_or_else(|e| panic!("our publisher over rtmps: {e}"));
        // ffmpeg 5.1 does not end on nginx-rtmp's UnpublishNotify: up to 3 s past the
        // publisher's end (sent at the file's pace) for the last frames, then it is stopped.
        let frames = ffmpeg::stop_after_frames(&mut player, FRAMES, Duration::from_secs(3));
        eprintln!(
            "rtmps/to_nginx_stream_ssl/{}: sent {sent} FLV items over rtmps; an ffmpeg player decoded {frames} of {FRAMES} video frames from nginx-rtmp's plain port",
            adapter.name()
        );
        assert_most_frames("the ffmpeg player", frames, FRAMES);
    }

    for_each_adapter!(our_client_publishes_rtmps_to_nginx_behind_tls);
}
