#!/usr/bin/env bash
# Installs what the interop tests need: a real RTMP peer (ffmpeg 5.1 from Debian).
# Idempotent and quiet when everything is already there.
set -euo pipefail

need_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  echo "installing ffmpeg (apt)"
  need_sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive need_sudo apt-get install -y -qq ffmpeg >/dev/null
fi
ffmpeg -hide_banner -version | head -n 1
