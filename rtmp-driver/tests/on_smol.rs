//! The adapter suite (`tests/suite/`) on smol: every suite that needs no allocator of its own.

extern crate rtmp_smol as adapter;

#[macro_use]
#[path = "suite/rt_smol.rs"]
mod rt;
#[path = "suite/budget.rs"]
mod budget;
#[path = "suite/client_backpressure.rs"]
mod client_backpressure;
#[path = "suite/client_failover.rs"]
mod client_failover;
#[path = "suite/client_handover.rs"]
mod client_handover;
#[path = "suite/client_memory.rs"]
mod client_memory;
#[path = "suite/client_play_flv.rs"]
mod client_play_flv;
#[path = "suite/client_reconnect.rs"]
mod client_reconnect;
#[path = "suite/cluster.rs"]
mod cluster;
#[path = "suite/common.rs"]
mod common;
#[path = "suite/drain.rs"]
mod drain;
#[path = "suite/events.rs"]
mod events;
#[path = "suite/fleet.rs"]
mod fleet;
#[path = "suite/hooks.rs"]
mod hooks;
#[path = "suite/hostile.rs"]
mod hostile;
#[path = "suite/hostile_peers.rs"]
mod hostile_peers;
#[path = "suite/hostile_servers.rs"]
mod hostile_servers;
#[path = "suite/http.rs"]
mod http;
#[path = "suite/limits.rs"]
mod limits;
#[path = "suite/local.rs"]
mod local;
#[path = "suite/relay.rs"]
mod relay;
#[path = "suite/server_counters.rs"]
mod server_counters;
#[path = "suite/smol_specific.rs"]
mod smol_specific;
#[path = "suite/taps.rs"]
mod taps;
#[path = "suite/tls.rs"]
mod tls;
