//! `StateMachine` driven by real sessions, a `Reconnector` and a virtual clock: every
//! transition with its reason and time.

mod client_support;

use std::time::{Duration, Instant};

use client_support::Link;
use rtmp_proto::client::{
    ConnectionState as S, Failover, FailureReason, IllegalTransition, Next, ReconnectPolicy,
    Reconnector, RtmpUrl, StateMachine, Transition, TransitionReason,
};
use rtmp_proto::rng::Rng;
use rtmp_proto::session::{ClientEvent, CloseReason};

fn reconnector(urls: &[&str]) -> Reconnector {
    let list = urls.iter().map(|u| RtmpUrl::parse(u).unwrap()).collect();
    Reconnector::new(
        ReconnectPolicy::default().without_jitter(),
        Failover::new(list).unwrap(),
        Rng::new(3),
    )
    .unwrap()
}

fn path(sm: &StateMachine) -> Vec<(S, S)> {
    sm.transitions().map(|t| (t.from, t.to)).collect()
}

#[test]
fn dial_failure_then_publish_then_drop_then_reconnect() {
    let t0 = Instant::now();
    let mut now = t0;
    let mut r = reconnector(&["rtmp://primary/live/cam", "rtmp://backup/live/cam"]);
    let mut sm = StateMachine::new();
    assert_eq!(sm.state(), S::Disconnected);

    // Primary refuses the TCP connection: the backup is dialed at once.
    let Next::RetryAt { at, url_index } = r.first(now) else {
        panic!()
    };
    assert_eq!((at, url_index), (now, 0));
    sm.dialing(now, url_index).unwrap();
    r.on_connect_attempt(now);
    let refused = FailureReason::Dial("connection refused".into());
    let next = r.on_failure(now, refused.clone());
    sm.failed(now, refused.clone(), next).unwrap();
    assert_eq!(sm.state(), S::Reconnecting);
    assert_eq!(
        next,
        Next::RetryAt {
            at: now,
            url_index: 1
        }
    );

    // The backup answers; a real session goes through handshake, connect and publish.
    now += Duration::from_millis(20);
    sm.dialing(now, 1).unwrap();
    r.on_connect_attempt(now);
    sm.tcp_connected(now).unwrap();
    let url = r.url().clone();
    assert_eq!(url.host(), "backup");
    let mut link = Link::new(now);
    link.client.connect(url.connect_params()).unwrap();
    for ev in link.drive(now) {
        sm.on_client_event(now, &ev).unwrap();
    }
    assert_eq!(sm.state(), S::Connected);
    link.client
        .publish(&url.stream(), rtmp_proto::session::PublishMode::Live)
        .unwrap();
    for ev in link.drive(now) {
        if sm.on_client_event(now, &ev).unwrap() && sm.state() == S::Publishing {
            r.on_connected(now);
        }
    }
    assert_eq!(sm.state(), S::Publishing);

    // 45 s later the server goes away. The connection was healthy: wait 1 s, primary.
    now += Duration::from_secs(45);
    link.client.handle_eof(now);
    let events = link.drive(now);
    let failure = events
        .iter()
        .find_map(FailureReason::from_event)
        .expect("Closed(PeerClosed) is a failure");
    assert_eq!(failure, FailureReason::Closed(CloseReason::PeerClosed));
    let next = r.on_failure(now, failure.clone());
    assert_eq!(
        next,
        Next::RetryAt {
            at: now + Duration::from_secs(1),
            url_index: 0
        }
    );
    sm.failed(now, failure.clone(), next).unwrap();

    // The application stops while waiting.
    now += Duration::from_millis(500);
    sm.stopped(now).unwrap();

    assert_eq!(
        path(&sm),
        [
            (S::Disconnected, S::Connecting),
            (S::Connecting, S::Reconnecting),
            (S::Reconnecting, S::Connecting),
            (S::Connecting, S::Handshaking),
            (S::Handshaking, S::Connected),
            (S::Connected, S::Publishing),
            (S::Publishing, S::Reconnecting),
            (S::Reconnecting, S::Disconnected),
        ]
    );
    let reasons: Vec<&TransitionReason> = sm.transitions().map(|t| &t.reason).collect();
    assert_eq!(reasons[0], &TransitionReason::Dialing { url_index: 0 });
    assert_eq!(
        reasons[1],
        &TransitionReason::Failed {
            reason: refused,
            retry_at: t0,
            url_index: 1
        }
    );
    assert_eq!(reasons[2], &TransitionReason::Dialing { url_index: 1 });
    assert_eq!(reasons[3], &TransitionReason::TcpConnected);
    assert_eq!(reasons[4], &TransitionReason::ConnectAccepted);
    assert_eq!(reasons[5], &TransitionReason::PublishStarted);
    assert_eq!(
        reasons[6],
        &TransitionReason::Failed {
            reason: failure,
            retry_at: t0 + Duration::from_millis(20) + Duration::from_secs(46),
            url_index: 0
        }
    );
    assert_eq!(reasons[7], &TransitionReason::Stopped);
    // Times come from the virtual clock.
    let times: Vec<Duration> = sm.transitions().map(|t| t.at - t0).collect();
    let ms = Duration::from_millis;
    assert_eq!(
        times,
        [
            ms(0),
            ms(0),
            ms(20),
            ms(20),
            ms(20),
            ms(20),
            ms(45_020),
            ms(45_520)
        ]
    );
    // The queue holds the same transitions, once.
    let polled: Vec<Transition> = std::iter::from_fn(|| sm.poll_transition()).collect();
    assert_eq!(polled, sm.transitions().cloned().collect::<Vec<_>>());
    assert_eq!(sm.poll_transition(), None);
}

#[test]
fn giving_up_ends_disconnected_with_the_last_failure() {
    let mut policy = ReconnectPolicy::default().without_jitter();
    policy.max_attempts = Some(1);
    let mut r = Reconnector::new(
        policy,
        Failover::single(RtmpUrl::parse("rtmp://h/live/s").unwrap()),
        Rng::new(0),
    )
    .unwrap();
    let mut sm = StateMachine::new();
    let mut now = Instant::now();
    let rejected = FailureReason::ConnectRejected {
        code: "NetConnection.Connect.Rejected".into(),
        description: "bad key".into(),
        redirect: None,
    };
    sm.dialing(now, 0).unwrap();
    let next = r.on_failure(now, rejected.clone());
    sm.failed(now, rejected.clone(), next).unwrap();
    let Next::RetryAt { at, url_index } = next else {
        panic!()
    };
    now = at;
    sm.dialing(now, url_index).unwrap();
    let next = r.on_failure(now, rejected.clone());
    assert_eq!(next, Next::GiveUp);
    sm.failed(now, rejected.clone(), next).unwrap();
    assert_eq!(sm.state(), S::Disconnected);
    assert_eq!(
        sm.transitions().last().map(|t| &t.reason),
        Some(&TransitionReason::GaveUp(rejected))
    );
}

#[test]
fn illegal_transitions_change_nothing() {
    let now = Instant::now();
    let mut sm = StateMachine::new();
    let e: IllegalTransition = sm.tcp_connected(now).unwrap_err();
    assert_eq!((e.from, e.to), (S::Disconnected, S::Handshaking));
    assert!(e.to_string().contains("Disconnected"), "{e}");
    assert!(sm.stopped(now).is_err(), "already disconnected");
    sm.dialing(now, 0).unwrap();
    assert!(sm.dialing(now, 0).is_err(), "already dialing");
    let failure = FailureReason::Io("reset".into());
    assert!(sm.handed_over(now, "rtmp://x/a".into()).is_err());
    sm.tcp_connected(now).unwrap();
    // A publish cannot start before connect succeeded.
    let connected = ClientEvent::Connected {
        properties: rtmp_proto::amf::Value::Null,
        information: rtmp_proto::amf::Value::Null,
        enhanced: None,
    };
    assert!(
        sm.on_client_event(now, &ClientEvent::HandshakeDone)
            .is_ok_and(|changed| !changed)
    );
    sm.on_client_event(now, &connected).unwrap();
    assert!(sm.on_client_event(now, &connected).is_err());
    assert_eq!(sm.state(), S::Connected);
    sm.failed(now, failure.clone(), Next::GiveUp).unwrap();
    assert!(sm.failed(now, failure, Next::GiveUp).is_err());
    assert_eq!(sm.transitions().len(), 4);
}

#[test]
fn history_is_bounded_but_the_state_is_exact() {
    let mut sm = StateMachine::with_history_limit(3);
    let mut now = Instant::now();
    for _ in 0..10 {
        sm.dialing(now, 0).unwrap();
        now += Duration::from_secs(1);
        let f = FailureReason::Dial("timeout".into());
        sm.failed(
            now,
            f,
            Next::RetryAt {
                at: now,
                url_index: 0,
            },
        )
        .unwrap();
    }
    assert_eq!(sm.transitions().len(), 3);
    assert_eq!(sm.state(), S::Reconnecting);
    assert_eq!(std::iter::from_fn(|| sm.poll_transition()).count(), 3);
}
