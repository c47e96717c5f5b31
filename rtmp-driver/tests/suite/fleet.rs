//! A camera fleet (`client::Fleet`) against our own relays: 8 cameras × main + sub from a
//! JSON config with a template and a fallback template; the primary relay dies and every
//! session moves to the fallback; a camera added and one removed while running; config
//! errors named by camera and stream.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::common::{bounded, start};
use crate::rt;
use adapter::driver::client::fleet_config::parse_fleet_config;
use adapter::proto::client::{
    CodecPreference, ConnectionState, FleetEvent, ReconnectPolicy, SessionSnapshot, StreamCodec,
    StreamKey, StreamSpec,
};
use adapter::proto::media::VideoTag;
use adapter::proto::media::caps::EnhancedPolicy;
use adapter::proto::session::{MediaKind, ServerConfig};
use adapter::{Client, ClientError, Fleet, PlayerEvent, Publisher, Server};
use bytes::Bytes;

const AVC_HEADER: &[u8] = &[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0];
const KEY: &[u8] = &[0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65];
const INTER: &[u8] = &[0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41];

fn fast_policy() -> ReconnectPolicy {
    let mut p = ReconnectPolicy::default().without_jitter();
    p.initial_delay = Duration::from_millis(50);
    p.max_delay = Duration::from_millis(400);
    p
}

fn fleet() -> Fleet {
    Fleet::new(Client::builder().reconnect_policy(fast_policy()))
}

/// A camera's encoder: a sequence header, then 25 frames a second with a keyframe every
/// 10, until the publisher is closed.
fn feed(p: Arc<Publisher>) -> rt::Task<()> {
    rt::spawn(async move {
        if p.send_video(0, Bytes::from_static(AVC_HEADER))
            .await
            .is_err()
        {
            return;
        }
        for i in 0u32.. {
            let frame = if i % 10 == 0 { KEY } else { INTER };
            if p.send_video(i * 40, Bytes::from_static(frame))
                .await
                .is_err()
            {
                return;
            }
            rt::sleep(Duration::from_millis(40)).await;
        }
    })
}

/// A player kept drained: counts video frames and notes the end of the stream.
struct Watcher {
    frames: Arc<AtomicU64>,
    ended: Arc<AtomicBool>,
    task: rt::Task<()>,
}

async fn watch(url: &str) -> Watcher {
    let mut player = Client::builder()
        .url(url)
        .reconnect_policy(fast_policy())
        .play()
        .await
        .expect("player");
    let (frames, ended) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicBool::new(false)),
    );
    let (f, e) = (frames.clone(), ended.clone());
    let task = rt::spawn(async move {
        while let Some(ev) = player.next().await {
            match ev {
                PlayerEvent::Media(m) if m.kind == MediaKind::Video => {
                    f.fetch_add(1, Ordering::Relaxed);
                }
                PlayerEvent::Unpublished => e.store(true, Ordering::Relaxed),
                _ => {}
            }
        }
    });
    Watcher {
        frames,
        ended,
        task,
    }
}

impl Watcher {
    fn frames(&self) -> u64 {
        self.frames.load(Ordering::Relaxed)
    }

    async fn until_frames(&self, what: &str, n: u64) {
        let start = self.frames();
        bounded(what, async {
            while self.frames() < start + n {
                rt::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }
}

/// Waits until every session's snapshot satisfies `pred`; returns the snapshots.
async fn until_all(
    what: &str,
    fleet: &Fleet,
    pred: impl Fn(&SessionSnapshot) -> bool,
) -> Vec<SessionSnapshot> {
    bounded(what, async {
        loop {
            let snap = fleet.snapshot();
            if !snap.is_empty() && snap.iter().all(&pred) {
                return snap;
            }
            rt::sleep(Duration::from_millis(25)).await;
        }
    })
    .await
}

fn port_of(s: &SessionSnapshot) -> Option<u16> {
    s.url.as_ref().map(|u| u.port())
}

async fn sixteen_sessions_fail_over_when_the_primary_relay_dies() {
    let primary = start(Server::builder()).await;
    let backup = start(Server::builder()).await;
    let cameras: Vec<String> = (1..=8)
        .map(|id| {
            format!(r#"{{ "id": {id}, "streams": [ {{ "name": "main" }}, {{ "name": "sub" }} ] }}"#)
        })
        .collect();
    let json = format!(
        r#"{{ "rtmp": {{ "url_template": "rtmp://{}/live/cam{{camera_id}}_{{stream_name}}",
                        "fallback_urls": ["rtmp://{}/live/cam{{camera_id}}_{{stream_name}}"] }},
             "reconnect": {{ "initial_delay_ms": 50, "max_delay_ms": 400, "jitter": 0 }},
             "cameras": [ {} ] }}"#,
        primary.addr,
        backup.addr,
        cameras.join(", ")
    );
    let specs = parse_fleet_config(&json).unwrap().streams().unwrap();
    assert_eq!(specs.len(), 16);
    assert_eq!(
        specs[0].policy(),
        Some(&fast_policy()),
        "the config's reconnect block"
    );
    // The default policy for the fleet: each session takes the config's.
    let fleet = Fleet::new(Client::builder());
    let mut events = fleet.events();
    let feeders: Vec<_> = specs
        .into_iter()
        .map(|spec| feed(fleet.add(spec).expect("add")))
        .collect();
    let (p_port, b_port) = (primary.addr.port(), backup.addr.port());
    until_all("all 16 publishing on the primary", &fleet, |s| {
        s.state == ConnectionState::Publishing && port_of(s) == Some(p_port)
    })
    .await;

    let killed = Instant::now();
    primary.stop().await;
    let snap = until_all("all 16 publishing on the fallback", &fleet, |s| {
        s.state == ConnectionState::Publishing && port_of(s) == Some(b_port)
    })
    .await;
    let took = killed.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "the fallback is dialed at once, not after backoff rounds: took {took:?}"
    );
    for s in &snap {
        assert_eq!(
            s.reconnects, 1,
            "{}: one reconnect, to the fallback: {s:?}",
            s.key
        );
        assert!(
            s.last_error.is_some(),
            "{}: the primary's failure is kept",
            s.key
        );
    }

    // Players on the fallback receive every camera's every stream.
    let mut players = Vec::new();
    for s in &snap {
        let url = format!(
            "rtmp://{}/live/cam{}_{}",
            backup.addr,
            s.key.camera(),
            s.key.stream()
        );
        players.push((s.key.clone(), watch(&url).await));
    }
    for (key, w) in &players {
        w.until_frames(&format!("frames of {key} on the fallback"), 3)
            .await;
    }

    for s in fleet.snapshot() {
        assert!(s.frames_sent > 0 && s.bytes_sent > 0, "{s:?}");
        assert!(s.uptime.is_some() && s.bitrate.is_some(), "{s:?}");
    }

    // The event stream told each session's move: Reconnecting, then Publishing on the fallback.
    let mut moved = std::collections::BTreeSet::new();
    while let Some(ev) = events.try_next() {
        if let FleetEvent::State {
            key,
            to: ConnectionState::Publishing,
            url: Some(u),
            ..
        } = ev
            && u.port() == b_port
        {
            moved.insert(key);
        }
    }
    assert_eq!(
        moved.len(),
        16,
        "a Publishing event on the fallback per session"
    );

    bounded("fleet close", fleet.close()).await;
    for f in feeders {
        bounded("feeder ends once its session is removed", f).await;
    }
    for (_, w) in players {
        w.task.abort();
    }
    backup.stop().await;
}

async fn a_camera_added_and_one_removed_while_running() {
    let relay = start(Server::builder()).await;
    let url = |cam: &str| format!("rtmp://{}/live/{cam}_main", relay.addr);
    let spec = |cam: &str| StreamSpec::from_urls(StreamKey::new(cam, "main"), &[url(cam)]).unwrap();
    let fleet = fleet();
    let feeders: Vec<_> = ["1", "2"]
        .iter()
        .map(|c| feed(fleet.add(spec(c)).unwrap()))
        .collect();
    until_all("both publishing", &fleet, |s| {
        s.state == ConnectionState::Publishing
    })
    .await;
    let (one, two) = (watch(&url("1")).await, watch(&url("2")).await);
    one.until_frames("camera 1 plays", 3).await;
    two.until_frames("camera 2 plays", 3).await;
    let mut events = fleet.events();
    while events.try_next().is_some() {}

    // Camera 3 joins: its stream appears on the relay.
    let three_feeder = feed(fleet.add(spec("3")).unwrap());
    assert!(matches!(
        fleet.add(spec("3")),
        Err(ClientError::DuplicateStream(k)) if k == "3/main"
    ));
    let key3 = StreamKey::new("3", "main");
    bounded("camera 3 publishing", async {
        while fleet
            .snapshot()
            .iter()
            .all(|s| s.key != key3 || s.state != ConnectionState::Publishing)
        {
            rt::sleep(Duration::from_millis(25)).await;
        }
    })
    .await;
    let three = watch(&url("3")).await;
    three.until_frames("camera 3 plays", 3).await;

    // Camera 2 leaves: its players get the end of the stream; camera 1 goes on.
    let key2 = StreamKey::new("2", "main");
    assert!(bounded("remove camera 2", fleet.remove(&key2)).await);
    assert!(!fleet.remove(&key2).await, "removed once");
    bounded("camera 2's player sees the end of stream", async {
        while !two.ended.load(Ordering::Relaxed) {
            rt::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    one.until_frames("camera 1 keeps playing", 10).await;
    assert!(!one.ended.load(Ordering::Relaxed));
    let keys: Vec<String> = fleet.keys().iter().map(ToString::to_string).collect();
    assert_eq!(keys, ["1/main", "3/main"]);
    let key1 = StreamKey::new("1", "main");
    let s1 = fleet
        .snapshot()
        .into_iter()
        .find(|s| s.key == key1)
        .unwrap();
    assert_eq!((s1.state, s1.reconnects), (ConnectionState::Publishing, 0));

    // Camera 1 never noticed: no event of its own since the others came and went.
    let mut seen = Vec::new();
    while let Some(ev) = events.try_next() {
        seen.push(ev);
    }
    assert!(seen.iter().all(|e| e.key() != &key1), "{seen:?}");
    assert!(seen.contains(&FleetEvent::Added(key3.clone())));
    assert!(seen.contains(&FleetEvent::Removed(key2.clone())));

    bounded("fleet close", fleet.close()).await;
    for f in feeders.into_iter().chain([three_feeder]) {
        bounded("feeders end", f).await;
    }
    for w in [one, two, three] {
        w.task.abort();
    }
    relay.stop().await;
}

/// The first `n` video frames a player of `url` receives (it may start before the
/// publisher): each one's codec, and whether it is a sequence header or a keyframe.
fn first_video(url: String, n: usize) -> rt::Task<Vec<(Option<StreamCodec>, bool, bool)>> {
    rt::spawn(async move {
        let mut player = Client::builder().url(&url).play().await.expect("player");
        let mut seen = Vec::new();
        while seen.len() < n {
            if let Some(PlayerEvent::Media(m)) = player.next().await
                && m.kind == MediaKind::Video
            {
                let tag = VideoTag::parse(m.payload.clone()).expect("a video tag");
                let codec = StreamCodec::of_video(&m.payload);
                seen.push((codec, tag.is_sequence_header(), tag.is_keyframe()));
            }
        }
        player.close().await;
        seen
    })
}

fn data_file(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../rtmp-proto/tests/data")
        .join(name)
}

async fn hevc_or_h264_switches_codec_at_the_failover_never_mid_gop() {
    let ertmp = start(Server::builder()).await;
    let mut legacy_config = ServerConfig::default();
    legacy_config.enhanced_policy = EnhancedPolicy::LegacyOnly;
    let legacy = start(Server::builder().session_config(legacy_config)).await;
    let url = |addr: std::net::SocketAddr| format!("rtmp://{addr}/live/cam1_main");
    let spec = StreamSpec::from_urls(
        StreamKey::new("1", "main"),
        &[url(ertmp.addr), url(legacy.addr)],
    )
    .unwrap()
    .with_codec(CodecPreference::HevcOrH264);
    let fleet = fleet();
    let publisher = fleet.add(spec).unwrap();
    let on_ertmp = first_video(url(ertmp.addr), 4);
    let on_legacy = first_video(url(legacy.addr), 4);
    let pusher = rt::spawn(async move {
        let (h264, hevc) = (
            data_file("legacy_h264_aac.flv"),
            data_file("ertmp_hevc_opus.flv"),
        );
        publisher
            .push_flv_by_codec(CodecPreference::HevcOrH264, &h264, Some(&hevc))
            .await
    });
    let snap = until_all("publishing on the E-RTMP relay", &fleet, |s| {
        s.state == ConnectionState::Publishing
    })
    .await;
    assert_eq!(
        snap[0].codec,
        StreamCodec::Hevc,
        "our relay answers hvc1: {snap:?}"
    );
    let seen = bounded("HEVC on the E-RTMP relay", on_ertmp).await;
    assert!(
        seen.iter().all(|(c, ..)| *c == Some(StreamCodec::Hevc)),
        "{seen:?}"
    );
    assert!(seen[0].1, "a sequence header first: {seen:?}");

    ertmp.stop().await;
    let snap = until_all("publishing on the legacy relay", &fleet, |s| {
        s.state == ConnectionState::Publishing && port_of(s) == Some(legacy.addr.port())
    })
    .await;
    assert_eq!(snap[0].codec, StreamCodec::H264, "{snap:?}");
    let seen = bounded("H.264 on the legacy relay", on_legacy).await;
    assert!(
        seen.iter().all(|(c, ..)| *c == Some(StreamCodec::H264)),
        "{seen:?}"
    );
    assert!(seen[0].1, "the H.264 sequence header first: {seen:?}");
    let first_frame = seen.iter().find(|(_, header, _)| !header).expect("a frame");
    assert!(
        first_frame.2,
        "the first H.264 frame is a keyframe: {seen:?}"
    );

    bounded("fleet close", fleet.close()).await;
    let pushed = bounded("pusher ends", pusher).await;
    assert!(matches!(pushed, Err(ClientError::Closed)), "{pushed:?}");
    legacy.stop().await;
}

async fn each_bad_config_gives_one_clear_error() {
    let cases = [
        (r#"{ "cameras": [ "#, "not a valid fleet configuration"),
        (
            r#"{ "rtmp": { "url_template": "rtmp://a/live/{cam}" },
                 "cameras": [ { "id": 4, "streams": [ { "name": "sub" } ] } ] }"#,
            "camera \"4\", stream \"sub\": template \"rtmp://a/live/{cam}\": template uses variable \"cam\"",
        ),
        (
            r#"{ "cameras": [ { "id": 2, "streams": [ { "name": "main", "rtmp": { "urls": [] } } ] } ] }"#,
            "camera \"2\", stream \"main\": rtmp.urls is empty",
        ),
        (
            r#"{ "cameras": [ { "id": 7, "streams": [ { "name": "main", "rtmp": { "urls": ["rtmp://ok/live/a", "rtmp://bad host/live/a"] } } ] } ] }"#,
            "camera \"7\", stream \"main\": URL \"rtmp://bad host/live/a\"",
        ),
        (
            r#"{ "cameras": [ { "id": 1, "streams": [ { "name": "main" } ] } ] }"#,
            "camera \"1\", stream \"main\": no URLs",
        ),
        (r#"{ "cameras": [] }"#, "no cameras configured"),
    ];
    for (json, says) in cases {
        let e = parse_fleet_config(json)
            .and_then(|c| c.streams())
            .expect_err(json);
        let text = e.to_string();
        assert!(
            text.starts_with(says) || text.contains(says),
            "{json}\n gave: {text}\n expected: {says}"
        );
    }
}

tests!(
    a_camera_added_and_one_removed_while_running,
    hevc_or_h264_switches_codec_at_the_failover_never_mid_gop,
    each_bad_config_gives_one_clear_error,
);
threaded_tests!(sixteen_sessions_fail_over_when_the_primary_relay_dies,);
