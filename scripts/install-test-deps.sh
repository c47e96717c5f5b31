#!/usr/bin/env bash
# Installs the real peers the interop tests use:
# - ffmpeg 5.1 from Debian (legacy RTMP publisher and player, ffprobe);
# - a recent ffmpeg from PyPI's imageio-ffmpeg (Enhanced RTMP: HEVC, AV1, VP9, Opus);
# - rtmpdump from Debian: librtmp, the other RTMP client implementation in wide use (OBS's
#   RTMP output is a fork of it), as a player, and librtmp-dev to build the librtmp
#   publisher in interop/peers/;
# - GStreamer with rtmp2sink/rtmp2src (its own RTMP implementation), rtmpsrc (its librtmp
#   element; rtmp2 and rtmp are both in gstreamer1.0-plugins-bad), x264enc and voaacenc, as
#   publisher and player;
# - nginx with nginx-rtmp from Debian, as a real server for our client, and nginx's
#   stream module (libnginx-mod-stream) terminating TLS in front of it for the RTMPS tests;
# - promtool from Debian's prometheus package, to check the relay's metrics;
# - Chromium from Debian, to load the relay's status page in a real (headless) browser;
# - a C compiler, to build interop/peers/librtmp_publish.c.
# The only installer: the tests install nothing, and a test whose peer is missing fails
# naming this script. Idempotent and quiet when everything is already there. Prints where
# each peer is. Needs root or sudo for apt-get, and pip for imageio-ffmpeg.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  echo "installing ffmpeg (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq ffmpeg >/dev/null
fi
echo "ffmpeg: $(command -v ffmpeg) ($(ffmpeg -hide_banner -version | head -n 1 | cut -d' ' -f3))"

if ! command -v rtmpdump >/dev/null 2>&1 || [ ! -f /usr/include/librtmp/rtmp.h ] \
  || ! command -v pkg-config >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
  echo "installing rtmpdump, librtmp-dev, pkg-config, a C compiler (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    rtmpdump librtmp-dev pkg-config gcc libc6-dev >/dev/null
fi
echo "rtmpdump: $(command -v rtmpdump); librtmp: $(pkg-config --modversion librtmp); cc: $(command -v cc)"

gst_elements="rtmp2sink rtmp2src rtmpsrc x264enc voaacenc flvmux h264parse aacparse"
gst_ok() {
  command -v gst-launch-1.0 >/dev/null 2>&1 || return 1
  for e in $gst_elements; do gst-inspect-1.0 --exists "$e" || return 1; done
}
if ! gst_ok; then
  echo "installing GStreamer (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
    gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly >/dev/null
fi
echo "gstreamer: $(command -v gst-launch-1.0)"

if ! command -v nginx >/dev/null 2>&1 || [ ! -f /usr/lib/nginx/modules/ngx_rtmp_module.so ] \
  || [ ! -f /usr/lib/nginx/modules/ngx_stream_module.so ]; then
  echo "installing nginx + nginx-rtmp + the stream module (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    nginx libnginx-mod-rtmp libnginx-mod-stream >/dev/null
fi
echo "nginx: $(command -v nginx) (modules: ngx_rtmp_module.so, ngx_stream_module.so)"

# promtool (Debian's prometheus package) checks the relay's /metrics exposition.
if ! command -v promtool >/dev/null 2>&1; then
  echo "installing promtool (apt: prometheus)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    prometheus >/dev/null
fi
echo "promtool: $(command -v promtool)"

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (apt)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
    chromium >/dev/null
fi
echo "chromium: $(command -v chromium)"

# The encoders the Enhanced RTMP tests use (interop/src/peers.rs: RECENT_ENCODERS and one
# of RECENT_AV1_ENCODERS).
recent_ok() {
  local exe encoders
  exe=$(python3 -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())' 2>/dev/null) \
    || return 1
  encoders=$("$exe" -hide_banner -encoders 2>/dev/null) || return 1
  for e in libx265 libopus; do grep -qw -- "$e" <<<"$encoders" || return 1; done
  grep -qwE -- 'libsvtav1|libaom-av1' <<<"$encoders"
}
if ! recent_ok; then
  echo "installing imageio-ffmpeg (pip)"
  python3 -m pip install -q --upgrade imageio-ffmpeg
  recent_ok || { echo "imageio-ffmpeg's ffmpeg lacks libx265, libopus or an AV1 encoder" >&2; exit 1; }
fi
echo "recent ffmpeg: $(python3 -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')"
