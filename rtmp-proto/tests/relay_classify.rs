//! Frame classification: legacy and Enhanced RTMP, single and multitrack (RTMP-NOTES 20-23).

mod relay_support;

use bytes::Bytes;
use relay_support::*;
use rtmp_proto::relay::{Frame, FrameClass};
use rtmp_proto::session::{Media, MediaKind};

#[test]
fn legacy_avc_and_aac_classes() {
    assert_eq!(avc_seq(0, 1).class(), FrameClass::VideoConfig);
    assert_eq!(avc_key(0, 10).class(), FrameClass::VideoKeyframe);
    assert_eq!(avc_inter(0, 10).class(), FrameClass::VideoInter);
    assert_eq!(avc_eos(0).class(), FrameClass::VideoSequenceEnd);
    assert_eq!(aac_seq(0, 1).class(), FrameClass::AudioConfig);
    assert_eq!(aac(0, 10).class(), FrameClass::Audio);
    assert_eq!(metadata(0, 1).class(), FrameClass::Metadata);
}

#[test]
fn enhanced_rtmp_classes() {
    assert_eq!(hevc_seq(0, 1).class(), FrameClass::VideoConfig);
    assert_eq!(hevc_color_info(0).class(), FrameClass::VideoConfig);
    assert_eq!(hevc_frame(0, true, 9).class(), FrameClass::VideoKeyframe);
    assert_eq!(hevc_frame(0, false, 9).class(), FrameClass::VideoInter);
    assert_eq!(opus_seq(0).class(), FrameClass::AudioConfig);
    assert_eq!(opus(0, 9).class(), FrameClass::Audio);
    assert_eq!(mt_video_seq(0, 1, 5).class(), FrameClass::VideoConfig);
    assert_eq!(
        mt_video_frame(0, true, 1, 9).class(),
        FrameClass::VideoKeyframe
    );
    assert_eq!(
        mt_video_frame(0, false, 1, 9).class(),
        FrameClass::VideoInter
    );
    assert_eq!(mt_video_end(0, 1).class(), FrameClass::VideoSequenceEnd);
    assert_eq!(
        mt_audio_seq(0, &[(0, 1), (1, 2)]).class(),
        FrameClass::AudioConfig
    );
    assert_eq!(mt_audio(0, 1, 9).class(), FrameClass::Audio);
}

#[test]
fn unparseable_media_is_never_config_or_keyframe() {
    for bytes in [
        &[][..],
        &[0x17][..],
        &[0x9F, 1, 2][..],
        &[0x17, 9, 0, 0, 0][..],
    ] {
        let v = Frame::media(Media {
            kind: MediaKind::Video,
            timestamp: 0,
            payload: Bytes::copy_from_slice(bytes),
        });
        assert_eq!(v.class(), FrameClass::VideoInter, "{bytes:?}");
        let a = Frame::media(Media {
            kind: MediaKind::Audio,
            timestamp: 0,
            payload: Bytes::copy_from_slice(bytes),
        });
        assert_eq!(a.class(), FrameClass::Audio, "{bytes:?}");
    }
}

#[test]
fn cloning_a_frame_shares_the_payload() {
    let f = avc_key(0, 1000);
    let g = f.clone();
    assert_eq!(f.payload().as_ptr(), g.payload().as_ptr());
    assert_eq!(f.len(), 1005);
}
