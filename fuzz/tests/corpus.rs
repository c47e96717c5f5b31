//! Replays every committed fuzz seed through the same harness bodies the fuzz targets run,
//! so regressions found by fuzzing stay fixed on the stable toolchain without libFuzzer.

use std::fs;
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("readable corpus dir").path();
        let data = fs::read(&path).expect("readable corpus file");
        run(&data);
    }
}

#[test]
fn amf0_corpus() {
    replay("amf0", rtmp_fuzz::amf0::run);
}

#[test]
fn amf3_corpus() {
    replay("amf3", rtmp_fuzz::amf3::run);
}

#[test]
fn chunk_corpus() {
    replay("chunk", rtmp_fuzz::chunk::run);
}

#[test]
fn fanout_corpus() {
    replay("fanout", rtmp_fuzz::fanout::run);
}

#[test]
fn handshake_corpus() {
    replay("handshake", rtmp_fuzz::handshake::run);
}

#[test]
fn media_corpus() {
    replay("media", rtmp_fuzz::media::run);
}

#[test]
fn relay_corpus() {
    replay("relay", rtmp_fuzz::relay::run);
}

#[test]
fn server_bytes_corpus() {
    replay("server_bytes", rtmp_fuzz::server_bytes::run);
}

#[test]
fn client_bytes_corpus() {
    replay("client_bytes", rtmp_fuzz::client_bytes::run);
}

#[test]
fn session_ops_corpus() {
    replay("session_ops", rtmp_fuzz::session_ops::run);
}

#[test]
fn url_corpus() {
    replay("url", rtmp_fuzz::url::run);
}

#[test]
fn tls_server_corpus() {
    replay("tls_server", rtmp_fuzz::tls_server::run);
}
