//! [`FleetEvent`]: what a fleet tells the application about its sessions, as it happens.

use super::spec::StreamKey;
use crate::client::{ClientStatus, ConnectionState, FailureReason, RtmpUrl};

/// A change in a fleet: a session added, removed, or moving between states.
// A few events per reconnect: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FleetEvent {
    /// A session was added and starts dialing.
    Added(StreamKey),
    /// A session's connection state or URL changed.
    State {
        /// The session.
        key: StreamKey,
        /// The state before.
        from: ConnectionState,
        /// The state now.
        to: ConnectionState,
        /// The URL of the current (or last) connection.
        url: Option<RtmpUrl>,
        /// The latest failure, when the change came with one (`Reconnecting`).
        failure: Option<FailureReason>,
    },
    /// A session was removed; its stream ended (the server's players got the end of it).
    Removed(StreamKey),
}

impl FleetEvent {
    /// The event a status change of `key`'s publisher makes: `None` when neither its
    /// state nor its URL changed (only counters did).
    pub fn from_change(key: &StreamKey, old: &ClientStatus, new: &ClientStatus) -> Option<Self> {
        if old.state == new.state && old.url == new.url {
            return None;
        }
        let failure = (new.state == ConnectionState::Reconnecting || new.gave_up)
            .then(|| new.last_failure.clone())
            .flatten();
        Some(FleetEvent::State {
            key: key.clone(),
            from: old.state,
            to: new.state,
            url: new.url.clone(),
            failure,
        })
    }

    /// The session the event is about.
    pub fn key(&self) -> &StreamKey {
        match self {
            FleetEvent::Added(k) | FleetEvent::Removed(k) => k,
            FleetEvent::State { key, .. } => key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_state_and_url_changes_are_events() {
        let key = StreamKey::new("1", "main");
        let old = ClientStatus::new();
        let mut new = old.clone();
        new.counters.sent = 9;
        assert_eq!(FleetEvent::from_change(&key, &old, &new), None);
        new.state = ConnectionState::Reconnecting;
        new.last_failure = Some(FailureReason::Io("reset".into()));
        let ev = FleetEvent::from_change(&key, &old, &new).unwrap();
        assert!(matches!(
            ev,
            FleetEvent::State {
                to: ConnectionState::Reconnecting,
                failure: Some(_),
                ..
            }
        ));
        assert_eq!(ev.key(), &key);
    }
}
