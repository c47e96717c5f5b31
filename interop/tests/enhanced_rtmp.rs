//! Enhanced RTMP end to end: a recent ffmpeg (imageio-ffmpeg) publishes HEVC + Opus, then
//! AV1 + Opus, through our relay; a recent-ffmpeg player decodes at least 95% of the video
//! frames without errors, and our own client checks what crossed the relay really is
//! E-RTMP (FourCC `hvc1` / `av01` video, `Opus` audio).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use rtmp_interop::ffmpeg::{self, FPS, Play};
use rtmp_interop::{Adapter, Client, Proc, ServerOpts, for_each_adapter, peers, start};
use rtmp_proto::media::{AudioCodec, AudioTag, VideoCodec, VideoTag};
use rtmp_proto::relay::{Frame, FrameClass};
use rtmp_proto::session::{ClientEvent, MediaKind};

const FRAMES: u32 = 75;

/// One codec pairing: the encoder arguments and what our client must see.
struct Case {
    name: &'static str,
    encoder: &'static str,
    args: &'static [&'static str],
    codec: VideoCodec,
}

const CASES: &[Case] = &[
    Case {
        name: "HEVC + Opus",
        encoder: "libx265",
        args: &[
            "-preset",
            "ultrafast",
            "-x265-params",
            "log-level=error:pools=1:frame-threads=1",
        ],
        codec: VideoCodec::Hevc,
    },
    Case {
        name: "AV1 (SVT) + Opus",
        encoder: "libsvtav1",
        args: &["-preset", "11", "-svtav1-params", "lp=1"],
        codec: VideoCodec::Av1,
    },
    Case {
        name: "AV1 (aom) + Opus",
        encoder: "libaom-av1",
        args: &["-cpu-used", "8", "-usage", "realtime", "-threads", "1"],
        codec: VideoCodec::Av1,
    },
];

fn publisher(ffmpeg: &Path, case: &Case, url: &str) -> Command {
    let secs = f64::from(FRAMES) / f64::from(FPS);
    let mut c = Command::new(ffmpeg);
    c.args(["-hide_banner", "-nostdin", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i"])
        .arg(format!("testsrc=size=320x240:rate={FPS}"))
        .args(["-f", "lavfi", "-i"])
        .arg(format!("sine=sample_rate=48000:duration={secs}"))
        .args(["-frames:v", &FRAMES.to_string(), "-c:v", case.encoder])
        .args(case.args)
        .args([
            "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "libopus", "-b:a", "48k",
        ])
        .args(["-f", "flv", url]);
    c
}

fn enhanced_rtmp_codecs_cross_the_relay(adapter: Adapter) {
    let Some((recent, _)) = peers::recent("enhanced_rtmp") else {
        return;
    };
    // The AV1 encoders are alternatives: the first one present is enough.
    let mut av1_done = false;
    let mut tested = Vec::new();
    for case in CASES {
        if !peers::has_encoder(&recent, case.encoder) || !peers::has_encoder(&recent, "libopus") {
            eprintln!(
                "enhanced_rtmp/{}: {} not in this ffmpeg build, not tested",
                adapter.name(),
                case.encoder
            );
            continue;
        }
        if case.codec == VideoCodec::Av1 {
            if av1_done {
                continue;
            }
            av1_done = true;
        }
        one_case(adapter, &recent, case);
        tested.push(case.name);
    }
    assert!(!tested.is_empty(), "no E-RTMP codec could be tested");
}

fn one_case(adapter: Adapter, recent: &Path, case: &Case) {
    let opts = ServerOpts::default();
    let srv = start(adapter, &opts);
    let url = srv.url("ertmp");
    let mut client = Client::connect(srv.addr, "live");
    let h = client.play("ertmp");
    let mut player = Proc::spawn(
        "recent ffmpeg player",
        &mut ffmpeg::player(recent, &url, Play::Decode),
    );
    let waiting = Instant::now();
    while srv.stats().players < 2 {
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "players waiting: {} of 2; player: {:?} {}",
            srv.stats().players,
            player.try_wait(),
            player.stderr()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut publisher = Proc::spawn(
        "recent ffmpeg publisher",
        &mut publisher(recent, case, &url),
    );

    // Our client reads the whole stream while ffmpeg publishes it.
    let (mut video_codec, mut audio_codec, mut coded, mut exheader) = (None, None, 0u32, true);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match client.next_event(deadline) {
            Some(ClientEvent::Media { handle, media }) if handle == h => {
                let enhanced = media.payload.first().is_some_and(|b| b & 0x80 != 0);
                match media.kind {
                    MediaKind::Video => {
                        exheader &= enhanced;
                        let tag = VideoTag::parse(media.payload.clone()).expect("video tag parses");
                        video_codec = video_codec.or(tag.codec());
                        let class = Frame::media(media).class();
                        if matches!(class, FrameClass::VideoKeyframe | FrameClass::VideoInter) {
                            coded += 1;
                        }
                    }
                    MediaKind::Audio => {
                        let tag = AudioTag::parse(media.payload.clone()).expect("audio tag parses");
                        audio_codec = audio_codec.or(tag.codec());
                    }
                }
            }
            Some(ClientEvent::Status { code, .. }) if code == "NetStream.Play.UnpublishNotify" => {
                break;
            }
            Some(_) => {}
            None => panic!("stream did not end within 20 s ({coded} video frames so far)"),
        }
    }
    let status = publisher.wait(Duration::from_secs(10));
    assert!(
        status.success(),
        "publisher: {status} {}",
        publisher.stderr()
    );
    let decoded = ffmpeg::finish_clean(&mut player, rtmp_interop::player_end_limit());
    eprintln!(
        "enhanced_rtmp/{} {}: our client saw video {video_codec:?} (E-RTMP header on every \
         video tag: {exheader}), audio {audio_codec:?}, {coded} coded video frames; the recent \
         ffmpeg player decoded {decoded} of {FRAMES}",
        adapter.name(),
        case.name,
    );
    assert_eq!(video_codec, Some(case.codec));
    assert_eq!(audio_codec, Some(AudioCodec::Opus));
    assert!(exheader, "a video tag without the E-RTMP header");
    assert_eq!(coded, FRAMES, "video frames through the relay");
    assert!(
        decoded * 100 >= u64::from(FRAMES) * 95,
        "decoded {decoded} of {FRAMES}"
    );
    srv.stop();
}

for_each_adapter!(enhanced_rtmp_codecs_cross_the_relay);
