#!/bin/sh
# Regenerates the small FLV fixtures under rtmp-proto/tests/data/ from real encoders.
#
# Legacy FLV comes from the distribution's ffmpeg 5.1 (`apt-get install ffmpeg`); the
# Enhanced RTMP files come from the recent static ffmpeg that `pip install imageio-ffmpeg`
# ships (its flvenc writes ExVideoTagHeader/ExAudioTagHeader, colorInfo metadata,
# MultichannelConfig and multitrack). Inputs are synthetic (testsrc2 + sine), 64x64, a few
# frames at the lowest quality, with +bitexact, so each file stays a few KiB.
#
# Usage: scripts/make-media-fixtures.sh   (from the workspace root)
set -eu

OUT=rtmp-proto/tests/data
LEGACY=${FFMPEG_LEGACY:-ffmpeg}
ENHANCED=${FFMPEG_ENHANCED:-$(python3 -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')}
mkdir -p "$OUT"

video="-f lavfi -i testsrc2=size=64x64:rate=10"
tone="-f lavfi -i sine=frequency=440:sample_rate=48000"
quiet="-y -hide_banner -loglevel error"
exact="-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1"
# x264 writes its option string in an SEI NAL; drop SEIs to keep the files small.
nosei="-bsf:v filter_units=remove_types=6"

# Legacy H.264 (codec id 7, B-frames so composition times are non-zero) + AAC (sound format 10).
$LEGACY $quiet $video -f lavfi -i sine=frequency=440:sample_rate=22050 -t 0.4 \
    -c:v libx264 -preset ultrafast -qp 45 -g 4 -bf 2 $nosei \
    -c:a aac -b:a 12k -ac 1 $exact "$OUT/legacy_h264_aac.flv"

# E-RTMP hvc1 (SequenceStart, CodedFrames with SI24 composition time, colorInfo Metadata)
# + Opus (SequenceStart, MultichannelConfig, CodedFrames).
$ENHANCED $quiet $video $tone -t 0.4 \
    -c:v libx265 -x265-params log-level=none:keyint=4:bframes=2:qp=51 \
    -color_primaries bt709 -color_trc bt709 -colorspace bt709 \
    -c:a libopus -b:a 8k -ac 1 $exact "$OUT/ertmp_hevc_opus.flv"

# E-RTMP av01 (CodedFrames without composition time) + fLaC.
$ENHANCED $quiet $video -f lavfi -i sine=frequency=440:sample_rate=8000 -t 0.3 \
    -c:v libaom-av1 -cpu-used 8 -g 3 -crf 63 -b:v 0 \
    -c:a flac -ac 1 $exact "$OUT/ertmp_av1_flac.flv"

# E-RTMP vp09 + ac-3.
$ENHANCED $quiet $video $tone -t 0.3 \
    -c:v libvpx-vp9 -deadline realtime -g 3 -crf 63 -b:v 0 \
    -c:a ac3 -b:a 32k -ac 1 $exact "$OUT/ertmp_vp9_ac3.flv"

# E-RTMP multitrack: two H.264 tracks and two AAC tracks. Track 0 stays legacy, track 1 is
# sent as Multitrack/OneTrack avc1 and mp4a (CodedFramesX, MultichannelConfig).
$ENHANCED $quiet $video $tone -t 0.2 -map 0:v -map 0:v -map 1:a -map 1:a \
    -c:v libx264 -preset ultrafast -qp 51 -g 2 $nosei \
    -c:a aac -b:a 8k -ac 1 $exact "$OUT/ertmp_multitrack_avc_aac.flv"

ls -l "$OUT"/*.flv
