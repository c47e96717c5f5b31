//! Pieces shared by the E-RTMP audio and video headers: the ModEx prefix loop (item 21) and
//! multitrack framing (item 22).

use bytes::{BufMut, Bytes, BytesMut};

use super::MediaError;
use super::reader::{Reader, put_u24};

/// Packet type value that announces a ModEx prefix, in both audio and video.
pub(crate) const MOD_EX: u8 = 7;

/// Most tracks accepted in one message. Track ids are a UI8, so a message can name at most
/// 256 distinct tracks; the bound also keeps a 16 MiB message of empty tracks (4 bytes
/// each) from turning into millions of parsed entries.
pub const MAX_TRACKS: usize = 256;

/// Most ModEx prefixes accepted in one message. E-RTMP v2 defines one modifier type; the
/// bound keeps a message of tiny prefixes from becoming a large vector.
pub const MAX_MOD_EX: usize = 16;

/// What a ModEx prefix modifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ModExType {
    /// UI24 nanoseconds added to the message's millisecond timestamp.
    TimestampOffsetNano,
    /// A type this crate does not interpret; its data is sized, so it is kept, not fatal.
    Other(u8),
}

impl ModExType {
    fn from_nibble(v: u8) -> Self {
        match v {
            0 => ModExType::TimestampOffsetNano,
            n => ModExType::Other(n),
        }
    }

    fn to_nibble(self) -> Result<u8, MediaError> {
        match self {
            ModExType::TimestampOffsetNano => Ok(0),
            ModExType::Other(n) if (1..16).contains(&n) => Ok(n),
            ModExType::Other(_) => Err(MediaError::Invalid("ModEx type (must be 0..=15)")),
        }
    }
}

/// One ModEx prefix: the modifier and its data (1..=65536 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModEx {
    /// What is modified.
    pub kind: ModExType,
    /// The modifier's data (a zero-copy slice of the payload).
    pub data: Bytes,
}

impl ModEx {
    /// A TimestampOffsetNano modifier; `nanos` must be below 1_000_000 (one millisecond).
    pub fn timestamp_offset_nano(nanos: u32) -> Result<Self, MediaError> {
        if nanos >= 1_000_000 {
            return Err(MediaError::Invalid("timestamp offset (must be under 1 ms)"));
        }
        Ok(ModEx {
            kind: ModExType::TimestampOffsetNano,
            data: Bytes::copy_from_slice(&nanos.to_be_bytes()[1..]),
        })
    }
}

/// The nanosecond offset of the first TimestampOffsetNano modifier, if any.
pub(crate) fn nano_offset(mod_ex: &[ModEx]) -> Option<u32> {
    mod_ex
        .iter()
        .find(|m| m.kind == ModExType::TimestampOffsetNano)
        .and_then(|m| m.data.get(..3))
        .map(|b| u32::from_be_bytes([0, b[0], b[1], b[2]]))
}

/// Reads ModEx prefixes while the packet type says ModEx; returns the final packet type.
pub(crate) fn read_mod_ex(
    r: &mut Reader,
    mut packet_type: u8,
    out: &mut Vec<ModEx>,
) -> Result<u8, MediaError> {
    while packet_type == MOD_EX {
        if out.len() == MAX_MOD_EX {
            return Err(MediaError::Invalid("message (more than 16 ModEx prefixes)"));
        }
        let mut size = usize::from(r.u8("ModEx size")?) + 1;
        if size == 256 {
            size = usize::from(r.u16("ModEx size")?) + 1;
        }
        let data = r.take(size, "ModEx data")?;
        let b = r.u8("ModEx type")?;
        out.push(ModEx {
            kind: ModExType::from_nibble(b >> 4),
            data,
        });
        packet_type = b & 0x0f;
    }
    Ok(packet_type)
}

/// Writes the ModEx prefixes. `first_nibble_slot` is where byte 0's packet type goes: the
/// caller writes byte 0 with packet type ModEx when `mod_ex` is non-empty, and the last
/// prefix carries `packet_type`.
pub(crate) fn write_mod_ex(
    out: &mut BytesMut,
    mod_ex: &[ModEx],
    packet_type: u8,
) -> Result<(), MediaError> {
    if mod_ex.len() > MAX_MOD_EX {
        return Err(MediaError::Invalid("message (more than 16 ModEx prefixes)"));
    }
    for (i, m) in mod_ex.iter().enumerate() {
        let size_minus_one = m
            .data
            .len()
            .checked_sub(1)
            .ok_or(MediaError::Invalid("ModEx data (empty)"))?;
        if size_minus_one < 255 {
            out.put_u8(size_minus_one as u8);
        } else {
            let v = u16::try_from(size_minus_one)
                .map_err(|_| MediaError::Invalid("ModEx data (over 65536 bytes)"))?;
            out.put_u8(0xff);
            out.put_u16(v);
        }
        out.extend_from_slice(&m.data);
        let next = if i + 1 == mod_ex.len() {
            packet_type
        } else {
            MOD_EX
        };
        out.put_u8(m.kind.to_nibble()? << 4 | next);
    }
    Ok(())
}

/// How the tracks of a multitrack message are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MultitrackType {
    /// One track, no size field: the track's data runs to the end of the message.
    OneTrack,
    /// Several tracks of one codec, each with a UI24 size.
    ManyTracks,
    /// Several tracks, each with its own FourCC and a UI24 size.
    ManyTracksManyCodecs,
}

impl MultitrackType {
    pub(crate) fn from_nibble(v: u8) -> Result<Self, MediaError> {
        match v {
            0 => Ok(MultitrackType::OneTrack),
            1 => Ok(MultitrackType::ManyTracks),
            2 => Ok(MultitrackType::ManyTracksManyCodecs),
            n => Err(MediaError::UnknownMultitrackType(n)),
        }
    }

    pub(crate) fn to_nibble(self) -> u8 {
        match self {
            MultitrackType::OneTrack => 0,
            MultitrackType::ManyTracks => 1,
            MultitrackType::ManyTracksManyCodecs => 2,
        }
    }
}

/// One track of a multitrack message (or the implicit track 0 of a single-track one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Track<C, P> {
    /// Track id; 0 is the default / highest-priority track.
    pub track_id: u8,
    /// The track's codec.
    pub codec: C,
    /// The track's packet.
    pub packet: P,
}

/// Parses the tracks after `UI8 (type << 4 | packet type)` has been read: the shared
/// FourCC (unless many-codecs), then every track to the end of the message (item 22).
pub(crate) fn read_tracks<C: Copy, P>(
    r: &mut Reader,
    kind: MultitrackType,
    read_codec: impl Fn(&mut Reader) -> Result<C, MediaError>,
    mut read_packet: impl FnMut(C, Reader) -> Result<P, MediaError>,
) -> Result<Vec<Track<C, P>>, MediaError> {
    let shared = match kind {
        MultitrackType::ManyTracksManyCodecs => None,
        _ => Some(read_codec(r)?),
    };
    let mut tracks = Vec::new();
    loop {
        if tracks.len() == MAX_TRACKS {
            return Err(MediaError::Invalid(
                "multitrack message (more than 256 tracks)",
            ));
        }
        let codec = match shared {
            Some(c) => c,
            None => read_codec(r)?,
        };
        let track_id = r.u8("track id")?;
        let body = match kind {
            MultitrackType::OneTrack => r.rest(),
            _ => {
                let size = r.u24("track size")?;
                r.take(size as usize, "track data")?
            }
        };
        let packet = read_packet(codec, Reader::new(body))?;
        tracks.push(Track {
            track_id,
            codec,
            packet,
        });
        if kind == MultitrackType::OneTrack || r.remaining() == 0 {
            return Ok(tracks);
        }
    }
}

/// Writes the tracks of a multitrack message (everything after the multitrack type byte).
pub(crate) fn write_tracks<C: Copy + PartialEq, P>(
    out: &mut BytesMut,
    kind: MultitrackType,
    tracks: &[Track<C, P>],
    write_codec: impl Fn(C, &mut BytesMut),
    mut write_packet: impl FnMut(&Track<C, P>, &mut BytesMut) -> Result<(), MediaError>,
) -> Result<(), MediaError> {
    let first = tracks
        .first()
        .ok_or(MediaError::Invalid("multitrack message (no tracks)"))?;
    if tracks.len() > MAX_TRACKS {
        return Err(MediaError::Invalid(
            "multitrack message (more than 256 tracks)",
        ));
    }
    match kind {
        MultitrackType::OneTrack if tracks.len() != 1 => {
            return Err(MediaError::Invalid(
                "OneTrack message (needs exactly one track)",
            ));
        }
        MultitrackType::ManyTracksManyCodecs => {}
        _ => {
            if tracks.iter().any(|t| t.codec != first.codec) {
                return Err(MediaError::Invalid(
                    "multitrack codecs (differ, use ManyTracksManyCodecs)",
                ));
            }
            write_codec(first.codec, out);
        }
    }
    for t in tracks {
        if kind == MultitrackType::ManyTracksManyCodecs {
            write_codec(t.codec, out);
        }
        out.put_u8(t.track_id);
        if kind == MultitrackType::OneTrack {
            write_packet(t, out)?;
        } else {
            let at = out.len();
            put_u24(out, 0);
            write_packet(t, out)?;
            let size = out.len() - at - 3;
            if size > 0x00ff_ffff {
                return Err(MediaError::Invalid("track size (over 16 MiB)"));
            }
            out[at..at + 3].copy_from_slice(&(size as u32).to_be_bytes()[1..]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::{AudioTag, VideoTag};

    #[test]
    fn track_and_mod_ex_counts_are_bounded() {
        // ManyTracks SequenceEnd avc1 with 257 empty tracks: 4 bytes each.
        let mut msg = BytesMut::from(&b"\x96\x12avc1"[..]);
        for i in 0..=MAX_TRACKS {
            msg.extend_from_slice(&[i as u8, 0, 0, 0]);
        }
        assert_eq!(
            VideoTag::parse(msg.clone().freeze()),
            Err(MediaError::Invalid(
                "multitrack message (more than 256 tracks)"
            ))
        );
        msg.truncate(msg.len() - 4);
        let tag = VideoTag::parse(msg.clone().freeze()).unwrap();
        assert_eq!(tag.tracks().count(), MAX_TRACKS);
        assert_eq!(tag.to_bytes().unwrap(), msg.freeze());

        // 17 one-byte ModEx prefixes, then CodedFrames Opus.
        let mut msg = BytesMut::from(&b"\x97"[..]);
        for _ in 0..MAX_MOD_EX {
            msg.extend_from_slice(&[0, 0xaa, 0x17]);
        }
        msg.extend_from_slice(&[0, 0xaa, 0x11]);
        msg.extend_from_slice(b"Opus");
        assert_eq!(
            AudioTag::parse(msg.freeze()),
            Err(MediaError::Invalid("message (more than 16 ModEx prefixes)"))
        );
    }
}
