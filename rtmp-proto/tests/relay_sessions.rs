//! The relay policy driving real sessions, wired exactly as the adapter recipe in
//! `rtmp_proto::relay` says: publishers and players are `ClientSession`s talking to
//! `ServerSession`s over in-memory byte pipes, one thread, virtual clock.

mod relay_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use relay_support::*;
use rtmp_proto::amf::Value;
use rtmp_proto::relay::{
    ConnId, Frame, Join, PlayerPolicy, PlayerRef, Registry, RelayConfig, StreamKey, Verdict,
    stream_not_found,
};
use rtmp_proto::session::{
    ClientConfig, ClientEvent, ClientSession, ConnectParams, ConnectReply, Media, Metadata,
    PublishMode, ServerConfig, ServerEvent, ServerSession, StreamHandle, StreamId,
};

struct Peer {
    conn: ConnId,
    client: ClientSession,
    server: ServerSession,
    client_in: BytesMut,
    server_in: BytesMut,
    /// Bytes on their way, delivered `Hub::split` at a time.
    to_server: BytesMut,
    to_client: BytesMut,
    client_events: Vec<ClientEvent>,
    app: String,
    publishing: HashMap<StreamId, StreamKey>,
    playing: HashMap<StreamId, (StreamKey, PlayerPolicy)>,
    /// A slow player: its server's output is not written to the client.
    stalled: bool,
    closed: bool,
}

struct Hub {
    now: Instant,
    reg: Registry,
    peers: Vec<Peer>,
    /// Bytes delivered per step in each direction (0: everything at once).
    split: usize,
}

/// The relay without waiting players or a publisher grace: players end with their
/// publisher and a play of a stream that is not live is refused.
fn immediate() -> RelayConfig {
    let mut c = RelayConfig::default();
    c.wait_for_publisher = false;
    c.publisher_grace = std::time::Duration::ZERO;
    c
}

impl Hub {
    fn new(config: RelayConfig) -> Self {
        Hub {
            now: Instant::now(),
            reg: Registry::new(config),
            peers: Vec::new(),
            split: 0,
        }
    }

    fn connect(&mut self) -> usize {
        let conn = self.reg.open_connection();
        let mut client = ClientSession::new(Arc::new(ClientConfig::default()), self.now);
        client
            .connect(ConnectParams::new("live", "rtmp://localhost/live"))
            .unwrap();
        self.peers.push(Peer {
            conn,
            client,
            server: ServerSession::new(Arc::new(ServerConfig::default()), self.now),
            client_in: BytesMut::new(),
            server_in: BytesMut::new(),
            to_server: BytesMut::new(),
            to_client: BytesMut::new(),
            client_events: Vec::new(),
            app: String::new(),
            publishing: HashMap::new(),
            playing: HashMap::new(),
            stalled: false,
            closed: false,
        });
        self.drive();
        self.peers.len() - 1
    }

    fn index_of(&self, conn: ConnId) -> Option<usize> {
        self.peers.iter().position(|p| p.conn == conn)
    }

    /// Moves bytes and handles events until everything settled.
    fn drive(&mut self) {
        let split = self.split;
        let step = move |len: usize| if split == 0 { len } else { len.min(split) };
        for _ in 0..10_000_000 {
            let mut progressed = false;
            for i in 0..self.peers.len() {
                let p = &mut self.peers[i];
                while let Some(seg) = p.client.poll_transmit() {
                    p.to_server.extend_from_slice(&seg);
                }
                let n = step(p.to_server.len());
                if n > 0 && !p.server.is_closed() {
                    let piece = p.to_server.split_to(n);
                    p.server_in.extend_from_slice(&piece);
                    let _ = p.server.handle_input(self.now, &mut p.server_in);
                    progressed = true;
                }
                let mut events = Vec::new();
                while let Some(ev) = self.peers[i].server.poll_event() {
                    events.push(ev);
                }
                for ev in events {
                    progressed = true;
                    self.on_event(i, ev);
                }
                let p = &mut self.peers[i];
                if !p.stalled {
                    while let Some(seg) = p.server.poll_transmit() {
                        p.to_client.extend_from_slice(&seg);
                    }
                }
                let n = step(p.to_client.len());
                if n > 0 {
                    let piece = p.to_client.split_to(n);
                    p.client_in.extend_from_slice(&piece);
                    let _ = p.client.handle_input(self.now, &mut p.client_in);
                    progressed = true;
                }
                while let Some(ev) = p.client.poll_event() {
                    p.client_events.push(ev);
                    progressed = true;
                }
            }
            if !progressed {
                return;
            }
        }
        panic!("hub did not settle");
    }

    fn on_event(&mut self, i: usize, ev: ServerEvent) {
        let conn = self.peers[i].conn;
        match ev {
            ServerEvent::ConnectRequested { id, request } => {
                self.peers[i].app = request.app;
                self.peers[i]
                    .server
                    .accept_connect(self.now, id, ConnectReply::default())
                    .unwrap();
            }
            ServerEvent::PublishRequested { id, request } => {
                let key = StreamKey::new(&self.peers[i].app, &request.name);
                match self.reg.publish(&key, conn) {
                    Ok(grant) => {
                        self.peers[i].server.accept_publish(self.now, id).unwrap();
                        self.peers[i].publishing.insert(request.stream, key);
                        for p in &grant.resumed {
                            if let Some(j) = self.index_of(p.conn)
                                && let Some((_, policy)) = self.peers[j].playing.get_mut(&p.stream)
                            {
                                policy.on_republish();
                            }
                        }
                        if let Some(old) = grant.displaced.and_then(|c| self.index_of(c)) {
                            self.peers[old].server.close();
                        }
                    }
                    Err(refused) => self.peers[i]
                        .server
                        .reject(self.now, id, refused.rejection())
                        .unwrap(),
                }
            }
            ServerEvent::PlayRequested { id, request } => {
                let key = StreamKey::new(&self.peers[i].app, &request.name);
                let player = PlayerRef {
                    conn,
                    stream: request.stream,
                };
                match self.reg.join(self.now, &key, player) {
                    Join::Live { initial, policy } => {
                        let s = &mut self.peers[i].server;
                        s.accept_play(self.now, id).unwrap();
                        for f in &initial {
                            f.send_to(s, request.stream, rtmp_proto::session::Droppable::No)
                                .unwrap();
                        }
                        self.peers[i].playing.insert(request.stream, (key, policy));
                    }
                    Join::Waiting { policy, .. } => {
                        self.peers[i].server.accept_play(self.now, id).unwrap();
                        self.peers[i].playing.insert(request.stream, (key, policy));
                    }
                    Join::NotFound => self.peers[i]
                        .server
                        .reject(self.now, id, stream_not_found(&key))
                        .unwrap(),
                    _ => unreachable!(),
                }
            }
            ServerEvent::Media { stream, media } => self.fan_out(i, stream, Frame::media(media)),
            ServerEvent::Metadata { stream, metadata } => {
                self.fan_out(i, stream, Frame::metadata(&metadata))
            }
            ServerEvent::PublishStopped { stream } => {
                if let Some(key) = self.peers[i].publishing.remove(&stream) {
                    let ended = self.reg.unpublish(self.now, &key, conn);
                    self.end_players(&ended);
                }
            }
            ServerEvent::PlayStopped { stream } => {
                if let Some((key, _)) = self.peers[i].playing.remove(&stream) {
                    self.reg.leave(&key, PlayerRef { conn, stream });
                }
            }
            ServerEvent::Paused { stream, paused, .. } => {
                let Some((key, policy)) = self.peers[i].playing.get_mut(&stream) else {
                    return;
                };
                if paused {
                    policy.pause();
                } else if let Some(cache) = self.reg.cache(key) {
                    for f in policy.unpause(cache) {
                        f.send_to(
                            &mut self.peers[i].server,
                            stream,
                            rtmp_proto::session::Droppable::No,
                        )
                        .unwrap();
                    }
                }
            }
            ServerEvent::Closed(_) => {
                self.peers[i].closed = true;
                for (_, (_, mut policy)) in self.peers[i].playing.drain() {
                    self.reg.add_player_stats(&policy.take_stats());
                }
                let closed = self.reg.close_connection(self.now, conn);
                for e in closed.unpublished {
                    self.end_players(&e.players);
                }
            }
            _ => {}
        }
    }

    fn fan_out(&mut self, i: usize, stream: StreamId, frame: Frame) {
        let conn = self.peers[i].conn;
        let Some(key) = self.peers[i].publishing.get(&stream).cloned() else {
            return;
        };
        if self.reg.ingest(&key, conn, &frame).is_err() {
            return;
        }
        let players: Vec<PlayerRef> = self.reg.players(&key).collect();
        for p in players {
            let Some(j) = self.index_of(p.conn) else {
                continue;
            };
            let peer = &mut self.peers[j];
            let backlog = peer.server.pending_transmit_bytes();
            let Some((_, policy)) = peer.playing.get_mut(&p.stream) else {
                continue;
            };
            match policy.offer(self.now, &frame, backlog) {
                Verdict::Send(d) => {
                    let ts = policy.timestamp(&frame);
                    let _ = frame.send_to_at(&mut peer.server, p.stream, d, ts);
                }
                Verdict::Disconnect(_) => peer.server.close(),
                _ => {}
            }
        }
    }

    fn end_players(&mut self, players: &[PlayerRef]) {
        for p in players {
            if let Some(j) = self.index_of(p.conn) {
                let peer = &mut self.peers[j];
                if let Some((_, mut policy)) = peer.playing.remove(&p.stream) {
                    self.reg.add_player_stats(&policy.take_stats());
                }
                let _ = peer.server.end_stream(p.stream);
            }
        }
    }

    fn publish(&mut self, name: &str) -> (usize, StreamHandle) {
        let i = self.connect();
        let h = self.peers[i]
            .client
            .publish(name, PublishMode::Live)
            .unwrap();
        self.drive();
        (i, h)
    }

    fn play(&mut self, name: &str) -> (usize, StreamHandle) {
        let i = self.connect();
        let h = self.peers[i].client.play(name).unwrap();
        self.drive();
        (i, h)
    }

    fn send(&mut self, (i, h): (usize, StreamHandle), frames: &[Frame]) {
        for f in frames {
            let media: Media = f.as_media().expect("media frame").clone();
            self.peers[i].client.send_media(h, media).unwrap();
        }
        self.drive();
    }

    fn media_of(&self, i: usize) -> Vec<Media> {
        self.peers[i]
            .client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Media { media, .. } => Some(media.clone()),
                _ => None,
            })
            .collect()
    }

    fn saw_status(&self, i: usize, code: &str) -> bool {
        self.peers[i].client_events.iter().any(|e| match e {
            ClientEvent::Status { code: c, .. } | ClientEvent::StreamFailed { code: c, .. } => {
                c == code
            }
            _ => false,
        })
    }
}

fn medias(frames: &[Frame]) -> Vec<Media> {
    frames
        .iter()
        .filter_map(|f| f.as_media().cloned())
        .collect()
}

#[test]
fn late_joiner_gets_metadata_headers_gop_then_live_and_the_end_of_stream() {
    let mut hub = Hub::new(immediate());
    let publisher = hub.publish("cam?token=1");
    let h = publisher.1;
    hub.peers[publisher.0]
        .client
        .send_metadata(h, &Metadata::new(Value::Number(1.0)))
        .unwrap();
    let before = [
        avc_seq(0, 1),
        aac_seq(0, 1),
        avc_key(0, 3000),
        aac(10, 100),
        avc_inter(40, 500),
    ];
    hub.send(publisher, &before);
    let (viewer, _) = hub.play("cam");
    let live = [avc_inter(80, 500), aac(90, 100), avc_key(120, 3000)];
    hub.send(publisher, &live);
    let ev = &hub.peers[viewer].client_events;
    let md = ev
        .iter()
        .position(|e| matches!(e, ClientEvent::Metadata { .. }))
        .expect("metadata");
    let first_media = ev
        .iter()
        .position(|e| matches!(e, ClientEvent::Media { .. }))
        .unwrap();
    assert!(md < first_media, "metadata before media");
    let mut expected = medias(&before);
    expected.extend(medias(&live));
    assert_eq!(hub.media_of(viewer), expected);

    // The publisher stops: the player gets StreamEOF + UnpublishNotify, the slot is free.
    hub.peers[publisher.0].client.close_stream(h).unwrap();
    hub.drive();
    assert!(hub.saw_status(viewer, "NetStream.Play.UnpublishNotify"));
    assert!(
        hub.peers[viewer]
            .client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::StreamEof { .. }))
    );
    let key = StreamKey::new("live", "cam");
    assert!(!hub.reg.is_live(&key));
    let again = hub.publish("cam");
    assert!(
        hub.peers[again.0]
            .client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::PublishStarted { .. }))
    );
}

#[test]
fn duplicate_publish_gets_bad_name_and_missing_stream_gets_stream_not_found() {
    let mut hub = Hub::new(immediate());
    let _first = hub.publish("cam");
    let (second, _) = hub.publish("cam");
    assert!(hub.saw_status(second, "NetStream.Publish.BadName"));
    let (viewer, _) = hub.play("nobody");
    assert!(hub.saw_status(viewer, "NetStream.Play.StreamNotFound"));
}

#[test]
fn a_publisher_that_vanishes_frees_the_slot_and_ends_its_players() {
    let mut hub = Hub::new(immediate());
    let publisher = hub.publish("cam");
    hub.send(publisher, &[avc_seq(0, 1), avc_key(0, 100)]);
    let (viewer, _) = hub.play("cam");
    // The TCP connection drops (end of input): no unpublish, just Closed.
    hub.peers[publisher.0].server.handle_eof(hub.now);
    hub.drive();
    assert!(hub.saw_status(viewer, "NetStream.Play.UnpublishNotify"));
    assert!(!hub.reg.is_live(&StreamKey::new("live", "cam")));
    assert_eq!(hub.reg.counters().publishers, 0);
    // A timeout ends the next publisher the same way.
    let next = hub.publish("cam");
    hub.now += Duration::from_secs(3600);
    hub.peers[next.0].server.handle_timeout(hub.now);
    hub.drive();
    assert!(hub.peers[next.0].closed);
    assert!(!hub.reg.is_live(&StreamKey::new("live", "cam")));
}

#[test]
fn a_stalled_player_is_dropped_while_the_others_get_everything() {
    let mut config = RelayConfig::default();
    config.player_soft_bytes = 20_000;
    config.player_hard_bytes = 60_000;
    config.player_soft_age = Duration::from_secs(1);
    config.player_max_age = Duration::from_secs(3);
    config.gop_max_frames = 0;
    let mut hub = Hub::new(config);
    let publisher = hub.publish("cam");
    hub.send(publisher, &[avc_seq(0, 1), aac_seq(0, 1)]);
    let (fast, _) = hub.play("cam");
    let (slow, _) = hub.play("cam");
    hub.peers[slow].stalled = true;
    let mut frames = Vec::new();
    for i in 0..120u32 {
        let f = if i % 30 == 0 {
            avc_key(i * 40, 4000)
        } else if i % 2 == 0 {
            aac(i * 40, 200)
        } else {
            avc_inter(i * 40, 1000)
        };
        frames.push(f);
    }
    for f in &frames {
        hub.now += Duration::from_millis(40);
        hub.send(publisher, std::slice::from_ref(f));
    }
    assert_eq!(hub.media_of(fast)[2..], medias(&frames)[..]);
    assert!(
        hub.peers[slow].closed,
        "the stalled player was disconnected"
    );
    hub.drive();
    let c = hub.reg.counters();
    assert_eq!(c.lag_disconnects, 1);
    assert!(c.lag_events >= 1);
    assert!(c.frames_dropped > 0);
    assert_eq!(c.players, 1);
}

#[test]
fn pause_then_unpause_resends_headers_and_resumes_at_a_keyframe() {
    let mut hub = Hub::new(RelayConfig::default());
    let publisher = hub.publish("cam");
    hub.send(publisher, &[avc_seq(0, 1), aac_seq(0, 1), avc_key(0, 100)]);
    let (viewer, vh) = hub.play("cam");
    hub.peers[viewer].client.pause(vh, true, 0.0).unwrap();
    hub.drive();
    let before = hub.media_of(viewer).len();
    hub.send(publisher, &[avc_inter(40, 50), aac(50, 10)]);
    assert_eq!(hub.media_of(viewer).len(), before, "nothing while paused");
    hub.peers[viewer].client.pause(vh, false, 0.0).unwrap();
    hub.drive();
    let tail = [
        aac(60, 10),
        avc_inter(80, 50),
        avc_key(120, 100),
        aac(130, 10),
    ];
    hub.send(publisher, &tail);
    let got = hub.media_of(viewer);
    let resumed = &got[before..];
    // Headers again, then from the keyframe on (the audio and inter frame before it held).
    assert_eq!(
        resumed,
        medias(&[
            avc_seq(0, 1),
            aac_seq(0, 1),
            avc_key(120, 100),
            aac(130, 10)
        ])
    );
}

#[test]
fn a_player_keeps_playing_through_its_publishers_reconnect_over_real_sessions() {
    // Every byte stream delivered whole, then in pieces of 1, 7 and 137 bytes.
    for split in [0, 1, 7, 137] {
        reconnect_keeps_the_player(split);
    }
}

fn reconnect_keeps_the_player(split: usize) {
    // The defaults: a 5 s publisher grace.
    let mut hub = Hub::new(RelayConfig::default());
    hub.split = split;
    let first = hub.publish("cam");
    hub.send(first, &[avc_seq(0, 1), avc_key(0, 100), avc_inter(40, 50)]);
    let (viewer, _) = hub.play("cam");
    hub.send(first, &[avc_key(1000, 100), avc_inter(1040, 50)]);
    // The publisher's connection dies (no unpublish), and a new one publishes 2 s later
    // with its clock at 0 and the same sequence header.
    hub.peers[first.0].server.handle_eof(hub.now);
    hub.drive();
    hub.now += std::time::Duration::from_secs(2);
    let second = hub.publish("cam");
    hub.send(
        second,
        &[
            avc_seq(0, 1),
            avc_inter(0, 50),
            avc_key(40, 100),
            avc_inter(80, 50),
        ],
    );
    assert!(
        !hub.peers[viewer]
            .client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::StreamEof { .. })),
        "the player was told the stream ended"
    );
    let got: Vec<u32> = hub.media_of(viewer).iter().map(|m| m.timestamp).collect();
    // Join burst (header, keyframe 0, inter 40), live (1000, 1040), then the new
    // publisher from its keyframe: 1040 + 2000 ms of gap, then +40. Its identical header
    // is not sent again.
    assert_eq!(
        got,
        [0, 0, 40, 1000, 1040, 3040, 3080],
        "split {split}: {got:?}"
    );
}

#[test]
fn a_waiting_player_that_answers_pings_is_not_closed_as_idle() {
    // Two minutes of waiting for a publisher (the idle timeout is 60 s): the server pings
    // every 15 s of silence and the player's session answers.
    let mut hub = Hub::new(RelayConfig::default());
    let (viewer, _) = hub.play("cam");
    assert_eq!(hub.reg.waiting(&StreamKey::new("live", "cam")).count(), 1);
    for _ in 0..24 {
        hub.now += std::time::Duration::from_secs(5);
        let now = hub.now;
        hub.peers[viewer].server.handle_timeout(now);
        hub.peers[viewer].client.handle_timeout(now);
        hub.drive();
    }
    assert!(
        !hub.peers[viewer].server.is_closed(),
        "a waiting player was closed"
    );
    // The same player silent (its output not read, nothing answered) is closed.
    hub.peers[viewer].stalled = true;
    for _ in 0..24 {
        hub.now += std::time::Duration::from_secs(5);
        let now = hub.now;
        hub.peers[viewer].server.handle_timeout(now);
        hub.drive();
    }
    assert!(
        hub.peers[viewer].server.is_closed(),
        "a silent player stayed"
    );
}
