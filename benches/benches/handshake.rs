//! Criterion benchmark `handshake`: one full client<->server handshake in memory.
//!
//! `ours/digest` and `ours/simple` run both roles of `rtmp_proto::handshake::Handshake`;
//! `rml_rtmp/digest` does the same with rml_rtmp 0.8 (also an FP9 digest handshake) so the
//! numbers come with a reference measured in the same run. The cost is dominated by the
//! HMAC-SHA256 passes (four packet digests and two answer signatures for a digest handshake).

use bytes::BytesMut;
use criterion::{Criterion, black_box, criterion_group, criterion_main};
use rml_rtmp::handshake::{
    Handshake as RmlHandshake, HandshakeProcessResult, PeerType as RmlPeerType,
};
use rtmp_proto::handshake::{ClientConfig, Handshake, ServerConfig};
use rtmp_proto::rng::Rng;

/// Runs both sides to completion; returns the bytes the server left for the chunk decoder.
fn ours(client: &ClientConfig, server: &ServerConfig, rng: &mut Rng) -> usize {
    let mut c = Handshake::client(client, rng, 0);
    let mut s = Handshake::server(server, rng, 0);
    let (mut to_s, mut to_c) = (BytesMut::with_capacity(4096), BytesMut::with_capacity(4096));
    while !(c.is_complete() && s.is_complete()) {
        while let Some(seg) = c.poll_transmit() {
            to_s.extend_from_slice(&seg);
        }
        s.handle_input(&mut to_s).expect("our own client");
        while let Some(seg) = s.poll_transmit() {
            to_c.extend_from_slice(&seg);
        }
        c.handle_input(&mut to_c).expect("our own server");
    }
    to_s.len()
}

fn rml() -> usize {
    let mut c = RmlHandshake::new(RmlPeerType::Client);
    let mut s = RmlHandshake::new(RmlPeerType::Server);
    let c0c1 = c.generate_outbound_p0_and_p1().expect("rml client");
    let s0s1s2 = match s.process_bytes(&c0c1).expect("rml server") {
        HandshakeProcessResult::InProgress { response_bytes } => response_bytes,
        other => panic!("rml server finished early: {other:?}"),
    };
    let c2 = match c.process_bytes(&s0s1s2).expect("rml client") {
        HandshakeProcessResult::Completed { response_bytes, .. } => response_bytes,
        other => panic!("rml client not done: {other:?}"),
    };
    match s.process_bytes(&c2).expect("rml server") {
        HandshakeProcessResult::Completed {
            remaining_bytes, ..
        } => remaining_bytes.len(),
        other => panic!("rml server not done: {other:?}"),
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("handshake");
    let server = ServerConfig::default();
    let digest = ClientConfig::default();
    let mut simple = ClientConfig::default();
    simple.digest = None;
    let mut rng = Rng::new(1);
    group.bench_function("ours/digest", |b| {
        b.iter(|| ours(black_box(&digest), &server, &mut rng))
    });
    group.bench_function("ours/simple", |b| {
        b.iter(|| ours(black_box(&simple), &server, &mut rng))
    });
    group.bench_function("rml_rtmp/digest", |b| b.iter(rml));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
