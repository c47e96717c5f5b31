//! The depacketizer on real encoder output: the legacy H.264 + AAC fixture and the
//! Enhanced RTMP HEVC + Opus one become Annex B access units (keyframes self-contained),
//! ADTS frames, or the message data untouched, as asked.

use bytes::BytesMut;
use rtmp_proto::media::adts::adts_frames;
use rtmp_proto::media::annexb::{NalCodec, START_CODE, annex_b_nalus};
use rtmp_proto::media::asc::AudioSpecificConfig;
use rtmp_proto::media::depacketize::{
    AacFormat, Codec, Depacketizer, FrameFormat, NalFormat, ParsedFrame, Unpacked,
};
use rtmp_proto::media::flv::{FlvItem, FlvReader, FlvReaderConfig, FlvTag, FlvTagType};
use rtmp_proto::media::{AudioCodec, VideoCodec, VideoTag};

fn tags(name: &str) -> Vec<FlvTag> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut buf = BytesMut::from(&std::fs::read(path).unwrap()[..]);
    let mut r = FlvReader::new(FlvReaderConfig::default());
    let mut out = Vec::new();
    while let Some(item) = r.read(&mut buf).unwrap() {
        if let FlvItem::Tag(t) = item {
            out.push(t);
        }
    }
    out
}

fn unpack(name: &str, format: FrameFormat) -> Vec<Unpacked> {
    unpack_tags(&tags(name), format)
}

fn unpack_tags(tags: &[FlvTag], format: FrameFormat) -> Vec<Unpacked> {
    let mut d = Depacketizer::new(format);
    let mut out = Vec::new();
    for t in tags {
        let data = t.data.clone();
        match t.tag_type {
            FlvTagType::Video => d.video(t.timestamp, data, &mut out).unwrap(),
            FlvTagType::Audio => d.audio(t.timestamp, data, &mut out).unwrap(),
            _ => {}
        }
    }
    out
}

fn frames(items: &[Unpacked], codec: Codec) -> Vec<&ParsedFrame> {
    items
        .iter()
        .filter_map(|u| match u {
            Unpacked::Frame(f) if f.codec == codec => Some(f),
            _ => None,
        })
        .collect()
}

fn nal_types(codec: NalCodec, f: &ParsedFrame) -> Vec<u8> {
    assert!(f.data.starts_with(&START_CODE));
    annex_b_nalus(f.data.clone())
        .filter_map(|n| codec.nal_type(&n))
        .collect()
}

#[test]
fn h264_keyframes_carry_sps_and_pps_and_aac_gets_adts() {
    let items = unpack("legacy_h264_aac.flv", FrameFormat::default());
    let configs = items
        .iter()
        .filter(|u| matches!(u, Unpacked::Config { .. }))
        .count();
    assert_eq!(configs, 2, "one avcC, one AudioSpecificConfig");
    let video = frames(&items, Codec::Video(VideoCodec::Avc));
    let keys: Vec<_> = video.iter().filter(|f| f.keyframe).collect();
    assert!(!keys.is_empty() && video.len() > keys.len());
    for k in keys {
        let types = nal_types(NalCodec::Avc, k);
        assert!(
            types.contains(&7) && types.contains(&8) && types.contains(&5),
            "{types:?}"
        );
    }
    let asc = items
        .iter()
        .find_map(|u| match u {
            Unpacked::Config {
                codec: Codec::Audio(AudioCodec::Aac),
                data,
                ..
            } => Some(AudioSpecificConfig::parse(data.clone()).unwrap()),
            _ => None,
        })
        .unwrap();
    let audio = frames(&items, Codec::Audio(AudioCodec::Aac));
    assert!(audio.len() >= 4);
    for a in audio {
        let adts: Vec<_> = adts_frames(a.data.clone())
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(adts.len(), 1);
        let again = adts[0].0.audio_specific_config().unwrap();
        assert_eq!(again.sample_rate(), asc.sample_rate());
        assert_eq!(again.channels(), asc.channels());
    }
}

#[test]
fn length_prefixed_and_raw_are_the_message_data_untouched() {
    let format = FrameFormat {
        nal: NalFormat::LengthPrefixed,
        aac: AacFormat::Raw,
    };
    let all = tags("legacy_h264_aac.flv");
    let items = unpack_tags(&all, format);
    let video = frames(&items, Codec::Video(VideoCodec::Avc));
    // The AVC NALU messages (AVCPacketType 1).
    let originals: Vec<_> = all
        .iter()
        .filter(|t| t.tag_type == FlvTagType::Video && t.data.get(1) == Some(&1))
        .collect();
    assert_eq!(video.len(), originals.len());
    for (f, t) in video.iter().zip(&originals) {
        // Zero-copy: the frame is the message after its 5-byte header.
        assert_eq!(f.data, t.data.slice(5..));
        assert_eq!(f.data.as_ptr(), t.data[5..].as_ptr());
        assert_eq!(f.timestamp, t.timestamp);
    }
    for (f, t) in video.iter().zip(&originals) {
        let key = VideoTag::parse(t.data.clone()).unwrap().is_keyframe();
        assert_eq!(f.keyframe, key);
    }
}

#[test]
fn hevc_keyframes_carry_vps_sps_pps() {
    let items = unpack("ertmp_hevc_opus.flv", FrameFormat::default());
    let video = frames(&items, Codec::Video(VideoCodec::Hevc));
    let keys: Vec<_> = video.iter().filter(|f| f.keyframe).collect();
    assert!(!keys.is_empty());
    for k in keys {
        let types = nal_types(NalCodec::Hevc, k);
        assert_eq!(&types[..3], &[32, 33, 34], "{types:?}");
    }
    // Opus frames pass through as sent.
    assert!(!frames(&items, Codec::Audio(AudioCodec::Opus)).is_empty());
}

#[test]
fn frames_before_their_sequence_header_are_an_error_of_that_message_only() {
    let mut d = Depacketizer::new(FrameFormat::default());
    let mut out = Vec::new();
    let nalu = bytes::Bytes::from_static(&[0x17, 1, 0, 0, 0, 0, 0, 0, 1, 0x65]);
    assert!(d.video(0, nalu, &mut out).is_err());
    assert!(out.is_empty());
    assert!(
        d.video(0, bytes::Bytes::from_static(&[0x17]), &mut out)
            .is_err()
    );
}
