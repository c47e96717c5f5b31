//! Beyond one machine, with the relay example's flags: an origin and two edges pulling from
//! it (`--pull-from`), an edge failing over between origins when one is killed, a push to
//! nginx-rtmp that survives nginx-rtmp's restart (`--push`), and nginx-rtmp as origin of
//! our edge and as edge of our origin.

use std::time::{Duration, Instant};

use rtmp_interop::ffmpeg::{self, Play};
use rtmp_interop::nginx::Nginx;
use rtmp_interop::{
    Adapter, Proc, RunningServer, ServerOpts, for_each_adapter, peers, serve_if_child,
    spawn_server_process, start, wait_until,
};

/// A relay from the example's flags, on a free port, with `more` flags.
fn relay(adapter: Adapter, more: &[String]) -> RunningServer {
    let mut args = vec!["--listen".to_owned(), "127.0.0.1:0".to_owned()];
    args.extend_from_slice(more);
    start(adapter, &ServerOpts::flags(&args))
}

/// `--pull-from rtmp://<addr>/{app}/{stream}`.
fn pull_from(addr: std::net::SocketAddr) -> [String; 2] {
    [
        "--pull-from".into(),
        format!("rtmp://{addr}/{{app}}/{{stream}}"),
    ]
}

fn players(ffmpeg: &std::path::Path, url: &str, n: usize, who: &str) -> Vec<Proc> {
    (0..n)
        .map(|i| {
            Proc::spawn(
                &format!("{who} player {i}"),
                &mut ffmpeg::player(ffmpeg, url, Play::Decode),
            )
        })
        .collect()
}

/// Published video frames of the origin/edge scenario (6 s at 25 fps).
const FRAMES: u32 = 150;

mod origin_serves_each_edge_once {
    use super::*;

    fn origin_serves_each_edge_once(adapter: Adapter) {
        let Some(p) = peers::legacy("cluster") else {
            return;
        };
        let origin = relay(adapter, &[]);
        let e1 = relay(adapter, &pull_from(origin.addr));
        let e2 = relay(adapter, &pull_from(origin.addr));
        // Players first: they wait on their edge, which pulls from the origin meanwhile.
        let mut all = players(&p.ffmpeg, &e1.url("x"), 3, "e1");
        all.extend(players(&p.ffmpeg, &e2.url("x"), 3, "e2"));
        e1.wait_players(3);
        e2.wait_players(3);
        // One pull per edge reaches the origin, however many players wait.
        origin.wait_players(2);
        let mut publisher = Proc::spawn(
            "publisher",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &origin.url("x"), FRAMES, 25),
        );
        std::thread::sleep(Duration::from_secs(3));
        let during = origin.stats();
        let edge_view = e1.handle.streams();
        publisher.wait_success(Duration::from_secs(30));
        let got: Vec<u64> = all
            .iter_mut()
            .map(|pl| {
                ffmpeg::finish_clean(
                    pl,
                    rtmp_interop::player_end_limit() + Duration::from_secs(5),
                )
            })
            .collect();
        eprintln!(
            "cluster/{}: origin players {} connections {} while 6 edge players played; decoded {got:?}",
            adapter.name(),
            during.players,
            during.connections,
        );
        assert_eq!(during.players, 2, "the origin serves one pull per edge");
        assert_eq!(during.connections, 3, "publisher + one connection per edge");
        let source = &edge_view.first().expect("the stream on the edge").source;
        assert!(
            matches!(source, rtmp_tokio::driver::server::StreamSource::Pulled { url, .. } if url.ends_with("/live/x")),
            "the edge's stats name the origin: {source:?}"
        );
        for (i, n) in got.iter().enumerate() {
            ffmpeg::assert_most_frames(&format!("edge player {i}"), *n, FRAMES);
        }
    }

    for_each_adapter!(origin_serves_each_edge_once);
}

/// The separate process of the failover scenario's first origin (see
/// `spawn_server_process`); passes trivially as a test of its own.
#[test]
fn origin_process() {
    serve_if_child();
}

mod edge_fails_over_when_its_origin_is_killed {
    use super::*;

    fn edge_fails_over_when_its_origin_is_killed(adapter: Adapter) {
        let Some(p) = peers::legacy("cluster/failover") else {
            return;
        };
        // O1 in a process of its own, to be killed; O2 publishes here and pushes to O1.
        let (mut o1, o1_addr) = spawn_server_process(
            adapter,
            "origin_process",
            &ServerOpts::flags(&["--listen", "127.0.0.1:0"]),
        );
        let o2 = relay(
            adapter,
            &[
                "--push".into(),
                format!("rtmp://{o1_addr}/{{app}}/{{stream}}"),
            ],
        );
        let mut flags = pull_from(o1_addr).to_vec();
        flags.extend(pull_from(o2.addr));
        let edge = relay(adapter, &flags);
        // 20 s of video at 25 fps.
        let mut publisher = Proc::spawn(
            "publisher",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &o2.url("x"), 500, 25),
        );
        wait_until("the push to O1", Duration::from_secs(10), || {
            o2.handle
                .streams()
                .iter()
                .any(|s| s.pushes.iter().any(|p| p.starts > 0))
        });
        let mut on_edge = players(&p.ffmpeg, &edge.url("x"), 3, "edge");
        wait_until("frames through O1", Duration::from_secs(15), || {
            on_edge.iter().all(|pl| ffmpeg::frames(pl) > 50)
        });
        let pulled = edge.handle.streams()[0].source.clone();
        let at_kill: Vec<u64> = on_edge.iter().map(ffmpeg::frames).collect();
        o1.kill();
        let killed = Instant::now();
        wait_until(
            "frames through O2 within 3 s",
            Duration::from_secs(3),
            || {
                on_edge
                    .iter()
                    .zip(&at_kill)
                    .all(|(pl, before)| ffmpeg::frames(pl) > before + 10)
            },
        );
        let resumed = killed.elapsed();
        let moved = edge.handle.streams()[0].source.clone();
        for pl in &mut on_edge {
            assert!(
                pl.try_wait().is_none(),
                "{} exited at the failover: {}",
                pl.name,
                pl.stderr()
            );
        }
        eprintln!(
            "cluster/failover/{}: frames resumed {:.2} s after O1 was killed; source {pulled:?} -> {moved:?}",
            adapter.name(),
            resumed.as_secs_f64()
        );
        assert!(
            matches!(&moved, rtmp_tokio::driver::server::StreamSource::Pulled { url, .. } if url.contains(&o2.addr.to_string())),
            "the edge now pulls from O2: {moved:?}"
        );
        publisher.wait_success(Duration::from_secs(40));
        for pl in &mut on_edge {
            let n = ffmpeg::finish_clean(
                pl,
                rtmp_interop::player_end_limit() + Duration::from_secs(5),
            );
            assert!(n > 400, "{} decoded {n} of 500 frames", pl.name);
        }
    }

    for_each_adapter!(edge_fails_over_when_its_origin_is_killed);
}

mod push_to_nginx_survives_its_restart {
    use super::*;

    fn push_to_nginx_survives_its_restart(adapter: Adapter) {
        let Some((nginx, p)) = peers::nginx("cluster/push") else {
            return;
        };
        let mut ng = Nginx::start(&nginx);
        let port = ng.port;
        let ours = relay(
            adapter,
            &[
                "--push".into(),
                format!("rtmp://127.0.0.1:{port}/{{app}}/{{stream}}"),
            ],
        );
        // 24 s at 25 fps; a local player must not notice anything of nginx-rtmp's restart.
        let frames = 600;
        let mut local = players(&p.ffmpeg, &ours.url("x"), 1, "local");
        ours.wait_players(1);
        let mut publisher = Proc::spawn(
            "publisher",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &ours.url("x"), frames, 25),
        );
        std::thread::sleep(Duration::from_secs(2));
        let mut before = Proc::spawn(
            "nginx player before the restart",
            &mut ffmpeg::player(&p.ffmpeg, &ng.url("x"), Play::Decode),
        );
        let got_before = ffmpeg::stop_after_frames(&mut before, 75, Duration::from_secs(10));
        drop(ng);
        std::thread::sleep(Duration::from_millis(500));
        let restarted = Instant::now();
        ng = Nginx::start_live(&nginx, Some(port), "");
        wait_until(
            "the push back on nginx-rtmp",
            Duration::from_secs(10),
            || {
                ours.handle.streams().iter().any(|s| {
                    s.pushes.iter().any(|p| {
                        p.starts >= 2
                            && p.state == rtmp_tokio::proto::client::ConnectionState::Publishing
                    })
                })
            },
        );
        let back = restarted.elapsed();
        let mut after = Proc::spawn(
            "nginx player after the restart",
            &mut ffmpeg::player(&p.ffmpeg, &ng.url("x"), Play::Decode),
        );
        let got_after = ffmpeg::stop_after_frames(&mut after, 75, Duration::from_secs(10));
        publisher.wait_success(Duration::from_secs(40));
        let got_local = ffmpeg::finish_clean(&mut local[0], rtmp_interop::player_end_limit());
        eprintln!(
            "cluster/push/{}: nginx player decoded {got_before} before and {got_after} after the \
             restart; push back {:.2} s after it; local player {got_local}/{frames}",
            adapter.name(),
            back.as_secs_f64()
        );
        assert!(
            got_before >= 75,
            "nginx player before the restart: {got_before} frames"
        );
        assert!(
            got_after >= 75,
            "nginx player after the restart: {got_after} frames"
        );
        ffmpeg::assert_most_frames("local player", got_local, frames);
    }

    for_each_adapter!(push_to_nginx_survives_its_restart);
}

mod nginx_pulls_from_us_and_we_pull_from_nginx {
    use super::*;

    fn nginx_pulls_from_us_and_we_pull_from_nginx(adapter: Adapter) {
        let Some((nginx, p)) = peers::nginx("cluster/nginx") else {
            return;
        };
        // nginx-rtmp as an edge of ours.
        let ours = relay(adapter, &[]);
        let ng = Nginx::start_live(&nginx, None, &format!("pull rtmp://{}/live;", ours.addr));
        let mut publisher = Proc::spawn(
            "publisher to ours",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &ours.url("x"), 250, 25),
        );
        std::thread::sleep(Duration::from_secs(1));
        let mut via_nginx = Proc::spawn(
            "player on nginx-rtmp pulling from us",
            &mut ffmpeg::player(&p.ffmpeg, &ng.url("x"), Play::Decode),
        );
        let got = ffmpeg::stop_after_frames(&mut via_nginx, 100, Duration::from_secs(15));
        publisher.wait_success(Duration::from_secs(30));
        assert!(got >= 100, "nginx-rtmp pulling from us: {got} frames");

        // Our edge of nginx-rtmp as origin.
        let origin = Nginx::start(&nginx);
        let edge = relay(
            adapter,
            &[
                "--pull-from".into(),
                format!("rtmp://127.0.0.1:{}/{{app}}/{{stream}}", origin.port),
            ],
        );
        let mut publisher = Proc::spawn(
            "publisher to nginx-rtmp",
            &mut ffmpeg::publish_h264_aac(&p.ffmpeg, &origin.url("y"), 250, 25),
        );
        std::thread::sleep(Duration::from_secs(1));
        let mut on_edge = Proc::spawn(
            "player on our edge of nginx-rtmp",
            &mut ffmpeg::player(&p.ffmpeg, &edge.url("y"), Play::Decode),
        );
        let got_edge = ffmpeg::stop_after_frames(&mut on_edge, 100, Duration::from_secs(15));
        publisher.wait_success(Duration::from_secs(30));
        eprintln!(
            "cluster/nginx/{}: nginx-rtmp edge of ours decoded {got}; our edge of nginx-rtmp {got_edge}",
            adapter.name()
        );
        assert!(got_edge >= 100, "our edge of nginx-rtmp: {got_edge} frames");
    }

    for_each_adapter!(nginx_pulls_from_us_and_we_pull_from_nginx);
}
