//! E-RTMP capability negotiation (RTMP-NOTES item 24), the reconnect request (item 25) and
//! codec ids in onMetaData (item 26), through AMF0 bytes as they travel.

use bytes::{Bytes, BytesMut};
use rtmp_proto::amf::{DecodeLimits, Value, amf0};
use rtmp_proto::amf_object;
use rtmp_proto::media::caps::*;
use rtmp_proto::media::flv::{FlvItem, FlvReader, FlvReaderConfig, FlvTagType};
use rtmp_proto::media::metadata::*;
use rtmp_proto::media::*;

fn through_amf0(v: &Value) -> Value {
    let mut out = BytesMut::new();
    amf0::encode(v, &mut out);
    amf0::decode_all(&out.freeze(), &DecodeLimits::default())
        .unwrap()
        .remove(0)
}

fn cc(s: &[u8; 4]) -> CodecKey {
    CodecKey::FourCc(FourCc(*s))
}

/// What OBS 30 sends (shape taken from the E-RTMP v2 spec examples).
fn obs_connect() -> Value {
    amf_object! {
        "app" => "live",
        "tcUrl" => "rtmp://example.invalid/live",
        "fourCcList" => Value::strict_array(["av01", "vp09", "hvc1"]),
        "videoFourCcInfoMap" => amf_object! { "av01" => 2.0, "hvc1" => 2.0, "avc1" => 2.0 },
        "audioFourCcInfoMap" => amf_object! { "Opus" => 2.0, "mp4a" => 2.0, "bogus-key" => 1.0 },
        "capsEx" => 3.0,
    }
}

fn server_caps() -> EnhancedCaps {
    EnhancedCaps {
        fourcc_list: vec![CodecKey::Any],
        video: vec![
            (cc(b"hvc1"), FourCcCaps::FORWARD),
            (cc(b"av01"), FourCcCaps::FORWARD),
            (cc(b"vp09"), FourCcCaps::FORWARD),
        ],
        audio: vec![(CodecKey::Any, FourCcCaps::FORWARD)],
        caps_ex: CapsEx::RECONNECT | CapsEx::MOD_EX,
    }
}

#[test]
fn item_24_parse_client_caps() {
    let caps = EnhancedCaps::from_object(&through_amf0(&obs_connect())).unwrap();
    assert_eq!(caps.fourcc_list, [cc(b"av01"), cc(b"vp09"), cc(b"hvc1")]);
    assert_eq!(caps.video.len(), 3);
    assert_eq!(
        caps.audio,
        [
            (cc(b"Opus"), FourCcCaps::ENCODE),
            (cc(b"mp4a"), FourCcCaps::ENCODE)
        ]
    );
    assert_eq!(caps.caps_ex, CapsEx::RECONNECT | CapsEx::MULTITRACK);
    assert_eq!(caps.video_caps(FourCc(*b"hvc1")), Some(FourCcCaps::ENCODE));
    // vp09 is only in the fourCcList: counts as fully supported.
    assert_eq!(caps.video_caps(FourCc(*b"vp09")), Some(FourCcCaps::ALL));
    assert_eq!(caps.video_caps(FourCc(*b"vp08")), None);
    // A legacy connect object has no E-RTMP caps.
    assert_eq!(
        EnhancedCaps::from_object(&amf_object! { "app" => "live" }),
        None
    );
}

#[test]
fn item_24_server_policy_and_intersection() {
    let client = through_amf0(&obs_connect());
    let ours = server_caps();
    let Negotiation::Enhanced(answer) = EnhancedPolicy::Auto.negotiate(&ours, &client) else {
        panic!("E-RTMP client under Auto")
    };
    // Codecs both list; masks are the server's; capsEx bits both have.
    assert_eq!(answer.fourcc_list, [cc(b"av01"), cc(b"vp09"), cc(b"hvc1")]);
    assert_eq!(
        answer.video,
        [
            (cc(b"hvc1"), FourCcCaps::FORWARD),
            (cc(b"av01"), FourCcCaps::FORWARD)
        ]
    );
    assert_eq!(
        answer.audio,
        [
            (cc(b"Opus"), FourCcCaps::FORWARD),
            (cc(b"mp4a"), FourCcCaps::FORWARD)
        ]
    );
    assert_eq!(answer.caps_ex, CapsEx::RECONNECT);

    // The `_result` properties carry it, and the client reads the same thing back.
    let props = Value::object(answer.to_properties());
    assert_eq!(
        EnhancedCaps::from_object(&through_amf0(&props)),
        Some(answer.clone())
    );
    assert_eq!(props.get("capsEx").and_then(Value::as_f64), Some(1.0));

    let legacy = amf_object! { "app" => "live" };
    assert_eq!(
        EnhancedPolicy::Auto.negotiate(&ours, &legacy),
        Negotiation::Legacy
    );
    assert_eq!(
        EnhancedPolicy::LegacyOnly.negotiate(&ours, &client),
        Negotiation::Legacy
    );
    assert_eq!(
        EnhancedPolicy::EnhancedOnly.negotiate(&ours, &legacy),
        Negotiation::Refuse
    );
    assert!(matches!(
        EnhancedPolicy::EnhancedOnly.negotiate(&ours, &client),
        Negotiation::Enhanced(_)
    ));
}

#[test]
fn item_24_client_advertisement_round_trip() {
    let mine = EnhancedCaps {
        fourcc_list: vec![cc(b"hvc1"), cc(b"av01"), cc(b"Opus")],
        video: vec![(cc(b"hvc1"), FourCcCaps::ENCODE | FourCcCaps::DECODE)],
        audio: vec![(cc(b"Opus"), FourCcCaps::ENCODE)],
        caps_ex: CapsEx::RECONNECT | CapsEx::MULTITRACK | CapsEx::TIMESTAMP_NANO_OFFSET,
    };
    let mut connect = vec![
        ("app".into(), Value::from("live")),
        ("flashVer".into(), Value::from("FMLE/3.0")),
    ];
    connect.extend(mine.to_properties());
    let connect = through_amf0(&Value::object(connect));
    assert_eq!(EnhancedCaps::from_object(&connect), Some(mine));
    // Wildcards survive only when both sides send them.
    let any = EnhancedCaps {
        video: vec![(CodecKey::Any, FourCcCaps::ALL)],
        ..Default::default()
    };
    let one = EnhancedCaps {
        video: vec![(cc(b"vp09"), FourCcCaps::DECODE)],
        ..Default::default()
    };
    assert_eq!(any.intersect(&one).video, [(cc(b"vp09"), FourCcCaps::ALL)]);
    assert_eq!(
        one.intersect(&any).video,
        [(cc(b"vp09"), FourCcCaps::DECODE)]
    );
    assert_eq!(
        any.intersect(&any).video,
        [(CodecKey::Any, FourCcCaps::ALL)]
    );
}

#[test]
fn item_25_reconnect_request() {
    let req = ReconnectRequest {
        tc_url: Some("rtmp://edge2.example.invalid/live".into()),
        description: Some("maintenance".into()),
    };
    let info = through_amf0(&req.to_info());
    assert_eq!(info.get("level").and_then(Value::as_str), Some("status"));
    assert_eq!(
        info.get("code").and_then(Value::as_str),
        Some("NetConnection.Connect.ReconnectRequest")
    );
    assert_eq!(ReconnectRequest::from_info(&info), Some(req));
    // tcUrl and description are optional.
    let bare = amf_object! { "level" => "status", "code" => RECONNECT_REQUEST_CODE };
    assert_eq!(
        ReconnectRequest::from_info(&bare),
        Some(ReconnectRequest::default())
    );
    let other = amf_object! { "code" => "NetConnection.Connect.Success" };
    assert_eq!(ReconnectRequest::from_info(&other), None);
    // Only to clients that advertised capsEx reconnect.
    let client = EnhancedCaps::from_object(&obs_connect()).unwrap();
    assert!(ReconnectRequest::allowed_for(Some(&client)));
    let no_reconnect = EnhancedCaps {
        caps_ex: CapsEx::MULTITRACK,
        ..client
    };
    assert!(!ReconnectRequest::allowed_for(Some(&no_reconnect)));
    assert!(!ReconnectRequest::allowed_for(None));
}

#[test]
fn item_26_metadata_codec_ids_numbers_and_fourccs() {
    let legacy = amf_object! { "videocodecid" => 7.0, "audiocodecid" => 10.0 };
    assert_eq!(video_codec_of(&legacy), Some(VideoCodec::Avc));
    assert_eq!(audio_codec_of(&legacy), Some(AudioCodec::Aac));
    // "hvc1" packed big-endian into a double = 0x68766331 = 1752589105.
    let packed = Value::ecma_array([
        ("videocodecid", Value::from(1_752_589_105.0)),
        (
            "audiocodecid",
            Value::from(f64::from(u32::from_be_bytes(*b"Opus"))),
        ),
    ]);
    let packed = through_amf0(&packed);
    assert_eq!(video_codec_of(&packed), Some(VideoCodec::Hevc));
    assert_eq!(audio_codec_of(&packed), Some(AudioCodec::Opus));
    let strings = amf_object! { "videocodecid" => "av01", "audiocodecid" => ".mp3" };
    assert_eq!(video_codec_of(&strings), Some(VideoCodec::Av1));
    assert_eq!(audio_codec_of(&strings), Some(AudioCodec::Mp3));
    assert_eq!(video_codec_of(&amf_object! { "videocodecid" => 1.5 }), None);
    assert_eq!(
        MetadataCodecId::FourCc(FourCc(*b"hvc1")).to_value(),
        Value::from(1_752_589_105.0)
    );
}

#[test]
fn color_info_metadata_from_ffmpeg_fixture() {
    let path = format!(
        "{}/tests/data/ertmp_hevc_opus.flv",
        env!("CARGO_MANIFEST_DIR")
    );
    let file = std::fs::read(path).unwrap();
    // Find the Metadata video packet (0xD4 'hvc1') and decode its AMF body.
    let at = file.windows(5).position(|w| w == b"\xd4hvc1").unwrap();
    let size = u32::from_be_bytes([0, file[at - 10], file[at - 9], file[at - 8]]) as usize;
    let payload = Bytes::copy_from_slice(&file[at..at + size]);
    let VideoTag::Enhanced(ExVideoTag {
        body:
            ExVideoBody::Single {
                packet: VideoPacket::Metadata(body),
                ..
            },
        ..
    }) = VideoTag::parse(payload).unwrap()
    else {
        panic!("metadata packet expected")
    };
    let meta = VideoMetadata::parse(&body, &DecodeLimits::default()).unwrap();
    assert_eq!(meta.name.as_str(), "colorInfo");
    // ffmpeg was asked for BT.709 (ITU-T H.273 code point 1); this build passes on the
    // matrix coefficients only.
    let config = meta.value.get("colorConfig").unwrap();
    assert_eq!(
        config.get("matrixCoefficients").and_then(Value::as_f64),
        Some(1.0)
    );
    assert_eq!(meta.to_bytes(), body);

    // And the ffmpeg onMetaData names the codecs by packed FourCC.
    let mut buf = BytesMut::from(&file[..]);
    let mut reader = FlvReader::new(FlvReaderConfig::default());
    let script = loop {
        match reader.read(&mut buf).unwrap() {
            Some(FlvItem::Tag(t)) if t.tag_type == FlvTagType::Script => break t.data,
            Some(_) => {}
            None => panic!("no script tag"),
        }
    };
    let values = amf0::decode_all(&script, &DecodeLimits::default()).unwrap();
    assert_eq!(values[0].as_str(), Some("onMetaData"));
    assert_eq!(video_codec_of(&values[1]), Some(VideoCodec::Hevc));
    assert_eq!(audio_codec_of(&values[1]), Some(AudioCodec::Opus));
}
