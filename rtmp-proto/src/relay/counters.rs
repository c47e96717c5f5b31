//! Counters: plain integers; an adapter exposes them however it likes (copy them out under
//! its registry lock, or mirror them into atomics).

/// Relay-wide counters, kept by the [`Registry`](super::Registry). Gauges go up and down;
/// the rest only grow (wrapping is not a concern for `u64`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Counters {
    /// Gauge: connections open now.
    pub connections: u64,
    /// Connections ever opened.
    pub connections_total: u64,
    /// Gauge: streams with a publisher now.
    pub publishers: u64,
    /// Gauge: players attached now (live or waiting for a publisher).
    pub players: u64,
    /// Payload bytes published.
    pub bytes_in: u64,
    /// Frames published.
    pub frames_in: u64,
    /// Payload bytes sent to players (as reported with [`Counters::add_player`]).
    pub bytes_out: u64,
    /// Frames sent to players, one per player.
    pub frames_relayed: u64,
    /// Frames not sent to a player (lag, waiting for a keyframe), one per player.
    pub frames_dropped: u64,
    /// Players that lag events moved into dropping mode.
    pub lag_events: u64,
    /// Players disconnected for lag.
    pub lag_disconnects: u64,
    /// Gauge: the adapter's network connections by state now. Counted by the adapter (the
    /// registry does not see a connection's handshake or connect); zero from
    /// [`Registry::counters`](super::Registry::counters).
    pub states: ConnectionStates,
    /// Connections accepted on a plain TCP listener and served (adapter-counted; those
    /// closed at once over the connection limit count in `rejected.connects.limit`).
    pub accepted_plain: u64,
    /// Connections accepted on a TLS listener and served, as `accepted_plain`: with it,
    /// how much of the load pays for encryption.
    pub accepted_tls: u64,
    /// Gauge: HTTP connections open now (adapter-counted; HTTP-FLV readers included).
    pub http_connections: u64,
    /// Requests and connections refused, by what refused them. The registry counts its
    /// own refusals (`relay`, and `limit` for plays); the adapter the hooks' and its
    /// accept limits'.
    pub rejected: Rejections,
}

/// Network connections by the state they are in; every open one is in exactly one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectionStates {
    /// Accepted, its handshake or `connect` not accepted yet.
    pub handshaking: u64,
    /// Connected, neither publishing nor playing.
    pub idle: u64,
    /// Publishing at least one stream (whether or not it also plays).
    pub publishing: u64,
    /// Playing at least one stream, publishing none.
    pub playing: u64,
}

/// Refusals of one kind of request, by cause: an operator reading these tells an auth
/// problem (`hook`) from a client error (`relay`) from capacity (`limit`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectCauses {
    /// Refused by the application's hook.
    pub hook: u64,
    /// Refused by the relay's rules: a publish of a stream that has a publisher (under
    /// [`DuplicatePublish::Reject`](super::DuplicatePublish::Reject)), a play of a stream
    /// that is not live when players do not wait.
    pub relay: u64,
    /// Refused for capacity: a connection over the server's connection limit, a play over
    /// the limits of players waiting for a publisher.
    pub limit: u64,
}

/// Everything refused, by kind of request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejections {
    /// Connections: `connect` commands refused by the hook, sockets closed on accept over
    /// the connection limit.
    pub connects: RejectCauses,
    /// `publish` commands (and in-process publishes).
    pub publishes: RejectCauses,
    /// `play` commands, HTTP-FLV requests and in-process subscriptions.
    pub plays: RejectCauses,
    /// HTTP connections closed on accept over the HTTP side's connection limit.
    pub http_connections: u64,
}

impl Counters {
    /// Adds what a player did (from [`PlayerPolicy::take_stats`](super::PlayerPolicy::take_stats)).
    pub fn add_player(&mut self, s: &PlayerStats) {
        self.bytes_out = self.bytes_out.saturating_add(s.bytes_sent);
        self.frames_relayed = self.frames_relayed.saturating_add(s.frames_sent);
        self.frames_dropped = self.frames_dropped.saturating_add(s.frames_dropped);
        self.lag_events = self.lag_events.saturating_add(s.lag_events);
        self.lag_disconnects = self.lag_disconnects.saturating_add(s.lag_disconnects);
    }
}

/// What one player's policy counted: totals ([`PlayerPolicy::stats`]) or a delta
/// ([`PlayerPolicy::take_stats`]).
///
/// [`PlayerPolicy::stats`]: super::PlayerPolicy::stats
/// [`PlayerPolicy::take_stats`]: super::PlayerPolicy::take_stats
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlayerStats {
    /// Frames handed to the player's session (initial and resume frames included).
    pub frames_sent: u64,
    /// Payload bytes of those frames.
    pub bytes_sent: u64,
    /// Frames skipped for lag or while waiting for a keyframe (not while paused).
    pub frames_dropped: u64,
    /// Times the player's backlog passed a soft bound (bytes or age) and it started
    /// dropping.
    pub lag_events: u64,
    /// 1 once the player was disconnected for lag.
    pub lag_disconnects: u64,
}

impl PlayerStats {
    /// Adds `other` to these (the stats of several players, or of several periods).
    pub fn add(&mut self, other: &PlayerStats) {
        self.frames_sent = self.frames_sent.saturating_add(other.frames_sent);
        self.bytes_sent = self.bytes_sent.saturating_add(other.bytes_sent);
        self.frames_dropped = self.frames_dropped.saturating_add(other.frames_dropped);
        self.lag_events = self.lag_events.saturating_add(other.lag_events);
        self.lag_disconnects = self.lag_disconnects.saturating_add(other.lag_disconnects);
    }

    pub(crate) fn since(&self, earlier: &PlayerStats) -> PlayerStats {
        PlayerStats {
            frames_sent: self.frames_sent.saturating_sub(earlier.frames_sent),
            bytes_sent: self.bytes_sent.saturating_sub(earlier.bytes_sent),
            frames_dropped: self.frames_dropped.saturating_sub(earlier.frames_dropped),
            lag_events: self.lag_events.saturating_sub(earlier.lag_events),
            lag_disconnects: self.lag_disconnects.saturating_sub(earlier.lag_disconnects),
        }
    }
}
