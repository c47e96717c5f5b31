//! The simple handshake (RTMP-NOTES item 12): C1/S1 = time (4) + version (4) + 1528 random
//! bytes, and the answer C2/S2 echoes the peer's packet.

use super::PACKET_LEN;
use crate::rng::Rng;

/// Where the random part of a C1/S1 starts, after time and version.
const RANDOM_START: usize = 8;

/// Fills `out` with a C1/S1: `epoch` (big-endian), the `version` field, random filler.
pub(crate) fn write_packet(
    out: &mut [u8; PACKET_LEN],
    epoch: u32,
    version: [u8; 4],
    rng: &mut Rng,
) {
    let (head, random) = out.split_at_mut(RANDOM_START);
    head[..4].copy_from_slice(&epoch.to_be_bytes());
    head[4..].copy_from_slice(&version);
    rng.fill(random);
}

/// The time field of a C1/S1.
pub(crate) fn epoch(packet: &[u8; PACKET_LEN]) -> u32 {
    let [a, b, c, d, ..] = *packet;
    u32::from_be_bytes([a, b, c, d])
}

/// The version field of a C1/S1.
pub(crate) fn version(packet: &[u8; PACKET_LEN]) -> [u8; 4] {
    let [_, _, _, _, a, b, c, d, ..] = *packet;
    [a, b, c, d]
}

/// Whether `answer` echoes `ours`. Only the random part counts: the spec lets the echo
/// carry its own read time in the second field, and some peers rewrite the first.
pub(crate) fn is_echo(answer: &[u8; PACKET_LEN], ours: &[u8]) -> bool {
    ours.get(RANDOM_START..) == answer.get(RANDOM_START..)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Item 12: time (big-endian) + version + random.
    #[test]
    fn packet_layout() {
        let mut p = [0u8; PACKET_LEN];
        write_packet(&mut p, 0x0102_0304, [9, 0, 124, 2], &mut Rng::new(5));
        assert_eq!(p[..8], [1, 2, 3, 4, 9, 0, 124, 2]);
        assert_eq!((epoch(&p), version(&p)), (0x0102_0304, [9, 0, 124, 2]));
        assert!(p[8..].iter().any(|&b| b != 0));
        let mut echo = p;
        echo[4..8].copy_from_slice(&[0, 0, 0, 9]); // time2 may differ
        assert!(is_echo(&echo, &p));
        echo[1000] ^= 1;
        assert!(!is_echo(&echo, &p));
    }
}
