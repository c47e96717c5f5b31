//! Fuzz body for the `media` target: the input is parsed as an audio payload, a video
//! payload and the configuration records; whatever parses is classified, rebuilt, parsed
//! again and must come back equal.

use bytes::Bytes;
use rtmp_proto::media::asc::AudioSpecificConfig;
use rtmp_proto::media::avcc::AvcDecoderConfigurationRecord;
use rtmp_proto::media::hvcc::HevcDecoderConfigurationRecord;
use rtmp_proto::media::{AudioTag, VideoTag};

/// Feeds arbitrary bytes to the media parsers; must never panic.
pub fn run(data: &[u8]) {
    let data = Bytes::copy_from_slice(data);

    if let Ok(v) = VideoTag::parse(data.clone()) {
        let _ = (
            v.is_keyframe(),
            v.is_sequence_header(),
            v.is_sequence_end(),
            v.codec(),
        );
        let _ = v.tracks().count();
        let wire = v.to_bytes().expect("a parsed video header can be rebuilt");
        let again = VideoTag::parse(wire.clone()).expect("a rebuilt video header parses");
        assert_eq!(again, v, "video header rebuild changed its meaning");
        assert_eq!(
            again.to_bytes().ok(),
            Some(wire),
            "video rebuild is not stable"
        );
    }

    if let Ok(a) = AudioTag::parse(data.clone()) {
        let _ = (
            a.is_config(),
            a.is_sequence_header(),
            a.is_sequence_end(),
            a.codec(),
        );
        let _ = a.tracks().count();
        let wire = a.to_bytes().expect("a parsed audio header can be rebuilt");
        let again = AudioTag::parse(wire.clone()).expect("a rebuilt audio header parses");
        assert_eq!(again, a, "audio header rebuild changed its meaning");
        assert_eq!(
            again.to_bytes().ok(),
            Some(wire),
            "audio rebuild is not stable"
        );
    }

    if let Ok(r) = AvcDecoderConfigurationRecord::parse(data.clone()) {
        let wire = r.to_bytes().expect("a parsed avcC can be rebuilt");
        assert_eq!(AvcDecoderConfigurationRecord::parse(wire).ok(), Some(r));
    }
    if let Ok(r) = HevcDecoderConfigurationRecord::parse(data.clone()) {
        let wire = r.to_bytes().expect("a parsed hvcC can be rebuilt");
        assert_eq!(HevcDecoderConfigurationRecord::parse(wire).ok(), Some(r));
    }
    let _ = HevcDecoderConfigurationRecord::from_parameter_sets(
        Bytes::new(),
        data.clone(),
        Bytes::new(),
    );
    let _ = AudioSpecificConfig::parse(data);
}
