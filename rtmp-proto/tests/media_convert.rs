//! The bridge converters on real encoder output: the legacy H.264/AAC and the HEVC fixture
//! turned into Annex B and ADTS and back.

use bytes::{Bytes, BytesMut};
use rtmp_proto::media::adts::{adts_frames, to_adts};
use rtmp_proto::media::annexb::{
    NalCodec, START_CODE, annex_b_nalus, length_prefixed_nalus, to_annex_b, to_length_prefixed,
};
use rtmp_proto::media::asc::AudioSpecificConfig;
use rtmp_proto::media::avcc::AvcDecoderConfigurationRecord;
use rtmp_proto::media::flv::{FlvItem, FlvReader, FlvReaderConfig, FlvTag, FlvTagType};
use rtmp_proto::media::hvcc::HevcDecoderConfigurationRecord;
use rtmp_proto::media::*;

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

/// Converts one access unit both ways and checks the result.
fn check_access_unit(data: Bytes, key: bool, codec: NalCodec, len_size: u8, param_sets: &[Bytes]) {
    let mut annex_b = BytesMut::new();
    to_annex_b(data.clone(), len_size, codec, param_sets, &mut annex_b).unwrap();
    let annex_b = annex_b.freeze();
    let nalus: Vec<Bytes> = annex_b_nalus(annex_b.clone()).collect();
    let original: Vec<Bytes> = length_prefixed_nalus(data, len_size)
        .collect::<Result<_, _>>()
        .unwrap();
    if key {
        assert!(annex_b.starts_with(&START_CODE));
        assert_eq!(
            &nalus[..param_sets.len()],
            param_sets,
            "keyframe is self-contained"
        );
        assert_eq!(&nalus[param_sets.len()..], &original[..]);
    } else {
        assert_eq!(nalus, original);
    }
    let mut back = BytesMut::new();
    to_length_prefixed(annex_b, len_size, &mut back).unwrap();
    let back: Vec<Bytes> = length_prefixed_nalus(back.freeze(), len_size)
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(back, nalus);
}

#[test]
fn h264_to_annex_b_and_aac_to_adts() {
    let mut avcc = None;
    let mut asc = None;
    let (mut frames, mut aac_frames) = (0, 0);
    for t in tags("legacy_h264_aac.flv") {
        match t.tag_type {
            FlvTagType::Video => {
                let v = VideoTag::parse(t.data.clone()).unwrap();
                let key = v.is_keyframe();
                let VideoTag::Legacy(LegacyVideoTag {
                    body:
                        LegacyVideoBody::Avc {
                            packet_type, data, ..
                        },
                    ..
                }) = v
                else {
                    panic!("legacy AVC expected")
                };
                match packet_type {
                    AvcPacketType::SequenceHeader => {
                        avcc = Some(AvcDecoderConfigurationRecord::parse(data).unwrap())
                    }
                    AvcPacketType::Nalu => {
                        let rec = avcc.as_ref().unwrap();
                        let ps = rec.parameter_sets();
                        check_access_unit(data, key, NalCodec::Avc, rec.nal_length_size, &ps);
                        frames += 1;
                    }
                    _ => {}
                }
            }
            FlvTagType::Audio => {
                let AudioTag::Legacy(LegacyAudioTag {
                    body: LegacyAudioBody::Aac { packet_type, data },
                    ..
                }) = AudioTag::parse(t.data.clone()).unwrap()
                else {
                    panic!("legacy AAC expected")
                };
                if packet_type == AacPacketType::SequenceHeader {
                    asc = Some(AudioSpecificConfig::parse(data).unwrap());
                    continue;
                }
                let asc = asc.as_ref().unwrap();
                let mut adts = BytesMut::new();
                to_adts(asc, &data, &mut adts).unwrap();
                let back: Vec<_> = adts_frames(adts.freeze())
                    .collect::<Result<_, _>>()
                    .unwrap();
                assert_eq!(back.len(), 1);
                assert_eq!(back[0].1, data);
                // The config rebuilt from ADTS says the same (ADTS has no explicit rates).
                let again = back[0].0.audio_specific_config().unwrap();
                assert_eq!(
                    (again.object_type, again.sample_rate(), again.channels()),
                    (asc.object_type, asc.sample_rate(), asc.channels())
                );
                aac_frames += 1;
            }
            _ => {}
        }
    }
    assert!(
        frames >= 4 && aac_frames >= 4,
        "{frames} video, {aac_frames} audio"
    );
}

#[test]
fn hevc_to_annex_b_with_vps_sps_pps() {
    let mut hvcc = None;
    let mut keys = 0;
    for t in tags("ertmp_hevc_opus.flv") {
        if t.tag_type != FlvTagType::Video {
            continue;
        }
        let v = VideoTag::parse(t.data.clone()).unwrap();
        let key = v.is_keyframe();
        let VideoTag::Enhanced(ExVideoTag {
            body: ExVideoBody::Single { packet, .. },
            ..
        }) = v
        else {
            panic!("single-track hvc1 expected")
        };
        match packet {
            VideoPacket::SequenceStart(d) => {
                hvcc = Some(HevcDecoderConfigurationRecord::parse(d).unwrap())
            }
            VideoPacket::CodedFrames { data, .. } | VideoPacket::CodedFramesX(data) => {
                let rec = hvcc.as_ref().unwrap();
                let ps = rec.parameter_sets();
                assert_eq!(
                    ps.iter()
                        .map(|p| NalCodec::Hevc.nal_type(p))
                        .collect::<Vec<_>>(),
                    [Some(32), Some(33), Some(34)]
                );
                check_access_unit(data, key, NalCodec::Hevc, rec.nal_length_size, &ps);
                keys += usize::from(key);
            }
            _ => {}
        }
    }
    assert!(keys >= 1);
}

#[test]
fn hvcc_from_parameter_sets_matches_ffmpeg() {
    let t = tags("ertmp_hevc_opus.flv")
        .into_iter()
        .find(|t| t.tag_type == FlvTagType::Video)
        .unwrap();
    let VideoTag::Enhanced(ExVideoTag {
        body:
            ExVideoBody::Single {
                packet: VideoPacket::SequenceStart(d),
                ..
            },
        ..
    }) = VideoTag::parse(t.data).unwrap()
    else {
        panic!("hvc1 SequenceStart expected")
    };
    let ffmpeg = HevcDecoderConfigurationRecord::parse(d).unwrap();
    let one = |t: u8| ffmpeg.nalus_of_type(t).next().unwrap().clone();
    let ours =
        HevcDecoderConfigurationRecord::from_parameter_sets(one(32), one(33), one(34)).unwrap();
    // The fields that come from the SPS agree with ffmpeg's record.
    let sps_fields = |r: &HevcDecoderConfigurationRecord| {
        (
            r.profile_space,
            r.tier,
            r.profile_idc,
            r.profile_compatibility,
            r.constraint_flags,
            r.level_idc,
            r.chroma_format,
            r.bit_depth_luma_minus8,
            r.bit_depth_chroma_minus8,
            r.num_temporal_layers,
            r.temporal_id_nested,
            r.nal_length_size,
        )
    };
    assert_eq!(sps_fields(&ours), sps_fields(&ffmpeg));
    assert_eq!(ours.parameter_sets(), ffmpeg.parameter_sets());
    let again = HevcDecoderConfigurationRecord::parse(ours.to_bytes().unwrap()).unwrap();
    assert_eq!(again, ours);
    // And the avcC equivalent on the H.264 fixture.
    let t = tags("legacy_h264_aac.flv")
        .into_iter()
        .find(|t| t.tag_type == FlvTagType::Video)
        .unwrap();
    let VideoTag::Legacy(LegacyVideoTag {
        body: LegacyVideoBody::Avc { data, .. },
        ..
    }) = VideoTag::parse(t.data).unwrap()
    else {
        panic!()
    };
    let x264 = AvcDecoderConfigurationRecord::parse(data).unwrap();
    let ours = AvcDecoderConfigurationRecord::from_parameter_sets(
        x264.sps[0].clone(),
        x264.pps[0].clone(),
    )
    .unwrap();
    assert_eq!(
        (
            ours.profile,
            ours.compatibility,
            ours.level,
            &ours.sps,
            &ours.pps
        ),
        (
            x264.profile,
            x264.compatibility,
            x264.level,
            &x264.sps,
            &x264.pps
        )
    );
}
