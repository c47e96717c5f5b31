//! RTMPS on both runtimes (issue 18), certificates made by the test with rcgen:
//! - our publisher and players over rtmps (and one over plain RTMP on the other listener)
//!   through the relay's TLS listener;
//! - a certificate that does not verify (unknown CA, wrong host name, expired) is a
//!   permanent failure: the next URL of the failover list is used, and a list with no
//!   other URL gives up at once instead of retrying every backoff step;
//! - hostile input on the TLS port (garbage, a TLS handshake that stalls, a plain RTMP C0)
//!   is closed within the handshake deadline while a stream over TLS goes on.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::common::{STEP, bounded};
use crate::rt;
use adapter::driver::io::tls::{TlsAcceptor, TlsConnector};
use adapter::proto::client::{ClientError, FailureReason, ReconnectPolicy};
use adapter::proto::session::{MediaKind, ServerConfig};
use adapter::{Client, Player, PlayerEvent, Publisher, Server, ServerBuilder, ServerHandle};
use bytes::Bytes;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

const AVC_HEADER: &[u8] = &[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 0];
const KEY: &[u8] = &[0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65];
const INTER: &[u8] = &[0x27, 1, 0, 0, 0, 0, 0, 0, 1, 0x41];

/// A test CA and a server certificate it issued.
pub(crate) struct Pki {
    /// The CA's certificate, PEM.
    ca: String,
    /// The server's chain and key, PEM.
    chain: String,
    key: String,
}

/// How the server certificate is made.
#[derive(Clone, Copy)]
pub(crate) enum Leaf {
    /// Valid now, for `localhost` and 127.0.0.1.
    Good,
    /// Valid now, for `rtmp.test` only.
    OtherName,
    /// For `localhost` and 127.0.0.1, but expired in 2020.
    Expired,
}

pub(crate) fn pki(leaf: Leaf) -> Pki {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // A name of its own, so another test CA is not mistaken for this one's issuer.
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("test CA {n}"));
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let names: Vec<String> = match leaf {
        Leaf::OtherName => vec!["rtmp.test".into()],
        Leaf::Good | Leaf::Expired => vec!["localhost".into(), "127.0.0.1".into()],
    };
    let mut params = CertificateParams::new(names).expect("leaf params");
    if let Leaf::Expired = leaf {
        params.not_before = rcgen::date_time_ymd(2019, 1, 1);
        params.not_after = rcgen::date_time_ymd(2020, 1, 1);
    }
    let key = KeyPair::generate().expect("leaf key");
    let cert = params.signed_by(&key, &ca).expect("leaf certificate");
    Pki {
        ca: ca.pem(),
        chain: cert.pem(),
        key: key.serialize_pem(),
    }
}

impl Pki {
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from_pem(self.chain.as_bytes(), self.key.as_bytes()).expect("acceptor")
    }

    pub(crate) fn connector(&self) -> TlsConnector {
        TlsConnector::with_ca_pem(self.ca.as_bytes()).expect("connector")
    }
}

struct TlsServer {
    plain: SocketAddr,
    tls: SocketAddr,
    handle: ServerHandle,
    run: rt::Task<std::io::Result<()>>,
}

impl TlsServer {
    async fn stop(self) {
        self.handle.shutdown();
        bounded("server run to return", self.run)
            .await
            .expect("run");
    }
}

async fn start_tls(builder: ServerBuilder, pki: &Pki) -> TlsServer {
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    let server = builder
        .listen(local)
        .tls_listen(local, pki.acceptor())
        .bind()
        .await
        .expect("bind");
    TlsServer {
        plain: server.local_addr(),
        tls: server.tls_local_addr().expect("the TLS listener"),
        handle: server.handle(),
        run: rt::serve(server),
    }
}

fn fast_policy() -> ReconnectPolicy {
    let mut p = ReconnectPolicy::default().without_jitter();
    p.initial_delay = Duration::from_millis(50);
    p.max_delay = Duration::from_millis(400);
    p
}

/// Sends a sequence header and a GOP pattern until stopped; returns the publisher.
fn send_frames(publisher: Publisher, frames: u32) -> rt::Task<Publisher> {
    rt::spawn(async move {
        let _ = publisher
            .send_video(0, Bytes::from_static(AVC_HEADER))
            .await;
        for i in 0..frames {
            let frame = if i % 10 == 0 { KEY } else { INTER };
            if publisher
                .send_video(i * 40, Bytes::from_static(frame))
                .await
                .is_err()
            {
                break;
            }
            rt::sleep(Duration::from_millis(10)).await;
        }
        publisher
    })
}

/// Waits until `player` got `n` video frames.
async fn video_frames(player: &mut Player, n: usize, who: &str) {
    let mut got = 0;
    bounded(who, async {
        while got < n {
            match player.next().await.expect("player ended") {
                PlayerEvent::Media(m) if m.kind == MediaKind::Video => got += 1,
                _ => {}
            }
        }
    })
    .await;
}

async fn rtmps_publish_and_play() {
    let pki = pki(Leaf::Good);
    let srv = start_tls(Server::builder(), &pki).await;
    let tls_url = format!("rtmps://localhost:{}/live/cam", srv.tls.port());
    let mut players = Vec::new();
    for url in [
        tls_url.clone(),
        format!("rtmps://127.0.0.1:{}/live/cam", srv.tls.port()),
        format!("rtmp://{}/live/cam", srv.plain),
    ] {
        let player = Client::builder()
            .url(&url)
            .tls(pki.connector())
            .reconnect_policy(fast_policy())
            .play()
            .await
            .expect("player");
        players.push(player);
    }
    let publisher = bounded(
        "publish over rtmps",
        Client::builder()
            .url(&tls_url)
            .tls(pki.connector())
            .reconnect_policy(fast_policy())
            .publish(),
    )
    .await
    .expect("publishing over rtmps");
    let sender = send_frames(publisher, 200);
    for (i, p) in players.iter_mut().enumerate() {
        video_frames(p, 20, &format!("player {i}: frames")).await;
    }
    let publisher = bounded("sender", sender).await;
    assert!(publisher.status().counters.sent >= 20);
    bounded("publisher close", publisher.close()).await.unwrap();
    for p in players {
        bounded("player close", p.close()).await;
    }
    srv.stop().await;
}

/// Our publisher to `bad` (a TLS server whose certificate fails in `leaf`'s way), with a
/// plain backup: it publishes on the backup and the failure recorded is permanent; with
/// `bad` alone it gives up at once, however many attempts the policy allows.
async fn bad_certificate(leaf: Leaf, host: &str, reason: &str) {
    let bad = pki(leaf);
    let trusted = pki(Leaf::Good);
    let srv = start_tls(Server::builder(), &bad).await;
    let bad_url = format!("rtmps://{host}:{}/live/cam", srv.tls.port());
    let backup = format!("rtmp://{}/live/cam", srv.plain);
    // The client trusts `bad`'s CA except in the unknown-CA case.
    let connector = match leaf {
        Leaf::Good => trusted.connector(),
        Leaf::OtherName | Leaf::Expired => bad.connector(),
    };
    let mut policy = fast_policy();
    policy.max_attempts = Some(1000);
    policy.initial_delay = Duration::from_secs(1);
    policy.max_delay = Duration::from_secs(1);
    let publisher = bounded(
        "publish through the failover list",
        Client::builder()
            .url(&bad_url)
            .url(&backup)
            .tls(connector.clone())
            .reconnect_policy(policy.clone())
            .publish(),
    )
    .await
    .expect("publishing on the backup");
    let status = publisher.status();
    assert_eq!(
        status.url.as_ref().map(|u| u.port()),
        Some(srv.plain.port())
    );
    match &status.last_failure {
        Some(FailureReason::Permanent(text)) => {
            assert!(text.contains(reason), "{reason} in {text:?}")
        }
        other => panic!("a permanent failure, not {other:?}"),
    }
    bounded("publisher close", publisher.close()).await.unwrap();

    let started = Instant::now();
    let alone = bounded(
        "give up on the bad URL alone",
        Client::builder()
            .url(&bad_url)
            .tls(connector)
            .reconnect_policy(policy)
            .publish(),
    )
    .await;
    match alone {
        Err(ClientError::GaveUp(Some(FailureReason::Permanent(text)))) => {
            assert!(text.contains(reason), "{reason} in {text:?}")
        }
        other => panic!("gave up with a permanent failure, not {:?}", other.err()),
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "no backoff step before giving up: {:?}",
        started.elapsed()
    );
    srv.stop().await;
}

async fn unknown_ca_is_permanent() {
    bad_certificate(Leaf::Good, "localhost", "UnknownIssuer").await;
}

async fn wrong_host_name_is_permanent() {
    bad_certificate(Leaf::OtherName, "localhost", "not valid for name").await;
}

async fn expired_certificate_is_permanent() {
    bad_certificate(Leaf::Expired, "localhost", "expired").await;
}

/// Writes `bytes` to a raw TCP connection on `addr`, then waits for the server to close
/// it; how long that took, or why it did not happen within `limit`.
fn closed_within(addr: SocketAddr, bytes: &[u8], limit: Duration) -> Result<Duration, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(limit)).map_err(|e| e.to_string())?;
    let sent = Instant::now();
    let _ = s.write_all(bytes);
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(sent.elapsed()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(format!("still open after {limit:?}"));
            }
            Err(_) => return Ok(sent.elapsed()),
        }
        if sent.elapsed() > limit {
            return Err(format!("still talking after {limit:?}"));
        }
    }
}

/// The first bytes of a TLS 1.2 ClientHello record: a handshake that never completes.
const PARTIAL_CLIENT_HELLO: &[u8] = &[0x16, 0x03, 0x01, 0x00, 0xF0, 0x01, 0x00, 0x00, 0xEC];

async fn hostile_input_on_the_tls_port_is_closed_while_a_stream_goes_on() {
    let pki = pki(Leaf::Good);
    let handshake = Duration::from_secs(1);
    let mut config = ServerConfig::default();
    config.timeouts.handshake = handshake;
    let srv = start_tls(Server::builder().session_config(config), &pki).await;
    let url = format!("rtmps://localhost:{}/live/cam", srv.tls.port());
    let mut player = Client::builder()
        .url(&url)
        .tls(pki.connector())
        .play()
        .await
        .expect("player");
    let publisher = bounded(
        "publish over rtmps",
        Client::builder().url(&url).tls(pki.connector()).publish(),
    )
    .await
    .expect("publishing");
    let sender = send_frames(publisher, 1000);
    video_frames(&mut player, 5, "frames before the attacks").await;

    let mut c0c1 = vec![3u8];
    c0c1.resize(1537, 0);
    let attacks: [(&str, Vec<u8>); 4] = [
        ("garbage", vec![0xFF; 4096]),
        ("plain RTMP C0+C1", c0c1),
        ("a stalled TLS handshake", PARTIAL_CLIENT_HELLO.to_vec()),
        ("nothing at all", Vec::new()),
    ];
    let addr = srv.tls;
    let limit = handshake + Duration::from_secs(2);
    let results = bounded(
        "the attacks",
        rt::unblock(move || {
            let started = Instant::now();
            let results: Vec<_> = std::thread::scope(|s| {
                let runs: Vec<_> = attacks
                    .iter()
                    .map(|(what, bytes)| {
                        s.spawn(move || (*what, closed_within(addr, bytes, limit)))
                    })
                    .collect();
                runs.into_iter()
                    .map(|r| r.join().expect("attack"))
                    .collect()
            });
            (results, started.elapsed())
        }),
    )
    .await;
    for (what, r) in &results.0 {
        if let Err(e) = r {
            panic!("{what} on the TLS port on {}: {e}", rt::NAME);
        }
    }
    // The stream went on meanwhile.
    video_frames(&mut player, 20, "frames after the attacks").await;
    assert!(results.1 < STEP);
    sender.abort();
    bounded("player close", player.close()).await;
    srv.stop().await;
}

/// A TLS player that stops reading while large frames flow: its socket and TLS records
/// back up, yet a TLS player beside it gets every frame, and the stalled one, read again,
/// gets on with its stream (or is told it lagged out).
async fn a_stalled_tls_player_does_not_slow_the_others() {
    const FRAMES: u32 = 400;
    let pki = pki(Leaf::Good);
    let srv = start_tls(Server::builder(), &pki).await;
    let url = format!("rtmps://localhost:{}/live/big", srv.tls.port());
    let player = |queue| {
        Client::builder()
            .url(&url)
            .tls(pki.connector())
            .queue_capacity(queue)
            .play()
    };
    let mut fast = player(64).await.expect("fast player");
    let mut stalled = player(1).await.expect("stalled player");
    let publisher = bounded(
        "publish over rtmps",
        Client::builder().url(&url).tls(pki.connector()).publish(),
    )
    .await
    .expect("publishing");
    let sender = rt::spawn(async move {
        let _ = publisher
            .send_video(0, Bytes::from_static(AVC_HEADER))
            .await;
        for i in 0..FRAMES {
            // 64 KiB keyframes, 16 KiB frames between: about 9 MiB in all.
            let (head, len) = if i % 10 == 0 {
                (KEY, 64 << 10)
            } else {
                (INTER, 16 << 10)
            };
            let mut frame = head.to_vec();
            frame.resize(len, 0x5A);
            if publisher
                .send_video(i * 40, Bytes::from(frame))
                .await
                .is_err()
            {
                break;
            }
            rt::sleep(Duration::from_millis(2)).await;
        }
        publisher
    });
    let mut got = 0u32;
    bounded("the fast player's frames", async {
        while got < FRAMES {
            match fast.next().await.expect("fast player ended") {
                PlayerEvent::Media(m) if m.kind == MediaKind::Video && m.payload.len() > 1000 => {
                    got += 1
                }
                _ => {}
            }
        }
    })
    .await;
    let publisher = bounded("sender", sender).await;
    let stats = srv.handle.stats();
    assert!(
        stats.lag_events > 0,
        "the stalled player backed up through its TLS socket: {stats:?}"
    );
    // The stalled player reads again: it moves (frames, or the end of its connection).
    bounded("the stalled player moves again", async {
        let mut events = 0;
        while events < 5 {
            match stalled.next().await {
                Some(_) => events += 1,
                None => break,
            }
        }
    })
    .await;
    bounded("publisher close", publisher.close()).await.unwrap();
    bounded("fast close", fast.close()).await;
    bounded("stalled close", stalled.close()).await;
    srv.stop().await;
}

tests!(
    rtmps_publish_and_play,
    a_stalled_tls_player_does_not_slow_the_others,
    unknown_ca_is_permanent,
    wrong_host_name_is_permanent,
    expired_certificate_is_permanent,
    hostile_input_on_the_tls_port_is_closed_while_a_stream_goes_on,
);
threaded_tests!(rtmps_publish_and_play);
