//! Chunk stream codec throughput, side by side with rml_rtmp and a plain memcpy of the
//! same bytes.
//!
//! Decode groups feed the wire bytes in 4 KiB reads. Our reads are handed over without a
//! copy (`BytesMut::unsplit` of consecutive pieces, as if the socket wrote into the buffer),
//! so what is timed is the decoder's own work; rml_rtmp takes `&[u8]` and copies each read
//! into its own buffer, which is part of its cost. The memcpy baseline copies the same bytes
//! once: the least any decoder that reassembles messages must do.
//!
//! Encode groups turn the same messages into chunks: ours copied into a buffer handed off
//! after each message (like rml_rtmp's `Vec<u8>` per message) and chunk-at-a-time
//! (zero-copy header + payload slices, the path the session uses for large chunks); memcpy
//! copies each payload once into a reused buffer.
//!
//! Quick run: `cargo bench -p rtmp-benches --bench chunk -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput};
use rml_rtmp::chunk_io::{ChunkDeserializer, ChunkSerializer};
use rml_rtmp::messages::MessagePayload;
use rml_rtmp::time::RtmpTimestamp;
use rtmp_proto::chunk::{ChunkDecoder, ChunkEncoder};
use rtmp_proto::{Limits, RawMessage};

const READ: usize = 4096;

struct Case {
    name: &'static str,
    chunk_size: u32,
    csid: u32,
    messages: Vec<RawMessage>,
}

fn payload(len: usize, seed: u8) -> Bytes {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect::<Vec<_>>()
        .into()
}

fn video(chunk_size: u32, name: &'static str) -> Case {
    let messages = (0..16u32)
        .map(|i| RawMessage {
            timestamp: i * 33,
            type_id: 9,
            stream_id: 1,
            payload: payload(64 * 1024, i as u8),
        })
        .collect();
    Case {
        name,
        chunk_size,
        csid: 6,
        messages,
    }
}

fn audio(chunk_size: u32, name: &'static str) -> Case {
    let messages = (0..2000u32)
        .map(|i| RawMessage {
            timestamp: i * 23,
            type_id: 8,
            stream_id: 1,
            payload: payload(200, i as u8),
        })
        .collect();
    Case {
        name,
        chunk_size,
        csid: 4,
        messages,
    }
}

fn cases() -> Vec<Case> {
    vec![
        video(128, "video_64k_chunk128"),
        video(4096, "video_64k_chunk4096"),
        audio(128, "audio_200b_chunk128"),
        audio(4096, "audio_200b_chunk4096"),
    ]
}

fn encode_wire(case: &Case) -> BytesMut {
    let mut enc = ChunkEncoder::new();
    enc.set_chunk_size(case.chunk_size)
        .expect("valid chunk size");
    let mut wire = BytesMut::new();
    for m in &case.messages {
        enc.encode_message(case.csid, m, &mut wire)
            .expect("valid message");
    }
    wire
}

fn rml_payload(m: &RawMessage) -> MessagePayload {
    MessagePayload {
        timestamp: RtmpTimestamp::new(m.timestamp),
        type_id: m.type_id,
        message_stream_id: m.stream_id,
        data: m.payload.clone(),
    }
}

fn decode(c: &mut Criterion, case: &Case) {
    let wire = encode_wire(case);
    let count = case.messages.len();
    let mut g = c.benchmark_group(format!("chunk_decode/{}", case.name));
    g.throughput(Throughput::Bytes(wire.len() as u64));

    g.bench_function("rtmp_proto", |b| {
        b.iter_batched(
            || wire.clone(),
            |mut rest| {
                let mut dec = ChunkDecoder::new(&Limits::default());
                dec.set_chunk_size(case.chunk_size)
                    .expect("valid chunk size");
                let mut input = BytesMut::new();
                let mut n = 0;
                while !rest.is_empty() {
                    input.unsplit(rest.split_to(READ.min(rest.len())));
                    while let Some(m) = dec.decode(&mut input).expect("valid stream") {
                        black_box(&m);
                        n += 1;
                    }
                }
                assert_eq!(n, count);
            },
            BatchSize::LargeInput,
        )
    });

    g.bench_function("rml_rtmp", |b| {
        b.iter(|| {
            let mut dec = ChunkDeserializer::new();
            dec.set_max_chunk_size(case.chunk_size as usize)
                .expect("valid chunk size");
            let mut n = 0;
            for read in wire.chunks(READ) {
                let mut next = read;
                while let Some(m) = dec.get_next_message(next).expect("valid stream") {
                    black_box(&m);
                    n += 1;
                    next = &[];
                }
            }
            assert_eq!(n, count);
        })
    });

    let mut dst = Vec::with_capacity(wire.len());
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            dst.clear();
            for read in wire.chunks(READ) {
                dst.extend_from_slice(black_box(read));
            }
            black_box(&dst);
        })
    });
    g.finish();
}

fn encode(c: &mut Criterion, case: &Case) {
    let wire_len = encode_wire(case).len();
    let mut g = c.benchmark_group(format!("chunk_encode/{}", case.name));
    g.throughput(Throughput::Bytes(wire_len as u64));

    // Each message's chunks go into a buffer that is then handed off (cleared), as rml_rtmp
    // hands out one `Vec` per message.
    let mut out = BytesMut::new();
    g.bench_function("rtmp_proto_copy", |b| {
        b.iter(|| {
            let mut enc = ChunkEncoder::new();
            enc.set_chunk_size(case.chunk_size)
                .expect("valid chunk size");
            for m in &case.messages {
                out.clear();
                enc.encode_message(case.csid, m, &mut out)
                    .expect("valid message");
                black_box(&out);
            }
        })
    });

    let mut scratch = BytesMut::new();
    g.bench_function("rtmp_proto_chunks", |b| {
        b.iter(|| {
            let mut enc = ChunkEncoder::new();
            enc.set_chunk_size(case.chunk_size)
                .expect("valid chunk size");
            let mut total = 0;
            for m in &case.messages {
                let mut msg = enc.begin(case.csid, m).expect("valid message");
                while let Some((h, p)) = enc.next_chunk(&mut msg, &mut scratch) {
                    total += h.len() + p.len();
                    black_box((h, p));
                }
            }
            assert_eq!(total, wire_len);
        })
    });

    let rml: Vec<_> = case.messages.iter().map(rml_payload).collect();
    g.bench_function("rml_rtmp", |b| {
        b.iter(|| {
            let mut ser = ChunkSerializer::new();
            ser.set_max_chunk_size(case.chunk_size, RtmpTimestamp::new(0))
                .expect("valid size");
            for m in &rml {
                black_box(ser.serialize(m, false, false).expect("valid message"));
            }
        })
    });

    let mut dst = Vec::new();
    g.bench_function("memcpy", |b| {
        b.iter(|| {
            for m in &case.messages {
                dst.clear();
                dst.extend_from_slice(black_box(&m.payload));
                black_box(&dst);
            }
        })
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    for case in cases() {
        decode(&mut c, &case);
        encode(&mut c, &case);
    }
    c.final_summary();
}
