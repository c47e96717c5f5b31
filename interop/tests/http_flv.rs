//! The relay's HTTP side with real peers: ffmpeg publishes an H.264 + AAC pattern; three
//! RTMP players and two HTTP-FLV players (ffmpeg reading `http://.../live/x.flv`) decode at
//! least 95% of its frames without an error; an HTTP-FLV player joining mid-stream decodes
//! cleanly from its first frame (it starts at the cached keyframe); `/api/streams` reports
//! the pattern's codecs, size and frame rate.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use rtmp_interop::ffmpeg::{self, Play};
use rtmp_interop::{Adapter, Proc, ServerOpts, for_each_adapter, peers, start, wait_until};

/// 10 s at 25 fps, a keyframe every 2 s.
const FRAMES: u32 = 250;
const GOP: u32 = 50;

/// A blocking `GET path` on `addr` (HTTP/1.0: the body ends at the close): the body.
fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("http connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\n\r\n").unwrap();
    let mut raw = String::new();
    let _ = s.read_to_string(&mut raw);
    raw.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default()
}

fn http_flv_players_decode_the_stream(adapter: Adapter) {
    let Some(p) = peers::legacy("http_flv") else {
        return;
    };
    let opts = ServerOpts {
        http: true,
        ..ServerOpts::default()
    };
    let srv = start(adapter, &opts);
    let url = srv.url("x");
    let flv = srv.http_url("/live/x.flv");
    let mut publisher = Proc::spawn(
        "publisher",
        &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &url, FRAMES, GOP),
    );
    wait_until("publisher live", Duration::from_secs(10), || {
        srv.stats().frames_in > 0
    });
    let mut players: Vec<(Proc, bool)> = Vec::new();
    for i in 0..3 {
        let name = ["rtmp player 1", "rtmp player 2", "rtmp player 3"][i];
        players.push((
            Proc::spawn(name, &mut ffmpeg::player(&p.ffmpeg, &url, Play::Decode)),
            false,
        ));
    }
    for name in ["http-flv player 1", "http-flv player 2"] {
        players.push((
            Proc::spawn(name, &mut ffmpeg::player(&p.ffmpeg, &flv, Play::Decode)),
            false,
        ));
    }
    // Mid-GOP, 5.6 s in: the late joiner starts at the keyframe of 4 s from the cache.
    std::thread::sleep(Duration::from_millis(5600));
    players.push((
        Proc::spawn(
            "late http-flv player",
            &mut ffmpeg::player(&p.ffmpeg, &flv, Play::Decode),
        ),
        true,
    ));

    // HTTP-FLV players count as players, like RTMP ones.
    srv.wait_players(6);
    let http = srv.http_addr.expect("http address");
    let api = get(http, "/api/streams/live/x");
    eprintln!("http_flv/{}: {api}", adapter.name());
    for needle in [
        "\"codec\": \"avc1\"",
        "\"codec\": \"mp4a\"",
        "\"width\": 320",
        "\"height\": 240",
        "\"frame_rate\": 25.0",
        "\"players\": 6",
    ] {
        assert!(api.contains(needle), "{needle} not in {api}");
    }

    let status = publisher.wait(Duration::from_secs(30));
    assert!(
        status.success(),
        "publisher: {status} {}",
        publisher.stderr()
    );
    for (mut player, late) in players {
        let decoded = ffmpeg::finish_clean(&mut player, rtmp_interop::player_end_limit());
        eprintln!(
            "http_flv/{}: {} decoded {decoded} of {FRAMES} frames",
            adapter.name(),
            player.name
        );
        if late {
            // Joined at 5.6 s, started at the 4 s keyframe: 150 frames from there on.
            assert!(decoded >= 145, "{} decoded {decoded}", player.name);
        } else {
            ffmpeg::assert_most_frames(&player.name, decoded, FRAMES);
        }
    }
    srv.stop();
}

for_each_adapter!(http_flv_players_decode_the_stream);
