//! The FP9 digest handshake (RTMP-NOTES item 13): where the digest sits in C1/S1, how it is
//! computed, and the C2/S2 signature derived from the peer's digest.
//!
//! Layout of a digest C1/S1: time (4) + version (4) + two 764-byte blocks. Schema 0 puts the
//! key block first and the digest block second (at 772), schema 1 the digest block first (at
//! 8). Inside the digest block the first 4 bytes choose the offset of the 32-byte digest:
//! `block + 4 + (b0 + b1 + b2 + b3) % 728`. The digest is HMAC-SHA256 over the 1504 bytes
//! that are not the digest, keyed with the public part of the sender's key (30 bytes of the
//! player key, 36 of the server key). The answer (C2/S2) is 1504 random bytes followed by
//! HMAC(random, HMAC(peer digest, full key of the answering side)).

use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{PACKET_LEN, Schema};
use crate::rng::Rng;

/// Bytes in a digest.
pub(crate) const DIGEST_LEN: usize = 32;

/// The 32 bytes both keys end with. Not secret: copied from libavformat/rtmpproto.c.
const KEY_TAIL: [u8; 32] = [
    0xF0, 0xEE, 0xC2, 0x4A, 0x80, 0x68, 0xBE, 0xE8, 0x2E, 0x00, 0xD0, 0xD1, 0x02, 0x9E, 0x7E, 0x57,
    0x6E, 0xEC, 0x5D, 0x2D, 0x29, 0x80, 0x6F, 0xAB, 0x93, 0xB8, 0xE6, 0x36, 0xCF, 0xEB, 0x31, 0xAE,
];

const fn join<const A: usize, const N: usize>(head: &[u8; A]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < A {
        out[i] = head[i];
        i += 1;
    }
    while i < N {
        out[i] = KEY_TAIL[i - A];
        i += 1;
    }
    out
}

/// "Genuine Adobe Flash Player 001" + the tail: signs client digests (C1) and the C2 answer.
const PLAYER_KEY: [u8; 62] = join::<30, 62>(b"Genuine Adobe Flash Player 001");
/// "Genuine Adobe Flash Media Server 001" + the tail: signs S1 and the S2 answer.
const SERVER_KEY: [u8; 68] = join::<36, 68>(b"Genuine Adobe Flash Media Server 001");
/// The part of [`PLAYER_KEY`] that keys the C1 digest.
const PLAYER_KEY_PUBLIC: &[u8] = PLAYER_KEY.split_at(30).0;
/// The part of [`SERVER_KEY`] that keys the S1 digest.
const SERVER_KEY_PUBLIC: &[u8] = SERVER_KEY.split_at(36).0;

/// The four keys of the digest handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// [`PLAYER_KEY_PUBLIC`]: signs C1.
    PlayerPublic,
    /// [`SERVER_KEY_PUBLIC`]: signs S1.
    ServerPublic,
    /// [`PLAYER_KEY`]: derives the key that signs C2.
    Player,
    /// [`SERVER_KEY`]: derives the key that signs S2.
    Server,
}

impl Key {
    fn bytes(self) -> &'static [u8] {
        match self {
            Key::PlayerPublic => PLAYER_KEY_PUBLIC,
            Key::ServerPublic => SERVER_KEY_PUBLIC,
            Key::Player => &PLAYER_KEY,
            Key::Server => &SERVER_KEY,
        }
    }

    /// A fresh HMAC-SHA256 keyed with this key. The keys are constants, so the keyed state
    /// (the inner and outer pad blocks already hashed, and for the 68-byte server key the
    /// key itself) is built once per process and cloned after: 2 to 4 fewer SHA-256 blocks
    /// per HMAC, on every connection. Pure computation, so the core stays sans-IO.
    fn mac(self) -> Hmac<Sha256> {
        static PREPARED: [OnceLock<Hmac<Sha256>>; 4] = [const { OnceLock::new() }; 4];
        PREPARED[self as usize]
            .get_or_init(|| hmac(self.bytes()))
            .clone()
    }
}

/// Length of the random part of a C2/S2 answer; its signature fills the last 32 bytes.
const ANSWER_RANDOM_LEN: usize = PACKET_LEN - DIGEST_LEN;

// The largest offsets leave room for the digest inside its block.
const _: () = assert!(1503 + DIGEST_LEN <= PACKET_LEN && 739 + DIGEST_LEN <= 8 + 764);

fn hmac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this never fails.
    Hmac::<Sha256>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"))
}

/// Where the digest of a packet signed in `schema` starts. Always in
/// `12..=739` (schema 1) or `776..=1503` (schema 0), so the digest fits in the packet.
pub(crate) fn digest_offset(packet: &[u8; PACKET_LEN], schema: Schema) -> usize {
    let block = match schema {
        Schema::Zero => 8 + 764,
        Schema::One => 8,
    };
    let sum: usize = packet
        .iter()
        .skip(block)
        .take(4)
        .map(|&b| usize::from(b))
        .sum();
    block + 4 + sum % 728
}

/// HMAC-SHA256 of the packet without the 32 bytes at `offset`.
fn digest_without(packet: &[u8; PACKET_LEN], offset: usize, key: Key) -> [u8; DIGEST_LEN] {
    let mut mac = key.mac();
    let (before, rest) = packet.split_at(offset.min(PACKET_LEN));
    mac.update(before);
    mac.update(rest.get(DIGEST_LEN..).unwrap_or_default());
    mac.finalize().into_bytes().into()
}

/// Writes the digest of `packet` in `schema`, keyed with `key` (a public key part), and
/// returns it.
pub(crate) fn sign(packet: &mut [u8; PACKET_LEN], schema: Schema, key: Key) -> [u8; DIGEST_LEN] {
    let offset = digest_offset(packet, schema);
    let digest = digest_without(packet, offset, key);
    if let Some(slot) = packet.get_mut(offset..offset + DIGEST_LEN) {
        slot.copy_from_slice(&digest);
    }
    digest
}

/// The digest of `packet` if it validates in `schema` with `key`.
pub(crate) fn validate(
    packet: &[u8; PACKET_LEN],
    schema: Schema,
    key: Key,
) -> Option<[u8; DIGEST_LEN]> {
    let offset = digest_offset(packet, schema);
    let found: [u8; DIGEST_LEN] = packet.get(offset..offset + DIGEST_LEN)?.try_into().ok()?;
    (digest_without(packet, offset, key) == found).then_some(found)
}

/// The first schema of `order` in which `packet` carries a valid digest, with that digest.
pub(crate) fn find(
    packet: &[u8; PACKET_LEN],
    order: [Schema; 2],
    key: Key,
) -> Option<(Schema, [u8; DIGEST_LEN])> {
    order
        .into_iter()
        .find_map(|schema| validate(packet, schema, key).map(|d| (schema, d)))
}

/// The key that signs an answer to `peer_digest`: HMAC(peer digest, full key).
fn answer_key(peer_digest: &[u8; DIGEST_LEN], full_key: Key) -> [u8; DIGEST_LEN] {
    let mut mac = full_key.mac();
    mac.update(peer_digest);
    mac.finalize().into_bytes().into()
}

/// Fills `out` with a C2/S2 answer to the peer's digest: random bytes, then their signature.
pub(crate) fn write_answer(
    out: &mut [u8; PACKET_LEN],
    peer_digest: &[u8; DIGEST_LEN],
    full_key: Key,
    rng: &mut Rng,
) {
    let (random, signature) = out.split_at_mut(ANSWER_RANDOM_LEN);
    rng.fill(random);
    let mut mac = hmac(&answer_key(peer_digest, full_key));
    mac.update(random);
    signature.copy_from_slice(&mac.finalize().into_bytes());
}

/// Whether `packet` is a valid C2/S2 answer to our digest `ours`, signed with `full_key`.
pub(crate) fn is_answer(packet: &[u8; PACKET_LEN], ours: &[u8; DIGEST_LEN], full_key: Key) -> bool {
    let (random, signature) = packet.split_at(ANSWER_RANDOM_LEN);
    let mut mac = hmac(&answer_key(ours, full_key));
    mac.update(random);
    mac.verify_slice(signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn random_packet(seed: u64) -> [u8; PACKET_LEN] {
        let mut p = [0u8; PACKET_LEN];
        Rng::new(seed).fill(&mut p);
        p
    }

    /// Item 13: the key bytes, spelled out independently of how the constants are built.
    #[test]
    fn keys_are_the_adobe_keys() {
        assert_eq!(&PLAYER_KEY[..30], b"Genuine Adobe Flash Player 001");
        assert_eq!(&SERVER_KEY[..36], b"Genuine Adobe Flash Media Server 001");
        let tail = "f0eec24a8068bee82e00d0d1029e7e576eec5d2d29806fab93b8e636cfeb31ae";
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(hex(&PLAYER_KEY[30..]), tail);
        assert_eq!(hex(&SERVER_KEY[36..]), tail);
        assert_eq!((PLAYER_KEY_PUBLIC.len(), SERVER_KEY_PUBLIC.len()), (30, 36));
    }

    /// Item 13: offset = block start + 4 + (sum of the block's first 4 bytes) % 728.
    #[test]
    fn digest_offset_known_answers() {
        let mut p = [0u8; PACKET_LEN];
        p[8..12].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]); // 1020 % 728 = 292
        p[772..776].copy_from_slice(&[1, 2, 3, 4]); // 10
        assert_eq!(digest_offset(&p, Schema::One), 8 + 4 + 292);
        assert_eq!(digest_offset(&p, Schema::Zero), 772 + 4 + 10);
        p[8..12].copy_from_slice(&[182, 182, 182, 181]); // 727: the largest offset
        p[772..776].copy_from_slice(&[182, 182, 182, 181]);
        assert_eq!(digest_offset(&p, Schema::One), 739);
        assert_eq!(digest_offset(&p, Schema::Zero), 1503);
    }

    #[test]
    fn signed_packets_validate_in_their_schema_only() {
        for schema in [Schema::Zero, Schema::One] {
            let mut p = random_packet(3);
            let d = sign(&mut p, schema, Key::PlayerPublic);
            assert_eq!(validate(&p, schema, Key::PlayerPublic), Some(d));
            assert_eq!(validate(&p, schema.other(), Key::PlayerPublic), None);
            assert_eq!(validate(&p, schema, Key::ServerPublic), None);
            assert_eq!(
                find(&p, [Schema::Zero, Schema::One], Key::PlayerPublic),
                Some((schema, d))
            );
            p[0] ^= 1; // the time field is covered by the digest
            assert_eq!(
                find(&p, [Schema::Zero, Schema::One], Key::PlayerPublic),
                None
            );
        }
    }

    #[test]
    fn answers_verify_against_the_right_digest_and_key() {
        let digest = [7u8; DIGEST_LEN];
        let mut a = [0u8; PACKET_LEN];
        write_answer(&mut a, &digest, Key::Server, &mut Rng::new(1));
        assert!(is_answer(&a, &digest, Key::Server));
        assert!(!is_answer(&a, &[8u8; DIGEST_LEN], Key::Server));
        assert!(!is_answer(&a, &digest, Key::Player));
        a[100] ^= 0x80;
        assert!(!is_answer(&a, &digest, Key::Server));
    }
}
