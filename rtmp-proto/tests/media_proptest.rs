//! Property tests: build → parse is the identity for every media header, configuration
//! record and converter; arbitrary bytes never panic any parser.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rtmp_proto::media::adts::{AdtsHeader, adts_frames, to_adts};
use rtmp_proto::media::annexb::{annex_b_nalus, length_prefixed_nalus, to_length_prefixed};
use rtmp_proto::media::asc::{AudioSpecificConfig, SamplingFrequency};
use rtmp_proto::media::avcc::AvcDecoderConfigurationRecord;
use rtmp_proto::media::flv::{FlvHeader, FlvItem, FlvReader, FlvReaderConfig, FlvTag, FlvTagType};
use rtmp_proto::media::hvcc::{HevcDecoderConfigurationRecord, HvccArray};
use rtmp_proto::media::*;

fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..max).prop_map(Bytes::from)
}

fn frame_type() -> impl Strategy<Value = FrameType> {
    prop_oneof![
        Just(FrameType::Key),
        Just(FrameType::Inter),
        Just(FrameType::Disposable),
        Just(FrameType::GeneratedKey),
        Just(FrameType::Command),
        prop_oneof![Just(0u8), Just(6), Just(7)].prop_map(FrameType::Reserved),
    ]
}

fn mod_ex() -> impl Strategy<Value = Vec<ModEx>> {
    prop::collection::vec(
        (
            prop_oneof![
                Just(ModExType::TimestampOffsetNano),
                (1u8..16).prop_map(ModExType::Other)
            ],
            prop::collection::vec(any::<u8>(), 1..300).prop_map(Bytes::from),
        )
            .prop_map(|(kind, data)| ModEx { kind, data }),
        0..3,
    )
}

fn video_fourcc() -> impl Strategy<Value = VideoFourCc> {
    prop::sample::select(VideoFourCc::ALL.to_vec())
}

fn audio_fourcc() -> impl Strategy<Value = AudioFourCc> {
    prop::sample::select(AudioFourCc::ALL.to_vec())
}

/// A video packet of type `t` (0..=5) that is canonical for `fourcc`.
fn video_packet(t: u8, fourcc: VideoFourCc, cto: i32, data: Bytes) -> VideoPacket {
    match t {
        0 => VideoPacket::SequenceStart(data),
        1 => VideoPacket::CodedFrames {
            composition_time: if fourcc.has_composition_time() {
                cto
            } else {
                0
            },
            data,
        },
        2 => VideoPacket::SequenceEnd,
        3 => VideoPacket::CodedFramesX(data),
        4 => VideoPacket::Metadata(data),
        _ => VideoPacket::Mpeg2TsSequenceStart(data),
    }
}

fn cto() -> impl Strategy<Value = i32> {
    -(1i32 << 23)..(1i32 << 23)
}

fn legacy_video() -> impl Strategy<Value = VideoTag> {
    (frame_type(), 0u8..16, 0u8..3, cto(), bytes(64), any::<u8>()).prop_map(
        |(frame_type, codec_id, pt, composition_time, data, cmd)| {
            let body = if frame_type == FrameType::Command {
                LegacyVideoBody::Command(VideoCommand(cmd))
            } else if codec_id == CODEC_ID_AVC || codec_id == CODEC_ID_HEVC {
                LegacyVideoBody::Avc {
                    packet_type: [
                        AvcPacketType::SequenceHeader,
                        AvcPacketType::Nalu,
                        AvcPacketType::EndOfSequence,
                    ][usize::from(pt)],
                    composition_time,
                    data,
                }
            } else {
                LegacyVideoBody::Opaque(data)
            };
            VideoTag::Legacy(LegacyVideoTag {
                frame_type,
                codec_id,
                body,
            })
        },
    )
}

fn ex_video() -> impl Strategy<Value = VideoTag> {
    let tracks = (
        0u8..3,
        0u8..6,
        video_fourcc(),
        prop::collection::vec((any::<u8>(), video_fourcc(), cto(), bytes(32)), 1..4),
    )
        .prop_map(|(kind, t, shared, raw)| {
            let kind = [
                MultitrackType::OneTrack,
                MultitrackType::ManyTracks,
                MultitrackType::ManyTracksManyCodecs,
            ][usize::from(kind)];
            let n = if kind == MultitrackType::OneTrack {
                1
            } else {
                raw.len()
            };
            let tracks = raw
                .into_iter()
                .take(n)
                .map(|(track_id, own, cto, data)| {
                    let codec = if kind == MultitrackType::ManyTracksManyCodecs {
                        own
                    } else {
                        shared
                    };
                    Track {
                        track_id,
                        codec,
                        packet: video_packet(t, codec, cto, data),
                    }
                })
                .collect();
            ExVideoBody::Multitrack { kind, tracks }
        });
    let single = (0u8..6, video_fourcc(), cto(), bytes(64)).prop_map(|(t, fourcc, cto, data)| {
        ExVideoBody::Single {
            fourcc,
            packet: video_packet(t, fourcc, cto, data),
        }
    });
    let command =
        (prop_oneof![0u8..4, 5u8..7], any::<u8>()).prop_map(|(t, c)| ExVideoBody::Command {
            packet_type: VideoPacketType::from_u8(t).unwrap(),
            command: VideoCommand(c),
        });
    (frame_type(), mod_ex(), prop_oneof![single, tracks, command]).prop_map(
        |(frame_type, mod_ex, body)| {
            // Frame type Command means a command unless the packet is Metadata.
            let is_metadata = match &body {
                ExVideoBody::Single { packet, .. } => {
                    packet.packet_type() == VideoPacketType::Metadata
                }
                _ => false,
            };
            let frame_type = match (&body, frame_type) {
                (ExVideoBody::Command { .. }, _) => FrameType::Command,
                (_, FrameType::Command) if !is_metadata => FrameType::Key,
                (_, f) => f,
            };
            VideoTag::Enhanced(ExVideoTag {
                frame_type,
                mod_ex,
                body,
            })
        },
    )
}

fn audio_packet(t: u8, data: Bytes, order: u8, flags: u32) -> AudioPacket {
    match t {
        0 => AudioPacket::SequenceStart(data),
        1 => AudioPacket::CodedFrames(data),
        2 => AudioPacket::SequenceEnd,
        _ => {
            let channel_count = data.len() as u8;
            AudioPacket::MultichannelConfig(MultichannelConfig {
                channel_count,
                order: match order {
                    0 => ChannelOrder::Unspecified,
                    1 => ChannelOrder::Native(flags),
                    _ => ChannelOrder::Custom(data),
                },
            })
        }
    }
}

fn legacy_audio() -> impl Strategy<Value = AudioTag> {
    (
        prop_oneof![0u8..9, 10u8..16],
        0u8..4,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        bytes(64),
    )
        .prop_map(|(format, rate, sixteen_bit, stereo, seq, data)| {
            let body = if format == SOUND_FORMAT_AAC {
                LegacyAudioBody::Aac {
                    packet_type: if seq {
                        AacPacketType::SequenceHeader
                    } else {
                        AacPacketType::Raw
                    },
                    data,
                }
            } else {
                LegacyAudioBody::Opaque(data)
            };
            AudioTag::Legacy(LegacyAudioTag {
                format,
                rate: [
                    SoundRate::Khz5_5,
                    SoundRate::Khz11,
                    SoundRate::Khz22,
                    SoundRate::Khz44,
                ][usize::from(rate)],
                sixteen_bit,
                stereo,
                body,
            })
        })
}

fn ex_audio() -> impl Strategy<Value = AudioTag> {
    let single = (0u8..4, audio_fourcc(), bytes(48), 0u8..3, any::<u32>()).prop_map(
        |(t, fourcc, data, order, flags)| ExAudioBody::Single {
            fourcc,
            packet: audio_packet(t, data, order, flags),
        },
    );
    let tracks = (
        0u8..3,
        0u8..4,
        audio_fourcc(),
        0u8..3,
        prop::collection::vec((any::<u8>(), audio_fourcc(), bytes(24), any::<u32>()), 1..4),
    )
        .prop_map(|(kind, t, shared, order, raw)| {
            let kind = [
                MultitrackType::OneTrack,
                MultitrackType::ManyTracks,
                MultitrackType::ManyTracksManyCodecs,
            ][usize::from(kind)];
            let n = if kind == MultitrackType::OneTrack {
                1
            } else {
                raw.len()
            };
            let tracks = raw
                .into_iter()
                .take(n)
                .map(|(track_id, own, data, flags)| Track {
                    track_id,
                    codec: if kind == MultitrackType::ManyTracksManyCodecs {
                        own
                    } else {
                        shared
                    },
                    packet: audio_packet(t, data, order, flags),
                })
                .collect();
            ExAudioBody::Multitrack { kind, tracks }
        });
    (mod_ex(), prop_oneof![single, tracks])
        .prop_map(|(mod_ex, body)| AudioTag::Enhanced(ExAudioTag { mod_ex, body }))
}

proptest! {
    #[test]
    fn video_build_parse_roundtrip(tag in prop_oneof![legacy_video(), ex_video()]) {
        let wire = tag.to_bytes().unwrap();
        prop_assert_eq!(VideoTag::parse(wire.clone()).unwrap(), tag.clone());
        // And the parsed form rebuilds byte-identical.
        prop_assert_eq!(VideoTag::parse(wire.clone()).unwrap().to_bytes().unwrap(), wire);
    }

    #[test]
    fn audio_build_parse_roundtrip(tag in prop_oneof![legacy_audio(), ex_audio()]) {
        let wire = tag.to_bytes().unwrap();
        prop_assert_eq!(AudioTag::parse(wire).unwrap(), tag);
    }

    #[test]
    fn arbitrary_payloads_never_panic(data in bytes(96)) {
        // Whatever parses can be rebuilt.
        if let Ok(v) = VideoTag::parse(data.clone()) { v.to_bytes().unwrap(); }
        if let Ok(a) = AudioTag::parse(data.clone()) { a.to_bytes().unwrap(); }
        let _ = AvcDecoderConfigurationRecord::parse(data.clone());
        let _ = HevcDecoderConfigurationRecord::parse(data.clone());
        let mut sps = vec![0x42, 0x01];
        sps.extend_from_slice(&data);
        let _ = HevcDecoderConfigurationRecord::from_parameter_sets(Bytes::new(), sps.into(), Bytes::new());
        let _ = AudioSpecificConfig::parse(data.clone());
        let _ = adts_frames(data.clone()).count();
        let _ = annex_b_nalus(data.clone()).count();
        for n in [1u8, 2, 3, 4] { let _ = length_prefixed_nalus(data.clone(), n).count(); }
        let mut r = FlvReader::new(FlvReaderConfig::default());
        let mut buf = BytesMut::from(&b"FLV\x01\x05\x00\x00\x00\x09"[..]);
        buf.extend_from_slice(&data);
        while let Ok(Some(_)) = r.read(&mut buf) {}
    }

    #[test]
    fn avcc_roundtrip(
        profile in any::<u8>(), compatibility in any::<u8>(), level in any::<u8>(),
        len in prop::sample::select(vec![1u8, 2, 4]),
        sps in prop::collection::vec(bytes(40), 0..3),
        pps in prop::collection::vec(bytes(20), 0..3),
        extension in bytes(8),
    ) {
        let rec = AvcDecoderConfigurationRecord {
            version: 1, profile, compatibility, level, nal_length_size: len, sps, pps, extension,
        };
        prop_assert_eq!(AvcDecoderConfigurationRecord::parse(rec.to_bytes().unwrap()).unwrap(), rec);
    }

    #[test]
    fn hvcc_roundtrip(
        fields in (0u8..4, any::<bool>(), 0u8..32, any::<u32>(), 0u64..1 << 48, any::<u8>()),
        more in (0u16..4096, 0u8..4, 0u8..4, 0u8..8, 0u8..8, any::<u16>(), 0u8..4, 0u8..8, any::<bool>()),
        len in prop::sample::select(vec![1u8, 2, 4]),
        arrays in prop::collection::vec((any::<bool>(), 0u8..64, prop::collection::vec(bytes(24), 0..3)), 0..4),
    ) {
        let rec = HevcDecoderConfigurationRecord {
            version: 1,
            profile_space: fields.0, tier: fields.1, profile_idc: fields.2,
            profile_compatibility: fields.3, constraint_flags: fields.4, level_idc: fields.5,
            min_spatial_segmentation: more.0, parallelism_type: more.1, chroma_format: more.2,
            bit_depth_luma_minus8: more.3, bit_depth_chroma_minus8: more.4,
            avg_frame_rate: more.5, constant_frame_rate: more.6, num_temporal_layers: more.7,
            temporal_id_nested: more.8, nal_length_size: len,
            arrays: arrays.into_iter().map(|(complete, nal_type, nalus)| HvccArray { complete, nal_type, nalus }).collect(),
        };
        prop_assert_eq!(HevcDecoderConfigurationRecord::parse(rec.to_bytes().unwrap()).unwrap(), rec);
    }

    #[test]
    fn asc_and_adts_roundtrip(ot in 1u8..5, index in 0u8..13, ch in 0u8..8, raw in bytes(200)) {
        let asc = AudioSpecificConfig::new(ot, SamplingFrequency::Index(index), ch).unwrap();
        prop_assert_eq!(AudioSpecificConfig::parse(asc.as_bytes().clone()).unwrap(), asc.clone());
        let mut out = BytesMut::new();
        to_adts(&asc, &raw, &mut out).unwrap();
        to_adts(&asc, &raw, &mut out).unwrap();
        let frames: Vec<(AdtsHeader, Bytes)> = adts_frames(out.freeze()).collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(frames.len(), 2);
        prop_assert_eq!(&frames[1].1, &raw);
        prop_assert_eq!(frames[0].0.audio_specific_config().unwrap(), asc);
    }

    #[test]
    fn asc_escape_value_is_not_an_object_type(hz in 1u32..96000) {
        prop_assert!(AudioSpecificConfig::new(31, SamplingFrequency::Explicit(hz), 2).is_err());
    }

    #[test]
    fn asc_explicit_rates(ot in prop_oneof![1u8..31, 32u8..96], hz in 1u32..(1 << 24), ch in 0u8..16) {
        let asc = AudioSpecificConfig::new(ot, SamplingFrequency::Explicit(hz), ch).unwrap();
        let back = AudioSpecificConfig::parse(asc.as_bytes().clone()).unwrap();
        prop_assert_eq!((back.object_type, back.sample_rate(), back.channel_config), (ot, Some(hz), ch));
    }

    #[test]
    fn annex_b_roundtrip(
        nalus in prop::collection::vec(prop::collection::vec(1u8..=255, 1..50), 1..5),
        len in prop::sample::select(vec![2u8, 4]),
    ) {
        let mut annex_b = BytesMut::new();
        for n in &nalus { annex_b.extend_from_slice(&[0, 0, 0, 1]); annex_b.extend_from_slice(n); }
        let mut lp = BytesMut::new();
        to_length_prefixed(annex_b.freeze(), len, &mut lp).unwrap();
        let back: Vec<Vec<u8>> = length_prefixed_nalus(lp.freeze(), len).map(|n| n.unwrap().to_vec()).collect();
        prop_assert_eq!(back, nalus);
    }

    #[test]
    fn flv_tag_roundtrip(
        tags in prop::collection::vec((prop_oneof![Just(8u8), Just(9), Just(18), 0u8..32], any::<u32>(), 0u32..1 << 24, bytes(64)), 0..5),
        split in 1usize..40,
    ) {
        let tags: Vec<FlvTag> = tags.into_iter().map(|(t, timestamp, stream_id, data)| FlvTag {
            tag_type: FlvTagType::from_u8(t), timestamp, stream_id, data,
        }).collect();
        let mut file = BytesMut::new();
        FlvHeader::new(true, true).write_to(&mut file);
        for t in &tags { t.write_to(&mut file).unwrap(); }
        let mut config = FlvReaderConfig::default();
        config.strict_previous_tag_size = true;
        let mut r = FlvReader::new(config);
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for piece in file.chunks(split) {
            buf.extend_from_slice(piece);
            while let Some(item) = r.read(&mut buf).unwrap() {
                if let FlvItem::Tag(t) = item { got.push(t); }
            }
        }
        r.finish(&buf).unwrap();
        prop_assert_eq!(got, tags);
    }
}
