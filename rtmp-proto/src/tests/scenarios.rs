//! Client ↔ server scenarios, each run under every [`Segmenter`].

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use super::pair::{Decide, Pair, Segmenter};
use crate::Limits;
use crate::amf::Value;
use crate::chunk::{ChunkDecoder, ChunkEncoder};
use crate::message::{Command, ControlMessage, Encoding, RawMessage};
use crate::session::{
    CallResult, ClientConfig, ClientEvent, CloseReason, ConnectParams, ConnectReply, Media,
    MediaKind, Metadata, PublishMode, Rejection, ServerConfig, ServerEvent, StreamHandle, StreamId,
    TimeoutKind, Timeouts,
};

/// The first event matching the pattern, mapped; panics naming the pattern when none does.
macro_rules! first {
    ($events:expr, $pat:pat $(if $guard:expr)? => $out:expr) => {
        $events
            .iter()
            .find_map(|e| match e {
                $pat $(if $guard)? => Some($out),
                _ => None,
            })
            .expect(concat!("no event ", stringify!($pat)))
    };
}

/// Every event matching the pattern, mapped.
macro_rules! all {
    ($events:expr, $pat:pat $(if $guard:expr)? => $out:expr) => {
        $events
            .iter()
            .filter_map(|e| match e {
                $pat $(if $guard)? => Some($out),
                _ => None,
            })
            .collect()
    };
}

/// Bytes of C0+C1+C2 (and S0+S1+S2) before the chunk stream starts.
const HANDSHAKE_LEN: usize = 1 + 1536 + 1536;

fn params() -> ConnectParams {
    ConnectParams::new("live", "rtmp://127.0.0.1/live")
}

fn connected(seg: Segmenter) -> Pair {
    let mut p = Pair::new(seg);
    p.client.connect(params()).unwrap();
    p.drive();
    assert_eq!(
        p.client_saw(|e| matches!(e, ClientEvent::Connected { .. })),
        1,
        "{seg:?}"
    );
    p
}

fn publishing(seg: Segmenter) -> (Pair, StreamHandle) {
    let mut p = connected(seg);
    let h = p
        .client
        .publish("cam1?key=secret", PublishMode::Live)
        .unwrap();
    p.drive();
    assert_eq!(
        p.client_saw(|e| matches!(e, ClientEvent::PublishStarted { .. })),
        1,
        "{seg:?}"
    );
    (p, h)
}

fn playing(seg: Segmenter) -> (Pair, StreamHandle, StreamId) {
    let mut p = connected(seg);
    let h = p.client.play("cam1").unwrap();
    p.drive();
    let stream =
        first!(p.server_events, ServerEvent::PlayRequested { request, .. } => request.stream);
    assert_eq!(
        p.client_saw(|e| matches!(e, ClientEvent::PlayStarted { .. })),
        1,
        "{seg:?}"
    );
    (p, h, stream)
}

/// Every message in a logged byte stream after the handshake.
fn messages_in(log: &[u8]) -> Vec<RawMessage> {
    let mut dec = ChunkDecoder::new(&Limits::default());
    let mut buf = BytesMut::from(&log[HANDSHAKE_LEN.min(log.len())..]);
    let mut out = Vec::new();
    while let Ok(Some(m)) = dec.decode(&mut buf) {
        out.push(m);
    }
    out
}

fn video(ts: u32, len: usize, fill: u8) -> Media {
    let mut payload = vec![fill; len];
    payload[0] = 0x17; // keyframe, AVC
    Media {
        kind: MediaKind::Video,
        timestamp: ts,
        payload: Bytes::from(payload),
    }
}

#[test]
fn connect_accept_exposes_the_command_object() {
    for seg in Segmenter::ALL {
        let p = connected(seg);
        let req = first!(p.server_events, ServerEvent::ConnectRequested { request, .. } => request.clone());
        assert_eq!(req.app, "live");
        assert_eq!(req.tc_url.as_deref(), Some("rtmp://127.0.0.1/live"));
        assert_eq!(
            req.command_object.get("type").and_then(Value::as_str),
            Some("nonprivate")
        );
        assert_eq!(p.server_saw(|e| matches!(e, ServerEvent::HandshakeDone)), 1);
        // Window Ack Size, Set Peer Bandwidth and Set Chunk Size precede the _result (NOTES 14).
        let types: Vec<u8> = messages_in(&p.s2c_log).iter().map(|m| m.type_id).collect();
        assert_eq!(&types[..4], &[5, 6, 1, 20], "{seg:?}");
    }
}

#[test]
fn connect_reject_reaches_the_client_and_closes() {
    for seg in Segmenter::ALL {
        let mut p = Pair::new(seg);
        p.decide = Decide::Manual;
        p.client.connect(params()).unwrap();
        p.drive();
        let id = first!(p.server_events, ServerEvent::ConnectRequested { id, .. } => *id);
        p.server
            .reject(p.now, id, Rejection::new("bad key"))
            .unwrap();
        p.drive();
        assert!(p.client_events.iter().any(|e| matches!(e,
            ClientEvent::ConnectRejected { code, description, redirect: None }
                if code == "NetConnection.Connect.Rejected" && description == "bad key")));
        assert_eq!(
            p.server_events.last(),
            Some(&ServerEvent::Closed(CloseReason::Rejected))
        );
        assert!(p.server.is_closed());
    }
}

/// A decision takes `now`: commands held behind it start their own decision deadline at
/// the decision's time, not at the last input's.
#[test]
fn a_decision_starts_the_held_requests_deadlines_at_its_now() {
    let mut p = Pair::new(Segmenter::Whole);
    p.decide = Decide::Manual;
    p.client.connect(params()).unwrap();
    p.drive();
    let t0 = p.now;
    let id = first!(p.server_events, ServerEvent::ConnectRequested { id, .. } => *id);
    // Pipelined behind the undecided connect: createStream, then publish on stream 1.
    let create = Command::new("createStream", 2.0, Value::Null, vec![]);
    let publish = Command::new(
        "publish",
        0.0,
        Value::Null,
        vec![Value::from("cam"), Value::from("live")],
    );
    inject_c2s(
        &mut p,
        &[
            create.to_raw(Encoding::Amf0, 0, 0),
            publish.to_raw(Encoding::Amf0, 0, 1),
        ],
    );
    assert_eq!(
        p.server_saw(|e| matches!(e, ServerEvent::PublishRequested { .. })),
        0
    );
    let decision = Timeouts::default().decision;
    let late = t0 + decision - Duration::from_secs(2);
    p.server
        .accept_connect(late, id, ConnectReply::default())
        .unwrap();
    p.drive();
    let publish = first!(p.server_events, ServerEvent::PublishRequested { id, .. } => *id);
    // Past a deadline counted from the last input, before one counted from the decision.
    p.server
        .handle_timeout(t0 + decision + Duration::from_secs(1));
    assert!(
        p.server
            .accept_publish(late + decision - Duration::from_millis(1), publish)
            .is_ok()
    );
}

#[test]
fn connect_redirect_carries_the_url() {
    for seg in Segmenter::ALL {
        let mut p = Pair::new(seg);
        p.decide = Decide::Manual;
        p.client.connect(params()).unwrap();
        p.drive();
        let id = first!(p.server_events, ServerEvent::ConnectRequested { id, .. } => *id);
        p.server.redirect(p.now, id, "rtmp://backup/live").unwrap();
        p.drive();
        assert!(p.client_events.iter().any(|e| matches!(e,
            ClientEvent::ConnectRejected { redirect: Some(url), .. } if url == "rtmp://backup/live")));
    }
}

#[test]
fn connect_reply_properties_reach_the_client() {
    let mut p = Pair::new(Segmenter::Whole);
    p.decide = Decide::Manual;
    p.client.connect(params()).unwrap();
    p.drive();
    let id = first!(p.server_events, ServerEvent::ConnectRequested { id, .. } => *id);
    let reply = ConnectReply {
        properties: vec![("capsEx".into(), Value::Number(1.0))],
        ..Default::default()
    };
    p.server.accept_connect(p.now, id, reply).unwrap();
    p.drive();
    let props =
        first!(p.client_events, ClientEvent::Connected { properties, .. } => properties.clone());
    assert_eq!(props.get("capsEx").and_then(Value::as_f64), Some(1.0));
    assert_eq!(
        props.get("fmsVer").and_then(Value::as_str),
        Some("FMS/3,5,7,7009")
    );
}

#[test]
fn publish_delivers_media_and_metadata_byte_identical() {
    for seg in Segmenter::ALL {
        let (mut p, h) = publishing(seg);
        let req = first!(p.server_events, ServerEvent::PublishRequested { request, .. } => request.clone());
        assert_eq!(
            (req.name.as_str(), req.query.as_deref()),
            ("cam1", Some("key=secret"))
        );
        let meta = Value::object([
            ("width", Value::Number(1280.0)),
            ("videocodecid", Value::Number(7.0)),
        ]);
        p.client.send_metadata(h, &Metadata::new(meta)).unwrap();
        let frames: Vec<Media> = (0..20)
            .map(|i| video(i * 33, 100 + i as usize * 997, i as u8))
            .collect();
        for f in &frames {
            p.client.send_media(h, f.clone()).unwrap();
        }
        p.drive();
        let got: Vec<Media> =
            all!(p.server_events, ServerEvent::Media { media, .. } => media.clone());
        assert_eq!(got, frames, "{seg:?}");
        let md =
            first!(p.server_events, ServerEvent::Metadata { metadata, .. } => metadata.clone());
        assert_eq!(md.values.get("width").and_then(Value::as_f64), Some(1280.0));
        // Symmetry: the server read exactly what the client wrote.
        assert_eq!(p.c2s_log.len(), p.c2s_log.len());
    }
}

#[test]
fn relay_by_hand_publisher_to_player_is_byte_identical() {
    for seg in Segmenter::ALL {
        let (mut publisher, h) = publishing(seg);
        let (mut player, ph, pstream) = playing(seg);
        let frames: Vec<Media> = (0..30)
            .map(|i| {
                let mut m = video(i * 40, 10 + (i as usize * 4099) % 20000, i as u8);
                if i % 3 == 0 {
                    m.kind = MediaKind::Audio;
                }
                m
            })
            .collect();
        for f in &frames {
            publisher.client.send_media(h, f.clone()).unwrap();
        }
        publisher.drive();
        for ev in &publisher.server_events {
            if let ServerEvent::Media { media, .. } = ev {
                player
                    .server
                    .send_media(pstream, media.clone(), crate::session::Droppable::No)
                    .unwrap();
            }
        }
        player.drive();
        let got: Vec<Media> = all!(player.client_events, ClientEvent::Media { handle, media } if *handle == ph => media.clone());
        assert_eq!(got, frames, "{seg:?}");
    }
}

#[test]
fn pause_unpause_and_end_of_stream() {
    for seg in Segmenter::ALL {
        let (mut p, h, stream) = playing(seg);
        p.client.pause(h, true, 1234.0).unwrap();
        p.drive();
        assert!(p.server_events.iter().any(|e| matches!(e,
            ServerEvent::Paused { paused: true, position, .. } if *position == 1234.0)));
        assert!(!p.server.is_playing(stream));
        assert!(p.client_events.iter().any(|e| matches!(e,
            ClientEvent::Status { code, .. } if code == "NetStream.Pause.Notify")));
        p.client.pause(h, false, 1234.0).unwrap();
        p.drive();
        assert!(p.server.is_playing(stream));
        assert!(p.client_events.iter().any(|e| matches!(e,
            ClientEvent::Status { code, .. } if code == "NetStream.Unpause.Notify")));
        p.server.end_stream(stream).unwrap();
        p.drive();
        for code in ["NetStream.Play.UnpublishNotify", "NetStream.Play.Stop"] {
            assert!(
                p.client_events
                    .iter()
                    .any(|e| matches!(e, ClientEvent::Status { code: c, .. } if c == code)),
                "{code}"
            );
        }
        assert!(
            p.client_events
                .iter()
                .any(|e| matches!(e, ClientEvent::StreamEof { handle } if *handle == h))
        );
    }
}

/// Found by the interop tests: ffmpeg ends at `UnpublishNotify`, so the end notices must
/// not overtake media still queued for the player (they used the priority lane).
#[test]
fn end_of_stream_follows_queued_media() {
    for seg in Segmenter::ALL {
        let (mut p, h, stream) = playing(seg);
        let frames: Vec<Media> = (0..4).map(|i| video(i * 40, 5000, i as u8)).collect();
        for f in &frames {
            p.server
                .send_media(stream, f.clone(), crate::session::Droppable::No)
                .unwrap();
        }
        p.server.end_stream(stream).unwrap();
        p.drive();
        let order: Vec<&str> = p
            .client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Media { handle, .. } if *handle == h => Some("media"),
                ClientEvent::StreamEof { handle } if *handle == h => Some("eof"),
                ClientEvent::Status { code, .. } if code == "NetStream.Play.UnpublishNotify" => {
                    Some("unpublish")
                }
                ClientEvent::Status { code, .. } if code == "NetStream.Play.Stop" => Some("stop"),
                _ => None,
            })
            .collect();
        assert_eq!(
            order,
            [
                "media",
                "media",
                "media",
                "media",
                "eof",
                "unpublish",
                "stop"
            ],
            "{seg:?}"
        );
    }
}

#[test]
fn handshake_timeout_closes() {
    let mut p = Pair::new(Segmenter::Whole);
    // Nothing is driven: the server never sees C0/C1.
    p.now += Duration::from_secs(10);
    p.server.handle_timeout(p.now);
    assert_eq!(
        p.server.poll_event(),
        Some(ServerEvent::Closed(CloseReason::Timeout(
            TimeoutKind::Handshake
        )))
    );
    assert_eq!(p.server.poll_timeout(), None);
}

#[test]
fn ping_then_ping_timeout_when_the_client_goes_silent() {
    let mut p = connected(Segmenter::Whole);
    // The client answers pings while it is driven...
    p.advance(Duration::from_secs(16));
    assert!(!p.server.is_closed());
    let pings = messages_in(&p.s2c_log)
        .iter()
        .filter(|m| m.type_id == 4 && m.payload.get(..2) == Some(&[0, 6]))
        .count();
    assert_eq!(pings, 1);
    let pongs = messages_in(&p.c2s_log)
        .iter()
        .filter(|m| m.type_id == 4 && m.payload.get(..2) == Some(&[0, 7]))
        .count();
    assert_eq!(pongs, 1);
    // ...and once it stops reading, the server pings and gives up.
    let mut t = p.now;
    for _ in 0..50 {
        t += Duration::from_secs(1);
        p.server.handle_timeout(t);
    }
    let closed: Vec<_> = std::iter::from_fn(|| p.server.poll_event()).collect();
    assert!(
        closed.contains(&ServerEvent::Closed(CloseReason::Timeout(
            TimeoutKind::Ping
        ))),
        "{closed:?}"
    );
}

#[test]
fn idle_timeout_without_pings() {
    let mut cfg = ServerConfig::default();
    cfg.timeouts.ping_interval = None;
    let mut p = Pair::with_configs(Segmenter::Whole, cfg, ClientConfig::default());
    p.client.connect(params()).unwrap();
    p.drive();
    p.now += Duration::from_secs(60);
    p.server.handle_timeout(p.now);
    let evs: Vec<_> = std::iter::from_fn(|| p.server.poll_event()).collect();
    assert!(evs.contains(&ServerEvent::Closed(CloseReason::Timeout(
        TimeoutKind::Idle
    ))));
}

#[test]
fn decision_timeout_rejects_the_connect() {
    let mut p = Pair::new(Segmenter::Whole);
    p.decide = Decide::Manual;
    p.client.connect(params()).unwrap();
    p.drive();
    p.advance(Duration::from_secs(10));
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::ConnectRejected { .. }))
    );
    assert!(p.server.is_closed());
}

#[test]
fn pipelined_commands_wait_for_the_connect_decision() {
    for seg in Segmenter::ALL {
        let mut p = Pair::new(seg);
        p.decide = Decide::Manual;
        p.client.connect(params()).unwrap();
        p.drive();
        // Send createStream behind the undecided connect, as some encoders do.
        let create = Command {
            name: "createStream".into(),
            transaction_id: 2.0,
            command_object: Value::Null,
            arguments: vec![],
        };
        inject_c2s(&mut p, &[create.to_raw(Encoding::Amf0, 0, 0)]);
        assert_eq!(
            p.server_saw(|e| matches!(e, ServerEvent::StreamCreated { .. })),
            0
        );
        let id = first!(p.server_events, ServerEvent::ConnectRequested { id, .. } => *id);
        p.server
            .accept_connect(p.now, id, ConnectReply::default())
            .unwrap();
        p.drive();
        assert_eq!(
            p.server_saw(|e| matches!(e, ServerEvent::StreamCreated { .. })),
            1,
            "{seg:?}"
        );
    }
}

/// Sends chunks straight to the server, bypassing the client session (a raw peer), with a
/// chunk encoder that uses the client's outbound chunk size.
fn inject_c2s(p: &mut Pair, messages: &[RawMessage]) {
    let mut enc = ChunkEncoder::new();
    enc.set_chunk_size(ClientConfig::default().chunk_size)
        .unwrap();
    let mut bytes = BytesMut::new();
    for m in messages {
        // csid 8: a chunk stream the client session itself never uses.
        enc.encode_message(8, m, &mut bytes).unwrap();
    }
    let mut input = bytes;
    p.server.handle_input(p.now, &mut input).unwrap();
    p.drive();
}

#[test]
fn transaction_id_zero_still_gets_a_reply() {
    let mut p = connected(Segmenter::Whole);
    let before = messages_in(&p.s2c_log).len();
    let create = Command {
        name: "createStream".into(),
        transaction_id: 0.0,
        command_object: Value::Null,
        arguments: vec![],
    };
    inject_c2s(&mut p, &[create.to_raw(Encoding::Amf0, 0, 0)]);
    let replies = messages_in(&p.s2c_log);
    assert!(replies.len() > before);
    assert!(p.server_saw(|e| matches!(e, ServerEvent::StreamCreated { .. })) >= 1);
}

#[test]
fn unknown_commands_get_call_failed_and_an_event() {
    let mut p = connected(Segmenter::Whole);
    let id = p
        .client
        .call("customThing", vec![Value::from("x")])
        .unwrap();
    p.drive();
    assert!(
        p.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Call { call, .. } if call.name == "customThing"))
    );
    assert!(p.client_events.iter().any(|e| matches!(e,
        ClientEvent::CallResult { id: got, result: CallResult::Error { .. } } if *got == id)));
}

#[test]
fn custom_calls_are_answered_by_the_application() {
    let cfg = ServerConfig {
        custom_calls: true,
        ..ServerConfig::default()
    };
    let mut p = Pair::with_configs(Segmenter::Whole, cfg, ClientConfig::default());
    p.client.connect(params()).unwrap();
    p.drive();
    let call = p.client.call("getTime", vec![]).unwrap();
    p.drive();
    let id = first!(p.server_events, ServerEvent::Call { id, .. } => *id);
    p.server
        .answer_call(p.now, id, Ok(vec![Value::Number(42.0)]))
        .unwrap();
    p.drive();
    assert!(p.client_events.iter().any(|e| matches!(e,
        ClientEvent::CallResult { id, result: CallResult::Success { arguments, .. } }
            if *id == call && arguments == &[Value::Number(42.0)])));
}

#[test]
fn acknowledgements_follow_the_window_across_the_u32_wrap() {
    let cfg = ServerConfig {
        window_ack_size: 5000,
        ..ServerConfig::default()
    };
    let mut p = Pair::with_configs(Segmenter::Random(3), cfg, ClientConfig::default());
    p.client.connect(params()).unwrap();
    p.drive();
    // Pretend the client has already received almost 4 GiB (and acknowledged it).
    let already = p.client.reader.acks.total();
    let _ = p
        .client
        .reader
        .acks
        .on_received((u32::MAX - 2000 - already) as usize);
    let h = p.client.play("x").unwrap();
    p.drive();
    let stream =
        first!(p.server_events, ServerEvent::PlayRequested { request, .. } => request.stream);
    for i in 0..10 {
        p.server
            .send_media(stream, video(i, 1500, 1), crate::session::Droppable::No)
            .unwrap();
    }
    p.drive();
    let _ = h;
    let acks: Vec<u32> = messages_in(&p.c2s_log)
        .iter()
        .filter_map(|m| match ControlMessage::decode(m.type_id, &m.payload) {
            Ok(ControlMessage::Acknowledgement { sequence_number }) => Some(sequence_number),
            _ => None,
        })
        .collect();
    assert!(acks.len() >= 2, "{acks:?}");
    // The sequence numbers wrapped past 2^32 and each is at least a window past the last.
    assert!(acks.iter().any(|a| *a < 100_000), "{acks:?}");
}

#[test]
fn chunk_size_changes_mid_stream() {
    for seg in Segmenter::ALL {
        let (mut p, h) = publishing(seg);
        let a = video(0, 9000, 1);
        p.client.send_media(h, a.clone()).unwrap();
        p.client.set_chunk_size(100).unwrap();
        let b = video(40, 9000, 2);
        p.client.send_media(h, b.clone()).unwrap();
        p.client.set_chunk_size(65536).unwrap();
        let c = video(80, 90000, 3);
        p.client.send_media(h, c.clone()).unwrap();
        p.drive();
        let got: Vec<Media> =
            all!(p.server_events, ServerEvent::Media { media, .. } => media.clone());
        assert_eq!(got, vec![a, b, c], "{seg:?}");
    }
}

#[test]
fn extended_timestamps_cross_24_bits_and_wrap() {
    for seg in Segmenter::ALL {
        let (mut p, h) = publishing(seg);
        let stamps = [
            0xFF_FFFE,
            0xFF_FFFF,
            0x100_0000,
            u32::MAX - 1,
            u32::MAX,
            0,
            5,
        ];
        let frames: Vec<Media> = stamps.iter().map(|t| video(*t, 6000, 9)).collect();
        for f in &frames {
            p.client.send_media(h, f.clone()).unwrap();
        }
        p.drive();
        let got: Vec<u32> =
            all!(p.server_events, ServerEvent::Media { media, .. } => media.timestamp);
        assert_eq!(got, stamps, "{seg:?}");
    }
}

#[test]
fn abort_discards_a_partial_message() {
    let (mut p, _h) = publishing(Segmenter::Whole);
    let stream =
        first!(p.server_events, ServerEvent::PublishRequested { request, .. } => request.stream.0);
    // A 10000-byte video message of which only the first chunk is sent, then Abort on its
    // csid, then a whole message on the same csid.
    let mut enc = ChunkEncoder::new();
    enc.set_chunk_size(ClientConfig::default().chunk_size)
        .unwrap();
    let partial = RawMessage {
        timestamp: 1,
        type_id: 9,
        stream_id: stream,
        payload: Bytes::from(vec![0x17; 10000]),
    };
    let mut all = BytesMut::new();
    enc.encode_message(9, &partial, &mut all).unwrap();
    let first_chunk = all.split_to(12 + 4096);
    let abort = ControlMessage::Abort { chunk_stream_id: 9 }.to_raw(0);
    let whole = RawMessage {
        timestamp: 2,
        type_id: 9,
        stream_id: stream,
        payload: Bytes::from(vec![0x27; 50]),
    };
    let mut enc2 = ChunkEncoder::new();
    enc2.set_chunk_size(ClientConfig::default().chunk_size)
        .unwrap();
    let mut rest = BytesMut::new();
    enc2.encode_message(2, &abort, &mut rest).unwrap();
    enc2.encode_message(9, &whole, &mut rest).unwrap();
    let mut input = first_chunk;
    input.extend_from_slice(&rest);
    p.server.handle_input(p.now, &mut input).unwrap();
    p.drive();
    let media: Vec<u32> =
        all!(p.server_events, ServerEvent::Media { media, .. } => media.timestamp);
    assert_eq!(media, vec![2]);
}

#[test]
fn aggregate_messages_become_separate_media_events() {
    let (mut p, _h) = publishing(Segmenter::Whole);
    let stream =
        first!(p.server_events, ServerEvent::PublishRequested { request, .. } => request.stream.0);
    let parts = vec![
        RawMessage {
            timestamp: 1000,
            type_id: 9,
            stream_id: stream,
            payload: Bytes::from_static(&[0x17, 1, 0, 0, 0, 9]),
        },
        RawMessage {
            timestamp: 1020,
            type_id: 8,
            stream_id: stream,
            payload: Bytes::from_static(&[0xAF, 1, 7]),
        },
    ];
    let mut agg = crate::message::build_aggregate(&parts).unwrap();
    agg.timestamp = 5000;
    agg.stream_id = stream;
    inject_c2s(&mut p, &[agg]);
    let got: Vec<(MediaKind, u32)> =
        all!(p.server_events, ServerEvent::Media { media, .. } => (media.kind, media.timestamp));
    assert_eq!(
        got,
        vec![(MediaKind::Video, 5000), (MediaKind::Audio, 5020)]
    );
}

#[test]
fn malformed_input_closes_with_a_protocol_error() {
    let mut p = connected(Segmenter::Whole);
    // fmt 1 on a csid never opened with fmt 0.
    let mut bad = BytesMut::from(&[0x40 | 40, 0, 0, 0, 0, 0, 5, 9][..]);
    assert!(p.server.handle_input(p.now, &mut bad).is_err());
    let evs: Vec<_> = std::iter::from_fn(|| p.server.poll_event()).collect();
    assert!(matches!(
        evs.last(),
        Some(ServerEvent::Closed(CloseReason::Protocol(_)))
    ));
    // Sticky: the same error again, nothing else happens.
    assert!(
        p.server
            .handle_input(p.now, &mut BytesMut::from(&[1u8][..]))
            .is_err()
    );
    assert_eq!(p.server.poll_event(), None);
}

fn enhanced_params() -> ConnectParams {
    use crate::media::FourCc;
    use crate::media::caps::{CapsEx, CodecKey, EnhancedCaps, FourCcCaps};
    let hvc1 = CodecKey::FourCc(FourCc(*b"hvc1"));
    let av01 = CodecKey::FourCc(FourCc(*b"av01"));
    let opus = CodecKey::FourCc(FourCc(*b"Opus"));
    let mut p = params();
    p.enhanced = Some(EnhancedCaps {
        fourcc_list: vec![hvc1, av01],
        video: vec![(hvc1, FourCcCaps::ALL), (av01, FourCcCaps::DECODE)],
        audio: vec![(opus, FourCcCaps::ALL)],
        caps_ex: CapsEx(CapsEx::RECONNECT.0 | CapsEx::MULTITRACK.0),
    });
    p
}

#[test]
fn enhanced_rtmp_capabilities_are_negotiated() {
    use crate::media::FourCc;
    use crate::media::caps::{CapsEx, CodecKey};
    for seg in Segmenter::ALL {
        let mut p = Pair::new(seg);
        p.client.connect(enhanced_params()).unwrap();
        p.drive();
        let req = first!(p.server_events, ServerEvent::ConnectRequested { request, .. } => request.clone());
        let theirs = req.enhanced.expect("client advertised E-RTMP");
        assert_eq!(theirs.fourcc_list.len(), 2);
        let answer =
            first!(p.client_events, ClientEvent::Connected { enhanced, .. } => enhanced.clone())
                .expect("server answered with E-RTMP caps");
        // The relay forwards anything: the intersection is exactly what the client listed.
        assert!(
            answer
                .fourcc_list
                .contains(&CodecKey::FourCc(FourCc(*b"hvc1"))),
            "{seg:?}"
        );
        assert!(answer.caps_ex.contains(CapsEx::RECONNECT));
        assert!(!answer.caps_ex.contains(CapsEx::MOD_EX));
    }
}

#[test]
fn legacy_clients_get_a_legacy_result_and_no_reconnect_request() {
    let mut p = connected(Segmenter::Whole);
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::Connected { enhanced: None, .. }))
    );
    assert!(
        p.server
            .request_reconnect(Some("rtmp://b/live"), None)
            .is_err()
    );
}

#[test]
fn enhanced_only_refuses_legacy_clients() {
    let cfg = ServerConfig {
        enhanced_policy: crate::media::caps::EnhancedPolicy::EnhancedOnly,
        ..ServerConfig::default()
    };
    let mut p = Pair::with_configs(Segmenter::Whole, cfg, ClientConfig::default());
    p.client.connect(params()).unwrap();
    p.drive();
    assert!(
        p.client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::ConnectRejected { .. }))
    );
    assert_eq!(
        p.server_saw(|e| matches!(e, ServerEvent::ConnectRequested { .. })),
        0
    );
}

#[test]
fn reconnect_request_reaches_a_client_that_advertised_it() {
    for seg in Segmenter::ALL {
        let mut p = Pair::new(seg);
        p.client.connect(enhanced_params()).unwrap();
        p.drive();
        p.server
            .request_reconnect(Some("rtmp://edge2/live"), Some("maintenance"))
            .unwrap();
        p.drive();
        assert!(
            p.client_events.iter().any(|e| matches!(e,
            ClientEvent::ReconnectRequested { tc_url: Some(u), description: Some(d) }
                if u == "rtmp://edge2/live" && d == "maintenance")),
            "{seg:?}"
        );
    }
}

#[test]
fn queued_droppable_media_can_be_discarded() {
    let (mut p, h, stream) = playing(Segmenter::Whole);
    let keep = video(0, 5000, 1);
    p.server
        .send_media(stream, keep.clone(), crate::session::Droppable::No)
        .unwrap();
    for i in 1..5 {
        p.server
            .send_media(
                stream,
                video(i * 40, 5000, 2),
                crate::session::Droppable::Yes,
            )
            .unwrap();
    }
    let queued = p.server.pending_transmit_bytes();
    assert!(queued >= 25_000);
    assert_eq!(p.server.discard_droppable(), 4);
    assert_eq!(p.server.pending_transmit_bytes(), queued - 20_000);
    p.drive();
    let got: Vec<Media> = all!(p.client_events, ClientEvent::Media { handle, media } if *handle == h => media.clone());
    assert_eq!(got, vec![keep]);
}

#[test]
fn delete_stream_by_name_is_tolerated() {
    let (mut p, _h) = publishing(Segmenter::Whole);
    let stream =
        first!(p.server_events, ServerEvent::PublishRequested { request, .. } => request.stream);
    let delete = Command::new("deleteStream", 0.0, Value::Null, vec![Value::from("cam1")]);
    inject_c2s(&mut p, &[delete.to_raw(Encoding::Amf0, 0, stream.0)]);
    assert!(
        p.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::PublishStopped { stream: s } if *s == stream))
    );
    assert!(
        p.server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::StreamDeleted { stream: s } if *s == stream))
    );
    assert!(!p.server.is_closed());
}

#[test]
fn client_answers_set_peer_bandwidth_with_window_ack_size() {
    let p = connected(Segmenter::Whole);
    let sent: Vec<ControlMessage> = messages_in(&p.c2s_log)
        .iter()
        .filter_map(|m| ControlMessage::decode(m.type_id, &m.payload).ok())
        .collect();
    assert!(
        sent.contains(&ControlMessage::WindowAckSize(
            ServerConfig::default().peer_bandwidth
        )),
        "{sent:?}"
    );
}

#[test]
fn every_live_start_value_means_live() {
    for start in [-2000.0, -1000.0, -2.0, -1.0, 0.0] {
        let mut p = connected(Segmenter::Whole);
        let create = Command::new("createStream", 2.0, Value::Null, vec![]);
        inject_c2s(&mut p, &[create.to_raw(Encoding::Amf0, 0, 0)]);
        let play = Command::new(
            "play",
            0.0,
            Value::Null,
            vec![Value::from("s"), Value::Number(start)],
        );
        inject_c2s(&mut p, &[play.to_raw(Encoding::Amf0, 0, 1)]);
        let req =
            first!(p.server_events, ServerEvent::PlayRequested { request, .. } => request.clone());
        assert!(req.wants_live(), "{start}");
    }
}

/// Frames chunked once for many players ([`Frame::encode`]) reach a player exactly as
/// per-player chunking would deliver them, interleaved with its own media, metadata and
/// control messages, at any split of the bytes; at a chunk size other than the one they
/// were cut at, the session chunks them itself; droppable ones can still be discarded.
#[test]
fn encoded_frames_arrive_like_per_player_ones() {
    use crate::relay::Frame;
    use crate::session::Droppable;
    for seg in Segmenter::ALL {
        let (mut p, h, stream) = playing(seg);
        let size = p.server.chunk_size();
        assert_eq!(size, ServerConfig::default().chunk_size);
        let frames: Vec<Media> = (0..6)
            .map(|i| {
                video(
                    i * 40,
                    [10, 4096, 9000, 300, 1, 20_000][i as usize],
                    i as u8,
                )
            })
            .collect();
        let mut expected = Vec::new();
        for (i, m) in frames.iter().enumerate() {
            let frame = Frame::media(m.clone());
            if i % 2 == 0 {
                let e = frame.encode(stream, size, m.timestamp).unwrap();
                p.server.send_encoded(&e, Droppable::No).unwrap();
            } else {
                p.server
                    .send_media(stream, m.clone(), Droppable::No)
                    .unwrap();
            }
            expected.push(m.clone());
        }
        // A wrong chunk size: chunked by the session instead.
        let odd = video(300, 5000, 9);
        let e = Frame::media(odd.clone()).encode(stream, 128, 300).unwrap();
        p.server.send_encoded(&e, Droppable::No).unwrap();
        expected.push(odd);
        // A droppable one, discarded before it goes out.
        let dropped = video(340, 700, 7);
        let e = Frame::media(dropped).encode(stream, size, 340).unwrap();
        p.server.send_encoded(&e, Droppable::Yes).unwrap();
        assert_eq!(p.server.discard_droppable(), 1);
        p.drive();
        let got: Vec<Media> = p
            .client_events
            .iter()
            .filter_map(|e| match e {
                ClientEvent::Media { handle, media } if *handle == h => Some(media.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(got, expected, "{seg:?}");
        assert_eq!(p.server.pending_transmit_bytes(), 0);
    }
}

/// [`Playback`](crate::relay::Playback): a run of live frames reaches the player's session
/// as the run's shared encodings; a lag event sheds queued inter frames; a player cut for
/// lag inside a run gets none of the rest of it.
#[test]
fn playback_applies_the_policy_to_the_session() {
    use crate::relay::{
        Delivery, Encodings, Frame, LagReason, Playback, PlayerPolicy, RelayConfig,
    };
    let inter = |ts: u32, len: usize| {
        // AVC NALU (packet type 1), not a keyframe.
        let mut m = video(ts, len, 1);
        let mut body = m.payload.to_vec();
        body[0] = 0x27;
        m.payload = Bytes::from(body);
        Frame::media(m)
    };
    let key = |ts: u32, len: usize| Frame::media(video(ts, len, 1));
    let now = std::time::Instant::now();
    let config = RelayConfig {
        player_soft_bytes: 10_000,
        player_hard_bytes: 40_000,
        ..RelayConfig::default()
    };

    // Plays: the run goes out as shared chunks, in order.
    let (mut p, h, stream) = playing(Segmenter::Whole);
    let mut playback = Playback::new(stream, PlayerPolicy::new(&config));
    let mut encodings = Encodings::new();
    let run = [key(0, 3000), inter(40, 2000), inter(80, 2000)];
    let d = playback.offer(now, &run, &mut encodings, &mut p.server, 0);
    assert_eq!(d, Delivery::Playing { discarded: 0 });
    assert_eq!(encodings.len(), 3, "each frame chunked once for the group");
    p.drive();
    let got = p.client_saw(|e| matches!(e, ClientEvent::Media { handle, .. } if *handle == h));
    assert_eq!(got, 3);

    // Unwritten output over the soft bound: a lag event, queued inter frames are shed.
    encodings.clear();
    let run: Vec<Frame> = (0..5).map(|i| inter(120 + 40 * i, 2500)).collect();
    playback.offer(now, &run, &mut encodings, &mut p.server, 0);
    encodings.clear();
    let d = playback.offer(now, &[inter(320, 100)], &mut encodings, &mut p.server, 0);
    // The first four went out at once (the session had nothing else queued: a short run
    // is committed whole), the fifth was still queued.
    assert_eq!(d, Delivery::Playing { discarded: 1 });
    assert!(playback.policy().is_lagging());

    // Over the hard bound inside a run: cut, and nothing after that is queued.
    encodings.clear();
    let before = p.server.pending_transmit_bytes();
    let run = [key(360, 3000), inter(400, 1000), inter(440, 1000)];
    let d = playback.offer(now, &run, &mut encodings, &mut p.server, 40_000);
    assert_eq!(d, Delivery::Disconnect(LagReason::HardBytes));
    assert_eq!(p.server.pending_transmit_bytes(), before);
    assert_eq!(playback.take_stats().lag_disconnects, 1);
}
