//! `Handover` (RTMP-NOTES 25): on `NetConnection.Connect.ReconnectRequest` the publisher
//! moves to a new connection at the next keyframe, then drops the old one; no frame is lost
//! or sent twice.

mod client_support;

use std::time::Instant;

use client_support::{Link, aac, aac_seq, avc_inter, avc_key, avc_seq};
use proptest::prelude::*;
use rtmp_proto::client::{
    ConnectionState, Handover, HandoverPhase, Route, RtmpUrl, StateMachine, TransitionReason,
};
use rtmp_proto::session::{ClientEvent, Media};

/// Seq headers, then `gops` GOPs of one keyframe and 4 inter frames, audio between.
fn av_stream(gops: u32) -> Vec<Media> {
    let mut v = vec![avc_seq(0, 1), aac_seq(0, 1)];
    let mut ts = 0;
    for _ in 0..gops {
        v.push(avc_key(ts));
        v.push(aac(ts + 1));
        for _ in 0..4 {
            ts += 40;
            v.push(avc_inter(ts));
            v.push(aac(ts + 1));
        }
        ts += 40;
    }
    v
}

/// Routes `frames`, starting the handover before frame `start` and marking the new
/// connection ready before frame `ready`. Returns (old, new) as sent on each connection,
/// the preamble included on the new one.
fn simulate(
    h: &mut Handover,
    frames: &[Media],
    start: usize,
    ready: usize,
) -> (Vec<Media>, Vec<Media>) {
    let (mut old, mut new) = (Vec::new(), Vec::new());
    for (i, m) in frames.iter().enumerate() {
        if i < start {
            // Before the request: the caller's sequence-header cache is what it sent.
            h.remember(m);
            old.push(m.clone());
            continue;
        }
        if i == ready {
            h.on_new_ready();
        }
        match h.route(m) {
            Route::Old => old.push(m.clone()),
            Route::Switch => {
                new.extend(h.preamble().cloned());
                new.push(m.clone());
            }
            Route::New => new.push(m.clone()),
            _ => unreachable!(),
        }
    }
    (old, new)
}

fn current() -> RtmpUrl {
    RtmpUrl::parse("rtmp://edge1/live/cam?key=k").unwrap()
}

#[test]
fn new_url_keeps_the_stream() {
    let h = Handover::new(&current(), Some("rtmp://edge2:1940/live")).unwrap();
    assert_eq!(h.new_url().to_string(), "rtmp://edge2:1940/live/cam?key=k");
    assert_eq!(h.phase(), HandoverPhase::Opening);
    let same = Handover::new(&current(), None).unwrap();
    assert_eq!(same.new_url(), &current());
    assert!(Handover::new(&current(), Some("http://x/y")).is_err());
}

#[test]
fn switches_at_the_next_keyframe_without_loss_or_duplicates() {
    let frames = av_stream(4);
    // Request in the middle of GOP 1, new connection ready two frames later.
    let mut h = Handover::new(&current(), Some("rtmp://edge2/live")).unwrap();
    let (old, new) = simulate(&mut h, &frames, 15, 17);
    assert_eq!(h.phase(), HandoverPhase::Switched);
    assert!(h.sends_to_new());
    // The new connection starts with the sequence headers, then a keyframe.
    assert_eq!(new[0], avc_seq(0, 1));
    assert_eq!(new[1], aac_seq(0, 1));
    assert_eq!(new[2], avc_key(400));
    // Old + new (without the preamble) is the original sequence exactly.
    let joined: Vec<Media> = old.iter().chain(&new[2..]).cloned().collect();
    assert_eq!(joined, frames);
    // The old connection stopped right before that keyframe.
    assert_eq!(old.last(), Some(&aac(361)));
}

#[test]
fn nothing_moves_until_the_new_connection_is_ready() {
    let frames = av_stream(3);
    let mut h = Handover::new(&current(), None).unwrap();
    // Ready never comes: everything stays on the old connection.
    let (old, new) = simulate(&mut h, &frames, 3, usize::MAX);
    assert_eq!(old, frames);
    assert!(new.is_empty());
    assert_eq!(h.phase(), HandoverPhase::Opening);
}

#[test]
fn abort_keeps_the_old_connection() {
    let frames = av_stream(2);
    let mut h = Handover::new(&current(), None).unwrap();
    h.on_new_ready();
    h.abort();
    assert_eq!(h.phase(), HandoverPhase::Aborted);
    assert!(frames.iter().all(|m| h.route(m) == Route::Old));
}

#[test]
fn a_newer_sequence_header_replaces_the_preamble_entry() {
    let mut frames = av_stream(1);
    frames.push(avc_seq(200, 2)); // the encoder changed its configuration
    frames.push(avc_inter(240));
    frames.push(avc_key(280));
    let mut h = Handover::new(&current(), None).unwrap();
    let (_, new) = simulate(&mut h, &frames, 0, 3);
    assert_eq!(new[..2], [aac_seq(0, 1), avc_seq(200, 2)]);
    assert_eq!(new[2], avc_key(280));
}

#[test]
fn audio_only_streams_switch_at_the_next_frame() {
    let frames: Vec<Media> = std::iter::once(aac_seq(0, 1))
        .chain((0..20).map(|i| aac(i * 23)))
        .collect();
    let mut h = Handover::new(&current(), None).unwrap();
    let (old, new) = simulate(&mut h, &frames, 5, 8);
    assert_eq!(old.len(), 8);
    assert_eq!(new[0], aac_seq(0, 1));
    assert_eq!(new[1..], frames[8..]);
}

#[test]
fn should_switch_is_true_once() {
    let frames = av_stream(3);
    let mut h = Handover::new(&current(), None).unwrap();
    h.remember(&frames[0]);
    h.on_new_ready();
    let switches: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter_map(|(i, m)| h.should_switch(m).then_some(i))
        .collect();
    assert_eq!(switches, [2], "the first keyframe, once");
}

/// End to end with real sessions: the old server asks the client to reconnect; the client
/// opens a second connection, switches at a keyframe and closes the old one. What the two
/// servers received, joined, is exactly what was published.
#[test]
fn reconnect_request_over_real_sessions() {
    let now = Instant::now();
    let url = RtmpUrl::parse("rtmp://edge1/live/cam?key=k").unwrap();
    let mut old = Link::new(now);
    let old_h = old.publish(now, &url);
    let mut sm = StateMachine::new();
    sm.dialing(now, 0).unwrap();
    sm.tcp_connected(now).unwrap();
    for ev in old.client_events.clone() {
        sm.on_client_event(now, &ev).unwrap();
    }
    assert_eq!(sm.state(), ConnectionState::Publishing);

    let frames = av_stream(4);
    let mut handover: Option<Handover> = None;
    let mut new: Option<(Link, rtmp_proto::session::StreamHandle)> = None;
    for (i, m) in frames.iter().enumerate() {
        if i == 9 {
            old.server
                .request_reconnect(Some("rtmp://edge2/live"), Some("maintenance"))
                .unwrap();
            for ev in old.drive(now) {
                if let ClientEvent::ReconnectRequested { tc_url, .. } = ev {
                    let mut h = Handover::new(&url, tc_url.as_deref()).unwrap();
                    for seq in &frames[..2] {
                        h.remember(seq);
                    }
                    handover = Some(h);
                }
            }
        }
        if i == 13 {
            let h = handover.as_mut().expect("the request arrived");
            let mut link = Link::new(now);
            let handle = link.publish(now, h.new_url());
            h.on_new_ready();
            new = Some((link, handle));
        }
        let route = handover.as_mut().map_or(Route::Old, |h| h.route(m));
        match (route, new.as_mut()) {
            (Route::Old, _) => old.client.send_media(old_h, m.clone()).unwrap(),
            (Route::Switch, Some((link, handle))) => {
                let h = handover.as_ref().unwrap();
                for p in h.preamble() {
                    link.client.send_media(*handle, p.clone()).unwrap();
                }
                link.client.send_media(*handle, m.clone()).unwrap();
                // Drain what the old connection still has queued, then close it.
                old.drive(now);
                old.client.close();
                old.drive(now);
                sm.handed_over(now, h.new_url().tc_url()).unwrap();
            }
            (Route::New, Some((link, handle))) => {
                link.client.send_media(*handle, m.clone()).unwrap()
            }
            (r, _) => panic!("route {r:?} without a new connection"),
        }
        old.drive(now);
        if let Some((link, _)) = new.as_mut() {
            link.drive(now);
        }
    }
    let (new_link, _) = new.unwrap();
    assert!(new_link.server.client_enhanced_caps().is_some());
    assert!(old.client.is_closed());
    let on_old = old.received();
    let on_new = new_link.received();
    assert_eq!(on_new[..2], frames[..2], "sequence headers first");
    assert_eq!(on_new[2], avc_key(400), "then a keyframe");
    let joined: Vec<Media> = on_old.iter().chain(&on_new[2..]).cloned().collect();
    assert_eq!(joined, frames);
    assert_eq!(sm.state(), ConnectionState::Publishing);
    assert_eq!(
        sm.transitions().last().map(|t| &t.reason),
        Some(&TransitionReason::HandedOver {
            tc_url: "rtmp://edge2/live".into()
        })
    );
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Key,
    Inter,
    Audio,
    VideoSeq,
    AudioSeq,
}

proptest! {
    /// Any stream, any request and ready points: every frame goes out exactly once, in
    /// order; after the switch the new connection begins with the preamble and a keyframe
    /// (or, for audio-only streams, a coded audio frame).
    #[test]
    fn every_frame_exactly_once(
        kinds in proptest::collection::vec(
            prop_oneof![
                3 => Just(Kind::Inter), 2 => Just(Kind::Audio), 1 => Just(Kind::Key),
                1 => Just(Kind::VideoSeq), 1 => Just(Kind::AudioSeq),
            ],
            0..60,
        ),
        start in 0usize..60,
        ready in 0usize..70,
    ) {
        let frames: Vec<Media> = kinds
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let ts = i as u32 * 10;
                match k {
                    Kind::Key => avc_key(ts),
                    Kind::Inter => avc_inter(ts),
                    Kind::Audio => aac(ts),
                    Kind::VideoSeq => avc_seq(ts, i as u8),
                    Kind::AudioSeq => aac_seq(ts, i as u8),
                }
            })
            .collect();
        let mut h = Handover::new(&current(), None).unwrap();
        let (old, new) = simulate(&mut h, &frames, start, ready.max(start));
        let preamble: Vec<Media> = h.preamble().cloned().collect();
        if h.sends_to_new() {
            // The preamble was sent at the switch; it can only have grown since (headers
            // arriving after the switch go to the new connection directly).
            let sent_preamble = new.len() - (frames.len() - old.len());
            prop_assert!(sent_preamble <= preamble.len());
            let switch_frame = &new[sent_preamble];
            let seen_video = frames[..old.len()].iter().any(|m| m.kind == rtmp_proto::session::MediaKind::Video);
            if seen_video {
                prop_assert!(matches!(kinds[old.len()], Kind::Key));
            }
            let joined: Vec<Media> = old.iter().chain(&new[sent_preamble..]).cloned().collect();
            prop_assert_eq!(&joined, &frames);
            prop_assert_eq!(switch_frame, &frames[old.len()]);
        } else {
            prop_assert_eq!(&old, &frames);
            prop_assert!(new.is_empty());
        }
    }
}
