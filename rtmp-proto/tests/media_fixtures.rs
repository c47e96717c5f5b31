//! Every tag of every ffmpeg-made fixture (see `scripts/make-media-fixtures.sh`) parses,
//! classifies as the encoder meant it, and re-encodes byte-identical; the FLV files
//! themselves re-encode byte-identical through the reader and writer.

use bytes::{Bytes, BytesMut};
use rtmp_proto::media::asc::AudioSpecificConfig;
use rtmp_proto::media::avcc::AvcDecoderConfigurationRecord;
use rtmp_proto::media::flv::{FlvHeader, FlvItem, FlvReader, FlvReaderConfig, FlvTag, FlvTagType};
use rtmp_proto::media::hvcc::HevcDecoderConfigurationRecord;
use rtmp_proto::media::*;

fn load(name: &str) -> (FlvHeader, Vec<FlvTag>) {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut config = FlvReaderConfig::default();
    config.strict_previous_tag_size = true;
    let mut reader = FlvReader::new(config);
    let mut buf = BytesMut::from(&file[..]);
    let mut header = None;
    let mut tags = Vec::new();
    while let Some(item) = reader.read(&mut buf).unwrap() {
        match item {
            FlvItem::Header(h) => header = Some(h),
            FlvItem::Tag(t) => tags.push(t),
            _ => unreachable!(),
        }
    }
    reader.finish(&buf).unwrap();
    let header = header.unwrap();

    // The writer reproduces the file exactly.
    let mut out = BytesMut::new();
    header.write_to(&mut out);
    for t in &tags {
        t.write_to(&mut out).unwrap();
    }
    assert_eq!(&out[..], &file[..], "{name}: FLV rewrite differs");
    (header, tags)
}

/// Parsed media tags with their timestamps.
type Parsed<T> = Vec<(u32, T)>;

/// Parses and re-encodes every media tag; returns them parsed.
fn parse_all(name: &str) -> (Parsed<VideoTag>, Parsed<AudioTag>) {
    let (_, tags) = load(name);
    let mut video = Vec::new();
    let mut audio = Vec::new();
    for (i, t) in tags.iter().enumerate() {
        match t.tag_type {
            FlvTagType::Video => {
                let v = VideoTag::parse(t.data.clone())
                    .unwrap_or_else(|e| panic!("{name} tag {i}: {e}"));
                assert_eq!(
                    v.to_bytes().unwrap(),
                    t.data,
                    "{name} tag {i}: video rebuild"
                );
                video.push((t.timestamp, v));
            }
            FlvTagType::Audio => {
                let a = AudioTag::parse(t.data.clone())
                    .unwrap_or_else(|e| panic!("{name} tag {i}: {e}"));
                assert_eq!(
                    a.to_bytes().unwrap(),
                    t.data,
                    "{name} tag {i}: audio rebuild"
                );
                audio.push((t.timestamp, a));
            }
            FlvTagType::Script => assert!(t.data.starts_with(b"\x02\x00\x0aonMetaData")),
            other => panic!("{name}: unexpected tag type {other:?}"),
        }
    }
    assert!(!video.is_empty() || !audio.is_empty());
    (video, audio)
}

fn seq_start_video(tag: &VideoTag) -> Bytes {
    match tag {
        VideoTag::Legacy(LegacyVideoTag {
            body:
                LegacyVideoBody::Avc {
                    packet_type: AvcPacketType::SequenceHeader,
                    data,
                    ..
                },
            ..
        }) => data.clone(),
        VideoTag::Enhanced(ExVideoTag {
            body:
                ExVideoBody::Single {
                    packet: VideoPacket::SequenceStart(d),
                    ..
                },
            ..
        }) => d.clone(),
        other => panic!("not a sequence start: {other:?}"),
    }
}

#[test]
fn legacy_h264_aac_ffmpeg_5_1() {
    let (video, audio) = parse_all("legacy_h264_aac.flv");
    assert!(
        video
            .iter()
            .all(|(_, v)| v.codec() == Some(VideoCodec::Avc))
    );
    assert!(
        audio
            .iter()
            .all(|(_, a)| a.codec() == Some(AudioCodec::Aac))
    );
    let first = &video[0].1;
    assert!(first.is_sequence_header() && !first.is_keyframe());
    let avcc = AvcDecoderConfigurationRecord::parse(seq_start_video(first)).unwrap();
    assert_eq!(
        (avcc.nal_length_size, avcc.sps.len(), avcc.pps.len()),
        (4, 1, 1)
    );
    assert_eq!(avcc.to_bytes().unwrap(), seq_start_video(first));
    assert!(video[1].1.is_keyframe());
    assert!(video.last().unwrap().1.is_sequence_end());
    // B-frames: some composition time offset is non-zero.
    assert!(video.iter().any(|(_, v)| matches!(
        v,
        VideoTag::Legacy(LegacyVideoTag {
            body: LegacyVideoBody::Avc { composition_time, .. },
            ..
        }) if *composition_time > 0
    )));
    assert!(audio[0].1.is_sequence_header());
    let AudioTag::Legacy(LegacyAudioTag {
        body: LegacyAudioBody::Aac { data, .. },
        ..
    }) = &audio[0].1
    else {
        panic!("legacy AAC expected")
    };
    let asc = AudioSpecificConfig::parse(data.clone()).unwrap();
    assert_eq!(
        (asc.object_type, asc.sample_rate(), asc.channels()),
        (2, Some(22050), Some(1))
    );
    assert!(audio[1..].iter().all(|(_, a)| !a.is_sequence_header()));
}

#[test]
fn ertmp_hevc_opus() {
    let (video, audio) = parse_all("ertmp_hevc_opus.flv");
    assert!(
        video
            .iter()
            .all(|(_, v)| v.codec() == Some(VideoCodec::Hevc))
    );
    assert!(
        audio
            .iter()
            .all(|(_, a)| a.codec() == Some(AudioCodec::Opus))
    );
    let hvcc = HevcDecoderConfigurationRecord::parse(seq_start_video(&video[0].1)).unwrap();
    assert_eq!(hvcc.to_bytes().unwrap(), seq_start_video(&video[0].1));
    assert_eq!(hvcc.parameter_sets().len(), 3, "VPS, SPS, PPS");
    assert_eq!(hvcc.profile_idc, 1, "Main");
    // ffmpeg sends colorInfo as a Metadata packet with frame type Command.
    assert!(
        video.iter().any(|(_, v)| v.is_metadata()
            && v.frame_type() == FrameType::Command
            && !v.is_command())
    );
    assert!(video.iter().any(|(_, v)| v.is_keyframe()));
    assert!(video.iter().any(|(_, v)| matches!(
        v,
        VideoTag::Enhanced(ExVideoTag {
            body: ExVideoBody::Single {
                packet: VideoPacket::CodedFrames { composition_time, .. },
                ..
            },
            ..
        }) if *composition_time != 0
    )));
    assert!(audio[0].1.is_sequence_header());
    assert!(audio.iter().any(|(_, a)| matches!(
        a,
        AudioTag::Enhanced(ExAudioTag {
            body: ExAudioBody::Single {
                packet: AudioPacket::MultichannelConfig(MultichannelConfig {
                    channel_count: 1,
                    ..
                }),
                ..
            },
            ..
        })
    ) && a.is_config()));
}

#[test]
fn ertmp_av1_flac() {
    let (video, audio) = parse_all("ertmp_av1_flac.flv");
    assert!(
        video
            .iter()
            .all(|(_, v)| v.codec() == Some(VideoCodec::Av1))
    );
    assert!(
        audio
            .iter()
            .all(|(_, a)| a.codec() == Some(AudioCodec::Flac))
    );
    assert!(video.iter().any(|(_, v)| v.is_sequence_header()));
    assert!(video.iter().any(|(_, v)| v.is_keyframe()));
    // av01 CodedFrames carry no composition time: the data starts right after the FourCC.
    for (_, v) in &video {
        if let VideoTag::Enhanced(ExVideoTag {
            body:
                ExVideoBody::Single {
                    packet:
                        VideoPacket::CodedFrames {
                            composition_time, ..
                        },
                    ..
                },
            ..
        }) = v
        {
            assert_eq!(*composition_time, 0);
        }
    }
    assert!(audio.iter().any(|(_, a)| a.is_sequence_header()));
}

#[test]
fn ertmp_vp9_ac3() {
    let (video, audio) = parse_all("ertmp_vp9_ac3.flv");
    assert!(
        video
            .iter()
            .all(|(_, v)| v.codec() == Some(VideoCodec::Vp9))
    );
    assert!(
        audio
            .iter()
            .all(|(_, a)| a.codec() == Some(AudioCodec::Ac3))
    );
    assert!(video[0].1.is_sequence_header());
    assert_eq!(video.iter().filter(|(_, v)| v.is_keyframe()).count(), 1);
    assert!(video.iter().any(|(_, v)| v.is_metadata()));
}

#[test]
fn ertmp_multitrack_avc_aac() {
    let (video, audio) = parse_all("ertmp_multitrack_avc_aac.flv");
    let ids = |v: Vec<u8>| {
        let mut v = v;
        v.sort();
        v.dedup();
        v
    };
    let vids = ids(video
        .iter()
        .flat_map(|(_, v)| v.tracks().map(|t| t.track_id))
        .collect());
    let aids = ids(audio
        .iter()
        .flat_map(|(_, a)| a.tracks().map(|t| t.track_id))
        .collect());
    assert_eq!((vids, aids), (vec![0, 1], vec![0, 1]));
    for (_, v) in &video {
        assert!(v.tracks().all(|t| t.codec == Some(VideoCodec::Avc)));
    }
    // Both tracks get a sequence header, and track 1's comes as Multitrack/OneTrack avc1.
    let track1_seq = video
        .iter()
        .find(|(_, v)| v.is_sequence_header() && v.tracks().any(|t| t.track_id == 1));
    match track1_seq.map(|(_, v)| v) {
        Some(VideoTag::Enhanced(ExVideoTag {
            body: ExVideoBody::Multitrack { kind, tracks },
            ..
        })) => {
            assert_eq!(*kind, MultitrackType::OneTrack);
            let VideoPacket::SequenceStart(d) = &tracks[0].packet else {
                panic!()
            };
            AvcDecoderConfigurationRecord::parse(d.clone()).unwrap();
        }
        other => panic!("track 1 sequence header: {other:?}"),
    }
    assert!(
        video
            .iter()
            .any(|(_, v)| v.is_keyframe() && v.tracks().any(|t| t.track_id == 1))
    );
    assert!(audio.iter().any(|(_, a)| {
        a.is_config()
            && a.tracks()
                .any(|t| t.track_id == 1 && t.kind == PacketKind::MultichannelConfig)
    }));
}
