//! Frame builders shared by the `relay_*` integration tests: hand-written FLV tag bodies
//! (RTMP-NOTES 20-23 for the Enhanced RTMP layouts).
#![allow(dead_code)]

use bytes::{BufMut, Bytes, BytesMut};
use rtmp_proto::relay::{Frame, FrameClass};
use rtmp_proto::session::{Media, MediaKind};

fn media(kind: MediaKind, timestamp: u32, bytes: Vec<u8>) -> Frame {
    Frame::media(Media {
        kind,
        timestamp,
        payload: Bytes::from(bytes),
    })
}

fn with_body(head: &[u8], body_len: usize, seed: u8) -> Vec<u8> {
    let mut v = head.to_vec();
    v.extend((0..body_len).map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed)));
    v
}

// ----- legacy H.264 / AAC ----------------------------------------------------------------

/// AVC sequence header: frame type key, codec 7, packet type 0, CTS 0, then `cfg`.
pub fn avc_seq(ts: u32, cfg: u8) -> Frame {
    media(MediaKind::Video, ts, vec![0x17, 0, 0, 0, 0, 1, cfg, 0, 31])
}

/// AVC keyframe NALUs (`len` body bytes).
pub fn avc_key(ts: u32, len: usize) -> Frame {
    media(
        MediaKind::Video,
        ts,
        with_body(&[0x17, 1, 0, 0, 0], len, ts as u8),
    )
}

/// AVC inter frame NALUs (`len` body bytes).
pub fn avc_inter(ts: u32, len: usize) -> Frame {
    media(
        MediaKind::Video,
        ts,
        with_body(&[0x27, 1, 0, 0, 0], len, ts as u8),
    )
}

/// AVC end of sequence.
pub fn avc_eos(ts: u32) -> Frame {
    media(MediaKind::Video, ts, vec![0x17, 2, 0, 0, 0])
}

/// AAC sequence header (AudioSpecificConfig `cfg`, 0x12).
pub fn aac_seq(ts: u32, cfg: u8) -> Frame {
    media(MediaKind::Audio, ts, vec![0xAF, 0, 0x12, cfg])
}

/// AAC raw frame.
pub fn aac(ts: u32, len: usize) -> Frame {
    media(MediaKind::Audio, ts, with_body(&[0xAF, 1], len, ts as u8))
}

// ----- Enhanced RTMP ----------------------------------------------------------------------

/// `hvc1` SequenceStart (single track).
pub fn hevc_seq(ts: u32, cfg: u8) -> Frame {
    let mut v = vec![0x90];
    v.extend_from_slice(b"hvc1");
    v.extend_from_slice(&[1, cfg, 0x60]);
    media(MediaKind::Video, ts, v)
}

/// `hvc1` CodedFrames, key or inter.
pub fn hevc_frame(ts: u32, key: bool, len: usize) -> Frame {
    let mut head = vec![if key { 0x91 } else { 0xA1 }];
    head.extend_from_slice(b"hvc1");
    head.extend_from_slice(&[0, 0, 0]);
    media(MediaKind::Video, ts, with_body(&head, len, ts as u8))
}

/// `hvc1` video Metadata (`colorInfo`): packet type 4.
pub fn hevc_color_info(ts: u32) -> Frame {
    let mut v = vec![0x94];
    v.extend_from_slice(b"hvc1");
    v.extend_from_slice(&[2, 0, 9]);
    v.extend_from_slice(b"colorInfo");
    media(MediaKind::Video, ts, v)
}

/// `Opus` SequenceStart (single track).
pub fn opus_seq(ts: u32) -> Frame {
    let mut v = vec![0x90];
    v.extend_from_slice(b"Opus");
    v.extend_from_slice(b"OpusHead");
    media(MediaKind::Audio, ts, v)
}

/// `Opus` CodedFrames.
pub fn opus(ts: u32, len: usize) -> Frame {
    let mut head = vec![0x91];
    head.extend_from_slice(b"Opus");
    media(MediaKind::Audio, ts, with_body(&head, len, ts as u8))
}

/// Multitrack `avc1` video, OneTrack framing: one track `track` with packet type `pkt`.
pub fn mt_video(ts: u32, key: bool, pkt: u8, track: u8, body: &[u8]) -> Frame {
    let ft = if key { 0x10 } else { 0x20 };
    let mut v = vec![0x80 | ft | 6, pkt];
    v.extend_from_slice(b"avc1");
    v.push(track);
    v.extend_from_slice(body);
    media(MediaKind::Video, ts, v)
}

/// Multitrack `avc1` SequenceStart for one track.
pub fn mt_video_seq(ts: u32, track: u8, cfg: u8) -> Frame {
    mt_video(ts, true, 0, track, &[1, cfg, 0, 31])
}

/// Multitrack `avc1` CodedFrames for one track.
pub fn mt_video_frame(ts: u32, key: bool, track: u8, len: usize) -> Frame {
    let body = with_body(&[0, 0, 0], len, track);
    mt_video(ts, key, 1, track, &body)
}

/// Multitrack `avc1` SequenceEnd for one track.
pub fn mt_video_end(ts: u32, track: u8) -> Frame {
    mt_video(ts, true, 2, track, &[])
}

/// Multitrack `mp4a` SequenceStart, ManyTracks framing: one message configuring every
/// track of `tracks` (id, config byte).
pub fn mt_audio_seq(ts: u32, tracks: &[(u8, u8)]) -> Frame {
    let mut v = BytesMut::new();
    v.put_u8(0x90 | 5);
    v.put_u8(0x10); // ManyTracks << 4 | SequenceStart
    v.extend_from_slice(b"mp4a");
    for &(id, cfg) in tracks {
        v.put_u8(id);
        v.put_uint(2, 3);
        v.put_slice(&[0x12, cfg]);
    }
    media(MediaKind::Audio, ts, v.to_vec())
}

/// Multitrack `mp4a` CodedFrames for one track (OneTrack framing).
pub fn mt_audio(ts: u32, track: u8, len: usize) -> Frame {
    let mut head = vec![0x90 | 5, 0x01]; // OneTrack << 4 | CodedFrames
    head.extend_from_slice(b"mp4a");
    head.push(track);
    media(MediaKind::Audio, ts, with_body(&head, len, track))
}

/// `onMetaData` (the payload content does not matter to the relay).
pub fn metadata(ts: u32, tag: u8) -> Frame {
    Frame::metadata_payload(Bytes::from(vec![2, 0, 10, b'o', tag]), ts)
}

/// The classes of `frames`, for order assertions.
pub fn classes(frames: &[Frame]) -> Vec<FrameClass> {
    frames.iter().map(Frame::class).collect()
}
