//! Our handshake against bytes ffmpeg really sent (RTMP-NOTES items 12 and 13).
//!
//! Fixtures, recorded by `scripts/capture-ffmpeg-handshake.py` from ffmpeg 5.1 (Lavf59.27.100)
//! talking to a fake server that answered with S0, a simple S1 (zero version field) and
//! S2 = echo of C1. Each file is everything the client sent, in order:
//!
//! | bytes        | content                                                               |
//! |--------------|-----------------------------------------------------------------------|
//! | 0            | C0 = 0x03                                                             |
//! | 1..1537      | C1: time 0, version 9.0.124.2, FP9 digest in schema 1 (digest first)  |
//! | 1537..3073   | C2: ffmpeg's echo of the fake server's S1 (not of ours)               |
//! | 3073..       | the chunk stream: `connect` on csid 3, fmt 0 (first byte 0x03), 11-byte |
//! |              | header (timestamp 0, length, type 0x14 AMF0 command, stream 0), body   |
//! |              | in 128-byte chunks with a 0xC3 header before each continuation         |
//!
//! `ffmpeg-publish-c2s.bin`: `ffmpeg -re -f lavfi -i testsrc=size=64x64:rate=5 -t 2 -c:v
//! libx264 -f flv rtmp://127.0.0.1:PORT/live/test` (connect body 140 bytes, flashVer
//! "FMLE/3.0 (compatible; Lavf59.27.100)"). `ffmpeg-play-c2s.bin`: `ffmpeg -i
//! rtmp://127.0.0.1:PORT/live/test -t 1 -f null -` (connect body 197 bytes, flashVer
//! "LNX 9,0,124,2"). The tcUrl inside carries the capture's random port.
//!
//! The `ffmpeg_*` helpers re-implement, independently of the crate, what
//! libavformat/rtmpproto.c does (`ff_rtmp_calc_digest_pos`, `rtmp_validate_digest`, the S2
//! signature check in `rtmp_handshake`), with the key bytes copied from there.

use bytes::BytesMut;
use hmac::{Hmac, Mac};
use rtmp_proto::handshake::{
    Handshake, HandshakeMode, PACKET_LEN, PeerAnswer, Schema, ServerConfig,
};
use rtmp_proto::rng::Rng;
use sha2::Sha256;

const PUBLISH: &[u8] = include_bytes!("data/ffmpeg-publish-c2s.bin");
const PLAY: &[u8] = include_bytes!("data/ffmpeg-play-c2s.bin");
const HANDSHAKE_LEN: usize = 1 + 2 * PACKET_LEN;

const FFMPEG_KEY_TAIL: [u8; 32] = [
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
];

fn rtmp_player_key() -> Vec<u8> {
    [&b"Genuine Adobe Flash Player 001"[..], &FFMPEG_KEY_TAIL].concat()
}

fn rtmp_server_key() -> Vec<u8> {
    [
        &b"Genuine Adobe Flash Media Server 001"[..],
        &FFMPEG_KEY_TAIL,
    ]
    .concat()
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// `ff_rtmp_calc_digest_pos(buf, off, 728, off + 4)`.
fn ffmpeg_digest_pos(buf: &[u8], off: usize) -> usize {
    buf[off..off + 4].iter().map(|&b| b as usize).sum::<usize>() % 728 + off + 4
}

/// `rtmp_validate_digest(buf, off)` with the given key: the digest position, or 0.
fn ffmpeg_validate_digest(buf: &[u8], off: usize, key: &[u8]) -> usize {
    let pos = ffmpeg_digest_pos(buf, off);
    let digest = hmac_sha256(key, &[&buf[..pos], &buf[pos + 32..PACKET_LEN]]);
    if digest[..] == buf[pos..pos + 32] {
        pos
    } else {
        0
    }
}

fn run_server(input: &[u8], split: usize) -> (Handshake, Vec<u8>, BytesMut) {
    let mut server = Handshake::server(&ServerConfig::default(), &mut Rng::new(42), 1000);
    let mut buf = BytesMut::new();
    let mut sent = Vec::new();
    for piece in input.chunks(split) {
        buf.extend_from_slice(piece);
        server.handle_input(&mut buf).unwrap();
        while let Some(seg) = server.poll_transmit() {
            sent.extend_from_slice(&seg);
        }
    }
    (server, sent, buf)
}

/// Items 12/13: ffmpeg's C1 is a version-9.0.124.2 digest C1 in schema 1, signed with the first
/// 30 bytes of the player key (ffmpeg's own validation accepts it at offset 8, not at 772).
#[test]
fn ffmpeg_c1_uses_schema_1() {
    for file in [PUBLISH, PLAY] {
        assert_eq!(file[0], 3, "C0");
        let c1 = &file[1..1 + PACKET_LEN];
        assert_eq!(c1[..8], [0, 0, 0, 0, 9, 0, 124, 2]);
        let key = &rtmp_player_key()[..30];
        assert_eq!(
            ffmpeg_validate_digest(c1, 772, key),
            0,
            "schema 0 must not validate"
        );
        assert_ne!(
            ffmpeg_validate_digest(c1, 8, key),
            0,
            "schema 1 must validate"
        );
    }
}

/// Our server validates ffmpeg's C1 digest (schema 1), consumes exactly C0+C1+C2 and leaves
/// the first chunk (0x03: fmt 0, csid 3, the `connect` command) in the buffer, whatever the
/// split. ffmpeg's C2 echoes the fake server's S1, not ours: reported, not fatal.
#[test]
fn server_accepts_ffmpeg_and_leaves_the_connect_chunk() {
    for file in [PUBLISH, PLAY] {
        for split in [file.len(), 1, 7, 1536, 1537, 3000] {
            let (server, sent, rest) = run_server(file, split);
            assert!(server.is_complete(), "split {split}");
            let n = server.negotiated().unwrap();
            assert_eq!(n.mode, HandshakeMode::Digest(Schema::One));
            assert_eq!((n.peer_version, n.peer_epoch), ([9, 0, 124, 2], 0));
            assert_eq!(n.peer_answer, PeerAnswer::Unrecognized);
            assert_eq!(sent.len(), HANDSHAKE_LEN, "S0+S1+S2");
            assert_eq!(
                &rest[..],
                &file[HANDSHAKE_LEN..],
                "exactly 1537 + 1536 consumed"
            );
            // The connect chunk: fmt 0 csid 3, type 20 (AMF0 command), message stream 0.
            assert_eq!(rest[0], 0x03);
            assert_eq!(rest[7], 0x14);
            assert_eq!(rest[8..12], [0, 0, 0, 0]);
            let len = u32::from_be_bytes([0, rest[4], rest[5], rest[6]]) as usize;
            let continuation_headers = (len - 1) / 128;
            assert_eq!(rest.len(), 12 + len + continuation_headers);
            assert_eq!(&rest[12..22], b"\x02\x00\x07connect");
        }
    }
}

/// Our digest S1/S2 pass the checks ffmpeg applies when playing (`rtmp_handshake`): S1's first
/// version byte >= 3, S1 validates with the server key's first 36 bytes (772 first, then 8),
/// and S2's last 32 bytes = HMAC(S2[..1504], HMAC(C1 digest, full server key)).
#[test]
fn our_digest_answer_passes_ffmpegs_checks() {
    for file in [PUBLISH, PLAY] {
        let (_, sent, _) = run_server(file, file.len());
        assert_eq!(sent[0], 3, "S0");
        let s1 = &sent[1..1 + PACKET_LEN];
        let s2 = &sent[1 + PACKET_LEN..HANDSHAKE_LEN];
        assert!(
            s1[4] >= 3,
            "ffmpeg only checks digests of servers announcing version >= 3"
        );
        let server_key = rtmp_server_key();
        let server_pos = match ffmpeg_validate_digest(s1, 772, &server_key[..36]) {
            0 => ffmpeg_validate_digest(s1, 8, &server_key[..36]),
            pos => pos,
        };
        assert_ne!(server_pos, 0, "Server response validating failed");
        let c1 = &file[1..1 + PACKET_LEN];
        let client_pos = ffmpeg_digest_pos(c1, 8);
        let digest = hmac_sha256(&server_key, &[&c1[client_pos..client_pos + 32]]);
        let signature = hmac_sha256(&digest, &[&s2[..PACKET_LEN - 32]]);
        assert_eq!(signature[..], s2[PACKET_LEN - 32..], "Signature mismatch");
        // And the C2 ffmpeg would answer with validates as a digest answer on our side.
        let digest = hmac_sha256(&rtmp_player_key(), &[&s1[server_pos..server_pos + 32]]);
        let mut c2 = vec![0x5Au8; PACKET_LEN - 32];
        c2.extend_from_slice(&hmac_sha256(&digest, &[&c2]));
        let mut replay = file[..1 + PACKET_LEN].to_vec();
        replay.extend_from_slice(&c2);
        let (server, _, _) = run_server(&replay, replay.len());
        assert_eq!(server.negotiated().unwrap().peer_answer, PeerAnswer::Digest);
    }
}

/// A server configured without digest answers ffmpeg simply: S1 with zero version (so
/// ffmpeg skips the digest check) and S2 = C1 byte for byte.
#[test]
fn simple_server_echoes_ffmpegs_c1() {
    let mut config = ServerConfig::default();
    config.digest = false;
    let mut server = Handshake::server(&config, &mut Rng::new(1), 0);
    let mut buf = BytesMut::from(PLAY);
    server.handle_input(&mut buf).unwrap();
    let sent = server.poll_transmit().unwrap();
    assert_eq!(sent[5..9], [0, 0, 0, 0]);
    assert_eq!(sent[1 + PACKET_LEN..], PLAY[1..1 + PACKET_LEN]);
    assert_eq!(server.negotiated().unwrap().mode, HandshakeMode::Simple);
    assert_eq!(&buf[..], &PLAY[HANDSHAKE_LEN..]);
}
