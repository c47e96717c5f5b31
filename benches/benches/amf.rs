//! AMF0 decode and encode of what encoders really send: the `connect` command of OBS/ffmpeg
//! and an `onMetaData` ECMA array with 15 keys. Each group runs the same bytes through
//! rtmp-proto, rml_amf0 and a plain memcpy (the physical limit).
//!
//! Quick check: `cargo bench -p rtmp-benches --bench amf -- --warm-up-time 1 --measurement-time 2`

use std::hint::black_box;
use std::io::Cursor;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtmp_proto::amf::{DecodeLimits, Value, amf0};
use rtmp_proto::amf_object;

fn connect_command() -> Vec<Value> {
    vec![
        "connect".into(),
        1.0.into(),
        amf_object! {
            "app" => "live",
            "type" => "nonprivate",
            "flashVer" => "FMLE/3.0 (compatible; FMSc/1.0)",
            "swfUrl" => "rtmp://live.example.com/live",
            "tcUrl" => "rtmp://live.example.com/live",
            "fpad" => false,
            "capabilities" => 239.0,
            "audioCodecs" => 3575.0,
            "videoCodecs" => 252.0,
            "videoFunction" => 1.0,
            "pageUrl" => Value::Undefined,
            "objectEncoding" => 0.0,
        },
    ]
}

fn on_metadata() -> Vec<Value> {
    vec![
        "onMetaData".into(),
        Value::ecma_array([
            ("duration", Value::from(0.0)),
            ("fileSize", 0.0.into()),
            ("width", 1920.0.into()),
            ("height", 1080.0.into()),
            ("videocodecid", 7.0.into()),
            ("videodatarate", 6000.0.into()),
            ("framerate", 60.0.into()),
            ("audiocodecid", 10.0.into()),
            ("audiodatarate", 160.0.into()),
            ("audiosamplerate", 48000.0.into()),
            ("audiosamplesize", 16.0.into()),
            ("audiochannels", 2.0.into()),
            ("stereo", true.into()),
            ("2.1", false.into()),
            (
                "encoder",
                "obs-output module (libobs version 30.1.2)".into(),
            ),
        ]),
    ]
}

fn bench_message(c: &mut Criterion, name: &str, values: &[Value]) {
    let mut out = BytesMut::new();
    amf0::encode_all(values, &mut out);
    let bytes: Bytes = out.freeze();
    let limits = DecodeLimits::default();
    let rml_values = rml_amf0::deserialize(&mut Cursor::new(&bytes[..])).expect("rml decodes");
    assert_eq!(amf0::decode_all(&bytes, &limits).unwrap(), values);

    let mut group = c.benchmark_group(format!("amf0_{name}_decode"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("rtmp-proto", |b| {
        b.iter(|| amf0::decode_all(black_box(&bytes), &limits).unwrap())
    });
    group.bench_function("rml_amf0", |b| {
        b.iter(|| rml_amf0::deserialize(&mut Cursor::new(black_box(&bytes[..]))).unwrap())
    });
    let mut copy = vec![0u8; bytes.len()];
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            copy.copy_from_slice(black_box(&bytes[..]));
            black_box(&copy);
        })
    });
    group.finish();

    let mut group = c.benchmark_group(format!("amf0_{name}_encode"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    let mut out = BytesMut::with_capacity(bytes.len());
    group.bench_function("rtmp-proto", |b| {
        b.iter(|| {
            out.clear();
            amf0::encode_all(black_box(values), &mut out);
            black_box(&out);
        })
    });
    group.bench_function("rml_amf0", |b| {
        b.iter(|| rml_amf0::serialize(black_box(&rml_values)).unwrap())
    });
    group.bench_function("memcpy", |b| {
        b.iter(|| {
            copy.copy_from_slice(black_box(&bytes[..]));
            black_box(&copy);
        })
    });
    group.finish();
}

fn amf(c: &mut Criterion) {
    bench_message(c, "connect", &connect_command());
    bench_message(c, "onmetadata", &on_metadata());
}

criterion_group!(benches, amf);
criterion_main!(benches);
