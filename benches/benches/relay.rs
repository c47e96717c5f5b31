//! Criterion benchmark `relay`: what the fan-out costs per player and frame, without the
//! kernel.
//!
//! A stream with N players that connected and play through real `ServerSession`s behind
//! `ConnCell`s, as the drivers build them, but over in-memory sockets that only count the
//! bytes (`rtmp_driver::mem_player`). Each iteration the publisher hands one 15 KiB video
//! frame (3 Mbit/s at 25 fps) to the hub, which caches it, chunks it once for the players'
//! group and, by direct delivery, runs every player's lag policy, queues the shared chunks
//! in its session and writes them to that player's socket: everything the relay does per
//! relayed frame except the kernel's send work (two thirds of the relay's CPU on loopback,
//! docs/nginx-comparison.md).
//!
//! `fanout/N` for 100 and 1000 players. (Merged writes are not benchmarked here: their
//! window is wall-clock time, and a loop publishing far faster than real time only meets
//! the lag policy.)
//!
//! Throughput is in player-frames, so criterion's time per element is the cost of one
//! frame for one player.

use std::time::Duration;

use bytes::Bytes;
use criterion::{Criterion, Throughput};
use rtmp_driver::testing::mem_player::{MemPlayer, MemStream};
use rtmp_proto::relay::Frame;
use rtmp_proto::session::{Media, MediaKind};

fn video(key: bool, len: usize) -> Frame {
    let mut body = vec![if key { 0x17 } else { 0x27 }, 0x01, 0, 0, 0];
    body.resize(len, 0xAB);
    Frame::media(Media {
        kind: MediaKind::Video,
        timestamp: 40,
        payload: Bytes::from(body),
    })
}

struct Stream {
    stream: MemStream,
    players: Vec<MemPlayer>,
}

impl Stream {
    fn new(players: usize) -> Self {
        let stream = MemStream::new("live", "bench", Duration::ZERO);
        let players = (0..players)
            .map(|_| {
                let p = stream.player().expect("player starts");
                p.cell.lock().wire.keep = false;
                p
            })
            .collect();
        let mut s = Stream { stream, players };
        s.publish(&video(true, 15_000));
        s
    }

    fn publish(&mut self, frame: &Frame) {
        self.stream.publish(std::slice::from_ref(frame));
    }

    fn written(&self) -> u64 {
        self.players
            .iter()
            .map(|p| p.cell.lock().wire.written)
            .sum()
    }
}

fn fanout(c: &mut Criterion) {
    let mut g = c.benchmark_group("fanout");
    for players in [100usize, 1000] {
        let mut stream = Stream::new(players);
        let frame = video(false, 15_000);
        let before = stream.written();
        stream.publish(&frame);
        // Every player got the frame on its socket, through the direct path.
        assert!(stream.written() >= before + 15_000 * players as u64);
        g.throughput(Throughput::Elements(players as u64));
        g.bench_function(players.to_string(), |b| b.iter(|| stream.publish(&frame)));
        // Nobody was dropped by the lag policy on the way: the last frame reached all.
        let before = stream.written();
        stream.publish(&frame);
        assert!(stream.written() >= before + 15_000 * players as u64);
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    fanout(&mut c);
    c.final_summary();
}
