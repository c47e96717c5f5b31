//! Bad input for the hostile-peer and hostile-server suites: raw bytes written by plain
//! blocking `std::net` sockets, so they are exactly what the test wrote whatever runtime
//! the code under test runs on.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long the side under test may take to close a hostile connection.
pub const CLOSE_WITHIN: Duration = Duration::from_secs(5);
/// The `max_message_len` the oversized message breaks.
pub const MAX_MESSAGE_LEN: u32 = 1 << 20;

/// One kind of bad input, sent right after the handshake (or instead of it).
#[derive(Debug, Clone, Copy)]
pub enum Attack {
    /// C0 asks for RTMPE (version 6), which we refuse.
    Rtmpe,
    /// Bytes that are no chunk stream (a continuation chunk on a chunk stream that never
    /// started).
    Garbage,
    /// A message header announcing 16 MiB - 1 bytes, over [`MAX_MESSAGE_LEN`].
    Oversized,
    /// The first chunk of a message on each of 200 chunk streams, over
    /// `max_chunk_streams` (64).
    ChunkStreams,
    /// A `connect` command whose object nests 1000 objects deep, over `max_amf_depth` (64).
    AmfBomb,
}

/// Every attack that follows a good handshake.
pub const AFTER_HANDSHAKE: [Attack; 4] = [
    Attack::Garbage,
    Attack::Oversized,
    Attack::ChunkStreams,
    Attack::AmfBomb,
];

impl Attack {
    pub fn bytes(self) -> Vec<u8> {
        match self {
            Attack::Rtmpe => {
                let mut v = vec![6u8];
                v.resize(1537, 0x5A);
                v
            }
            Attack::Garbage => vec![0xFF; 4096],
            Attack::Oversized => {
                let mut v = vec![3, 0, 0, 0, 0xFF, 0xFF, 0xFF, 20, 0, 0, 0, 0];
                v.resize(v.len() + 128, 0);
                v
            }
            Attack::ChunkStreams => {
                let mut v = Vec::new();
                for csid in 3u16..203 {
                    // fmt 0; csids from 64 on take the two-byte form.
                    let mut header = if csid < 64 {
                        vec![csid as u8]
                    } else {
                        vec![0, (csid - 64) as u8]
                    };
                    // A 1000-byte audio message of which only the first chunk comes.
                    header.extend_from_slice(&[0, 0, 0, 0, 0x03, 0xE8, 8, 1, 0, 0, 0]);
                    v.extend_from_slice(&header);
                    v.extend_from_slice(&[0xAF; 128]);
                }
                v
            }
            Attack::AmfBomb => {
                // "connect", transaction 1, then an object holding an object holding ...
                let mut amf = vec![2, 0, 7];
                amf.extend_from_slice(b"connect");
                amf.extend_from_slice(&[0, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]);
                for _ in 0..1000 {
                    amf.extend_from_slice(&[3, 0, 1, b'a']);
                }
                message(3, 20, &amf)
            }
        }
    }
}

/// `payload` as one message on chunk stream `csid` (< 64) of message stream 0, cut into
/// chunks of the default size, 128.
fn message(csid: u8, type_id: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = vec![csid, 0, 0, 0];
    out.extend_from_slice(&len.to_be_bytes()[1..]);
    out.push(type_id);
    out.extend_from_slice(&[0, 0, 0, 0]);
    for (i, piece) in payload.chunks(128).enumerate() {
        if i > 0 {
            out.push(0xC0 | csid);
        }
        out.extend_from_slice(piece);
    }
    out
}

/// The client side of a simple (non-digest) handshake: C0+C1, read S0+S1+S2, C2 echoes S1.
pub fn client_handshake(s: &mut TcpStream) -> std::io::Result<()> {
    let mut c0c1 = vec![3u8];
    c0c1.extend((0..1536u32).map(|i| (i * 7 + 1) as u8));
    c0c1[1..9].fill(0);
    s.write_all(&c0c1)?;
    let mut s012 = vec![0u8; 1 + 1536 * 2];
    s.read_exact(&mut s012)?;
    s.write_all(&s012[1..1537])
}

/// The server side of a simple handshake: read C0+C1, S0+S1+S2 (S2 echoes C1), read C2.
pub fn server_handshake(s: &mut TcpStream) -> std::io::Result<()> {
    let mut c0c1 = vec![0u8; 1537];
    s.read_exact(&mut c0c1)?;
    let mut out = vec![3u8];
    out.extend((0..1536u32).map(|i| (i * 13 + 5) as u8));
    out[1..9].fill(0);
    out.extend_from_slice(&c0c1[1..]);
    s.write_all(&out)?;
    let mut c2 = vec![0u8; 1536];
    s.read_exact(&mut c2)
}

/// Writes the attack and waits for the other side to close: how long that took after the
/// bad bytes went out, or why it did not happen within [`CLOSE_WITHIN`].
pub fn send_and_await_close(s: &mut TcpStream, what: Attack) -> Result<Duration, String> {
    s.set_read_timeout(Some(CLOSE_WITHIN))
        .map_err(|e| e.to_string())?;
    let sent = Instant::now();
    // The other side may close before it read everything: a failed write is a close too.
    let _ = s.write_all(&what.bytes());
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(sent.elapsed()),
            // Whatever it says before it closes (a refusal, acks) is fine.
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Err(format!("{what:?}: still open after {CLOSE_WITHIN:?}"));
            }
            // A reset is a close as well.
            Err(_) => return Ok(sent.elapsed()),
        }
        if sent.elapsed() > CLOSE_WITHIN {
            return Err(format!("{what:?}: still talking after {CLOSE_WITHIN:?}"));
        }
    }
}
