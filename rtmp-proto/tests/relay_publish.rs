//! Publish slots: duplicate publish (reject with BadName or replace), release on every kind
//! of end, play of a stream that is not live, end of stream (RTMP-NOTES 15, 17).

mod relay_support;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};

use relay_support::*;
use rtmp_proto::relay::{
    CODE_PLAY_STREAM_NOT_FOUND, CODE_PUBLISH_BAD_NAME, ConnId, DuplicatePublish, Join, PlayerRef,
    Registry, RelayConfig, StreamKey, stream_not_found,
};
use rtmp_proto::session::StreamId;

fn player(conn: ConnId, stream: u32) -> PlayerRef {
    PlayerRef {
        conn,
        stream: StreamId(stream),
    }
}

fn key() -> StreamKey {
    StreamKey::new("live", "cam")
}

/// The relay without waiting players or a publisher grace: players end with their
/// publisher, and a play of a stream that is not live is refused (`--play-wait-ms 0
/// --publisher-grace-ms 0`). The defaults are in `relay_continuity.rs`.
fn immediate() -> RelayConfig {
    let mut c = RelayConfig::default();
    c.wait_for_publisher = false;
    c.publisher_grace = std::time::Duration::ZERO;
    c
}

#[test]
fn duplicate_publish_is_rejected_with_bad_name_by_default() {
    let mut reg = Registry::new(RelayConfig::default());
    let (a, b) = (reg.open_connection(), reg.open_connection());
    let grant = reg.publish(&key(), a).unwrap();
    assert_eq!(grant.displaced, None);
    let refused = reg.publish(&key(), b).unwrap_err();
    assert_eq!(refused.current, a);
    assert_eq!(refused.rejection().code, Some(CODE_PUBLISH_BAD_NAME));
    assert_eq!(CODE_PUBLISH_BAD_NAME, "NetStream.Publish.BadName");
    assert_eq!(reg.publisher(&key()), Some(a));
    // The refused connection's frames and unpublish change nothing.
    assert!(reg.ingest(&key(), b, &avc_key(0, 10)).is_err());
    assert!(
        reg.unpublish(std::time::Instant::now(), &key(), b)
            .is_empty()
    );
    assert_eq!(reg.publisher(&key()), Some(a));
    // Query strings do not make a different stream.
    assert!(
        reg.publish(&StreamKey::new("live?x=1", "cam?token=2"), b)
            .is_err()
    );
    // Another name is free.
    assert!(reg.publish(&StreamKey::new("live", "cam2"), b).is_ok());
}

#[test]
fn replace_policy_hands_the_stream_over_and_keeps_players() {
    let mut config = RelayConfig::default();
    config.duplicate_publish = DuplicatePublish::Replace;
    let mut reg = Registry::new(config);
    let (a, b, viewer) = (
        reg.open_connection(),
        reg.open_connection(),
        reg.open_connection(),
    );
    reg.publish(&key(), a).unwrap();
    reg.ingest(&key(), a, &avc_seq(0, 1)).unwrap();
    assert!(matches!(
        reg.join(std::time::Instant::now(), &key(), player(viewer, 1)),
        Join::Live { .. }
    ));
    let grant = reg.publish(&key(), b).unwrap();
    assert_eq!(grant.displaced, Some(a));
    assert_eq!(reg.publisher(&key()), Some(b));
    // The new publisher starts from an empty cache; the players stay.
    assert!(reg.cache(&key()).unwrap().sequence_headers().is_empty());
    assert_eq!(reg.players(&key()).collect::<Vec<_>>(), [player(viewer, 1)]);
    // The displaced publisher's late frames, unpublish and close are harmless.
    assert!(reg.ingest(&key(), a, &avc_key(0, 10)).is_err());
    assert!(
        reg.unpublish(std::time::Instant::now(), &key(), a)
            .is_empty()
    );
    let closed = reg.close_connection(std::time::Instant::now(), a);
    assert!(closed.unpublished.is_empty());
    assert_eq!(reg.publisher(&key()), Some(b));
    assert!(reg.ingest(&key(), b, &avc_key(0, 10)).is_ok());
}

#[test]
fn clean_unpublish_releases_the_slot_and_ends_every_player() {
    let mut reg = Registry::new(immediate());
    let (a, v1, v2) = (
        reg.open_connection(),
        reg.open_connection(),
        reg.open_connection(),
    );
    reg.publish(&key(), a).unwrap();
    reg.join(std::time::Instant::now(), &key(), player(v1, 1));
    reg.join(std::time::Instant::now(), &key(), player(v2, 1));
    reg.join(std::time::Instant::now(), &key(), player(v2, 3));
    let ended = reg.unpublish(std::time::Instant::now(), &key(), a);
    assert_eq!(ended, [player(v1, 1), player(v2, 1), player(v2, 3)]);
    assert!(!reg.is_live(&key()));
    assert_eq!(reg.players(&key()).count(), 0);
    // Idempotent.
    assert!(
        reg.unpublish(std::time::Instant::now(), &key(), a)
            .is_empty()
    );
    let b = reg.open_connection();
    assert!(reg.publish(&key(), b).is_ok());
}

/// Connection end for any reason (peer closed, protocol error, timeout, local close): the
/// adapter calls `close_connection`, which frees every slot the connection published.
#[test]
fn connection_end_releases_every_slot_it_published() {
    let mut reg = Registry::new(immediate());
    let (a, v) = (reg.open_connection(), reg.open_connection());
    let other = StreamKey::new("live", "other");
    reg.publish(&key(), a).unwrap();
    reg.publish(&other, a).unwrap();
    reg.join(std::time::Instant::now(), &key(), player(v, 1));
    let closed = reg.close_connection(std::time::Instant::now(), a);
    assert_eq!(closed.unpublished.len(), 2);
    let cam = closed.unpublished.iter().find(|e| e.key == key()).unwrap();
    assert_eq!(cam.players, [player(v, 1)]);
    assert!(!reg.is_live(&key()) && !reg.is_live(&other));
    // Republishing works at once.
    let b = reg.open_connection();
    assert!(reg.publish(&key(), b).is_ok());
    assert!(reg.publish(&other, b).is_ok());
    // Closing twice is harmless.
    assert_eq!(
        reg.close_connection(std::time::Instant::now(), a),
        Default::default()
    );
}

/// The pattern adapters use: a guard whose `Drop` calls `close_connection`, so even a
/// panicking application hook releases the slot.
#[test]
fn a_panicking_hook_still_releases_the_slot() {
    struct Guard(Arc<Mutex<Registry>>, ConnId);
    impl Drop for Guard {
        fn drop(&mut self) {
            let mut reg = self.0.lock().unwrap_or_else(|e| e.into_inner());
            reg.close_connection(std::time::Instant::now(), self.1);
        }
    }
    let reg = Arc::new(Mutex::new(Registry::new(RelayConfig::default())));
    let conn = reg.lock().unwrap().open_connection();
    let r = reg.clone();
    let result = catch_unwind(AssertUnwindSafe(move || {
        let _guard = Guard(r.clone(), conn);
        r.lock().unwrap().publish(&key(), conn).unwrap();
        panic!("application hook failed");
    }));
    assert!(result.is_err());
    let mut reg = reg.lock().unwrap_or_else(|e| e.into_inner());
    assert!(!reg.is_live(&key()));
    let b = reg.open_connection();
    assert!(reg.publish(&key(), b).is_ok());
    assert_eq!(reg.counters().connections, 1);
}

#[test]
fn play_of_a_stream_that_is_not_live_is_not_found() {
    let mut reg = Registry::new(immediate());
    let v = reg.open_connection();
    assert!(matches!(
        reg.join(std::time::Instant::now(), &key(), player(v, 1)),
        Join::NotFound
    ));
    let why = stream_not_found(&key());
    assert_eq!(why.code, Some(CODE_PLAY_STREAM_NOT_FOUND));
    assert_eq!(CODE_PLAY_STREAM_NOT_FOUND, "NetStream.Play.StreamNotFound");
    assert_eq!(reg.counters().players, 0);
}

#[test]
fn with_wait_for_publisher_players_wait_and_start_on_publish() {
    let mut config = RelayConfig::default();
    config.wait_for_publisher = true;
    let mut reg = Registry::new(config);
    let (v1, v2, a) = (
        reg.open_connection(),
        reg.open_connection(),
        reg.open_connection(),
    );
    assert!(matches!(
        reg.join(std::time::Instant::now(), &key(), player(v1, 1)),
        Join::Waiting { .. }
    ));
    assert!(matches!(
        reg.join(std::time::Instant::now(), &key(), player(v2, 1)),
        Join::Waiting { .. }
    ));
    assert_eq!(reg.waiting(&key()).count(), 2);
    assert!(!reg.is_live(&key()));
    // One waiting player leaves (closes its connection) before the publisher comes.
    reg.close_connection(std::time::Instant::now(), v2);
    let grant = reg.publish(&key(), a).unwrap();
    assert_eq!(grant.started, [player(v1, 1)]);
    assert_eq!(reg.players(&key()).collect::<Vec<_>>(), [player(v1, 1)]);
    assert_eq!(reg.waiting(&key()).count(), 0);
}

#[test]
fn leave_and_rejoin() {
    let mut reg = Registry::new(RelayConfig::default());
    let (a, v) = (reg.open_connection(), reg.open_connection());
    reg.publish(&key(), a).unwrap();
    reg.join(std::time::Instant::now(), &key(), player(v, 1));
    assert!(reg.leave(&key(), player(v, 1)));
    assert!(!reg.leave(&key(), player(v, 1)));
    // A player moving to another stream under the same PlayerRef leaves the first one.
    let other = StreamKey::new("live", "other");
    reg.publish(&other, a).unwrap();
    reg.join(std::time::Instant::now(), &key(), player(v, 1));
    reg.join(std::time::Instant::now(), &other, player(v, 1));
    assert_eq!(reg.players(&key()).count(), 0);
    assert_eq!(reg.players(&other).count(), 1);
    assert_eq!(reg.counters().players, 1);
}

#[test]
fn live_streams_lists_published_keys_only() {
    let mut config = RelayConfig::default();
    config.wait_for_publisher = true;
    let mut reg = Registry::new(config);
    let (a, v) = (reg.open_connection(), reg.open_connection());
    reg.publish(&key(), a).unwrap();
    reg.join(
        std::time::Instant::now(),
        &StreamKey::new("live", "later"),
        player(v, 1),
    );
    assert_eq!(reg.live_streams().collect::<Vec<_>>(), [&key()]);
    // A waiting player can pause and unpause: the stream has an (empty) cache.
    let later = reg.cache(&StreamKey::new("live", "later")).unwrap();
    assert!(later.resume_frames().is_empty());
    assert!(reg.cache(&StreamKey::new("live", "unknown")).is_none());
}

/// A fan-out keeps a stream's players between frames and collects them again when
/// `audience_version` changes: every change of who plays must change it, and frames alone
/// must not.
#[test]
fn audience_version_changes_with_every_change_of_players() {
    let now = std::time::Instant::now();
    let mut reg = Registry::new(RelayConfig::default());
    let (publisher, a, b) = (
        reg.open_connection(),
        reg.open_connection(),
        reg.open_connection(),
    );
    let mut seen = reg.audience_version();
    let mut changed = |reg: &Registry, what: &str| {
        let v = reg.audience_version();
        assert_ne!(v, seen, "{what} did not change the audience version");
        seen = v;
    };
    reg.publish(&key(), publisher).unwrap();
    changed(&reg, "publish");
    assert!(matches!(
        reg.join(now, &key(), player(a, 1)),
        Join::Live { .. }
    ));
    changed(&reg, "join");
    reg.join(now, &key(), player(b, 1));
    changed(&reg, "a second join");
    let before = reg.audience_version();
    reg.ingest(&key(), publisher, &avc_key(0, 10)).unwrap();
    assert_eq!(reg.audience_version(), before, "a frame changed it");
    reg.leave(&key(), player(a, 1));
    let after_leave = reg.audience_version();
    assert_ne!(after_leave, before, "leave did not change it");
    reg.close_connection(now, b);
    assert_ne!(
        reg.audience_version(),
        after_leave,
        "a closed player did not change it"
    );
    let before = reg.audience_version();
    reg.unpublish(now, &key(), publisher);
    assert_ne!(
        reg.audience_version(),
        before,
        "unpublish did not change it"
    );
    let players: Vec<_> = reg.players(&key()).collect();
    assert!(players.is_empty());
}
