#!/usr/bin/env bash
# Runs the same load against nginx-rtmp and our relay and prints server CPU per delivered MB
# and per player and frame, latency, connect timing and memory per idle connection. Loopback
# only; every run is bounded in time.
#
#   scripts/compare-nginx.sh [players] [seconds] [idle-connections]   # load run + idle memory
#                                                   # (idle-connections 0: load run only)
#   SOURCE=ffmpeg scripts/compare-nginx.sh [players] [seconds] [idle-connections]
#                                                   # the same with a real encoder's stream
#   scripts/compare-nginx.sh idle [idle-connections]                  # idle memory only
#
# Source of the stream (SOURCE):
# - synthetic (default): the `load` example publishes itself (`--publish`): 25 fps video at
#   3 Mbit/s, each video frame sent together with its two audio frames, every frame carrying
#   its send time, so the players measure latency.
# - ffmpeg: a real H.264 + AAC clip (x264 1280x720 30 fps ~3 Mbit/s, GOP 2 s, AAC 44.1 kHz
#   stereo 128k, 20 s from testsrc2 + sine) is made once with ffmpeg and cached as
#   ${CARGO_TARGET_DIR:-target}/bench-media/real-720p30.flv (made again if missing; CLIP=path
#   uses another FLV file). Each run, `ffmpeg -re -stream_loop -1 -i CLIP -c copy -f flv`
#   publishes it in real time, looped, with audio and video as separate messages at their own
#   rates as real encoders send them; the players (`load` without `--publish`) join
#   JOIN_AFTER seconds (default 2) later, and the publisher is stopped after the run. Latency
#   is n/a in this mode (ffmpeg's frames carry no send time); time to first frame is measured.
#
# Per server and run it prints CPU per delivered MB (user / system), "user µs per
# player-frame" (user CPU time / the media messages, video and audio, that all players
# received, i.e. players x frames per player), frames per second per player, delivered MB,
# latency, time to first frame p99, connect / Play.Start timing and dropped players.
#
# Idle memory: `load --idle` opens N connections that connect and sit; once all have their
# connect `_result` the server's RSS growth / N is taken (on a fresh server). Connect timing:
# TCP connect to connect `_result` (and to Play.Start in the load run), p50/p99 over players.
#
# RELAY_ARGS adds flags to our relay (e.g. RELAY_ARGS="--threads 2"); RELAY_BIN runs another
# build of it (for before/after comparisons); ROUNDS=n measures both servers n times,
# alternating, so a background load that comes and goes hits both alike. CPU is also split
# into user and system time (from /proc/<pid>/stat; the kernel samples that split per tick,
# so it is rougher than the total). With ROUNDS above 1 each server also gets a line pooled
# over its rounds (the sums of CPU time, MB and frames): the tick-sampled user time has a
# sampling error of about 1/sqrt(user ticks x 2.5) (250 Hz ticks, reported in 1/100 s), e.g.
# ±19% for the ~11 user ticks of our relay in one 15-s round at 100 players, ±11% pooled
# over three rounds.
#
# PIN=1 runs the servers on CPU 0 and the load generator on CPU 1 (both need 2 CPUs), so the
# two never share a core's caches or time slices. RPS=1 (with PIN=1, as root) also steers
# loopback's receive processing to CPU 1 (`/sys/class/net/lo/queues/rx-0/rps_cpus`, put back
# on exit), so the receiving sockets' packet processing, which loopback otherwise runs in the
# sender's context, is not charged to the server: the nearest this one machine gets to
# measuring with the players on another host.
#
# TLS=1 runs every connection (load, idle and connect timing) over RTMPS: nginx-rtmp behind
# nginx's stream module terminating TLS (the usual way to give it RTMPS) against our relay's
# --tls-listen, both with the same EC P-256 certificate from a throwaway CA made here with
# openssl, both TLS 1.3 with the load generator's first choice of suite (it prints the one
# agreed: TLS13_AES_256_GCM_SHA384). nginx's CPU is its one worker's: TLS and rtmp both.
#
# Needs: nginx with libnginx-mod-rtmp (apt-get install nginx libnginx-mod-rtmp); for TLS=1
# libnginx-mod-stream and openssl (scripts/install-test-deps.sh installs them); ffmpeg (with
# libx264) for SOURCE=ffmpeg. 1000 players need `ulimit -n` above players + idle + 100 (the
# script raises the soft limit up to the hard one).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=full
if [ "${1:-}" = idle ]; then
  mode=idle
  shift
  idle=${1:-2000}
  players=0
  secs=0
else
  players=${1:-100}
  secs=${2:-15}
  idle=${3:-200}
fi
source=${SOURCE:-synthetic}
case $source in
  synthetic | ffmpeg) ;;
  *) echo "SOURCE must be synthetic or ffmpeg, not '$source'" >&2; exit 2 ;;
esac
if ! command -v nginx >/dev/null || [ ! -f /usr/lib/nginx/modules/ngx_rtmp_module.so ]; then
  echo "needs nginx and libnginx-mod-rtmp (apt-get install nginx libnginx-mod-rtmp)" >&2
  exit 2
fi
[ "$source" = synthetic ] || command -v ffmpeg >/dev/null ||
  { echo "SOURCE=ffmpeg needs ffmpeg (apt-get install ffmpeg)" >&2; exit 2; }
# Descriptors: our relay holds every idle and playing connection at once (nginx-rtmp's worker
# gets its own limit from worker_rlimit_nofile below).
need_fds=$((idle + players + 100))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need_fds" ]; then
  ulimit -n "$need_fds" 2>/dev/null ||
    { echo "ulimit -n is $(ulimit -n), $need_fds needed (hard limit $(ulimit -Hn))" >&2; exit 2; }
fi
work=$(mktemp -d)
rps=/sys/class/net/lo/queues/rx-0/rps_cpus
rps_was=
trap 'kill $(jobs -p) 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; [ -n "$rps_was" ] && echo "$rps_was" >"$rps"; rm -rf "$work"' EXIT
server_cpu=() load_cpu=()
if [ "${PIN:-0}" = 1 ]; then
  server_cpu=(taskset -c 0)
  load_cpu=(taskset -c 1)
fi
if [ "${RPS:-0}" = 1 ]; then
  [ "${PIN:-0}" = 1 ] || { echo "RPS=1 needs PIN=1" >&2; exit 2; }
  rps_was=$(cat "$rps")
  echo 2 >"$rps"
fi

cargo build --release -q -p rtmp-tokio --example load --example relay
bin=${CARGO_TARGET_DIR:-target}/release/examples

# The real-encoder clip, made once (see the header).
clip=${CLIP:-${CARGO_TARGET_DIR:-target}/bench-media/real-720p30.flv}
if [ "$source" = ffmpeg ] && [ "$mode" = full ] && [ ! -s "$clip" ]; then
  echo "making $clip (once)" >&2
  mkdir -p "$(dirname "$clip")"
  ffmpeg -nostdin -y -hide_banner -loglevel error \
    -f lavfi -i testsrc2=size=1280x720:rate=30 -f lavfi -i sine=frequency=440:sample_rate=44100 \
    -t 20 -pix_fmt yuv420p -c:v libx264 -preset veryfast -tune zerolatency \
    -b:v 3M -maxrate 3M -bufsize 6M -g 60 -keyint_min 60 -sc_threshold 0 \
    -c:a aac -b:a 128k -ar 44100 -ac 2 -f flv "$clip.part"
  mv "$clip.part" "$clip"
fi
[ "$source" = synthetic ] || clip_note=" clip=$clip"
# Where the load goes: plain RTMP, or with TLS=1 the TLS ports in front of the same servers.
scheme=rtmp nginx_port=19400 relay_port=19401 load_tls=() relay_tls=() stream_module='' stream=''
if [ "${TLS:-0}" = 1 ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj "/CN=compare-nginx CA" -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
    -keyout "$work/key.pem" -out "$work/cert.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$work/ext"
  openssl x509 -req -in "$work/cert.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
    -CAcreateserial -days 1 -extfile "$work/ext" -out "$work/cert.pem" 2>/dev/null
  scheme=rtmps nginx_port=19402 relay_port=19403
  load_tls=(--ca "$work/ca.pem")
  relay_tls=(--tls-listen 127.0.0.1:19403 --tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
  stream_module="load_module /usr/lib/nginx/modules/ngx_stream_module.so;"
  stream="stream { server { listen 127.0.0.1:19402 ssl; ssl_protocols TLSv1.3; \
ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem; proxy_pass 127.0.0.1:19400; } }"
fi

cat > "$work/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
$stream_module
worker_processes 1;
worker_rlimit_nofile $((need_fds > 16384 ? need_fds + 1000 : 20000));
daemon on;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections $((need_fds > 16384 ? need_fds : 16384)); }
rtmp { server { listen 127.0.0.1:19400; application live { live on; } } }
$stream
CONF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sys_ticks() { awk '{print $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
field() { sed -E "s/.*[ ]$1=([0-9]+).*/\\1/" <<<"$2"; } # field name SUMMARY-line
tck=$(getconf CLK_TCK)

idle_run() { # name pid port: writes "$work/name.idle" = "KiB/conn connect-p50-ms connect-p99-ms"
  local name=$1 pid=$2 port=$3 r0 r1 out=$work/$1.idle.out
  r0=$(rss_kib "$pid")
  "$bin/load" --url "$scheme://127.0.0.1:$port/live/idle" "${load_tls[@]}" --players "$idle" \
    --duration $((6 + idle / 400)) --idle --spawn-interval-us 500 >"$out" &
  local load_pid=$! waited=0
  until grep -q '^CONNECTED' "$out" 2>/dev/null; do
    sleep 0.1
    waited=$((waited + 1))
    [ "$waited" -lt 600 ] || { echo "$name: idle connections not up after 60 s" >&2; break; }
  done
  sleep 0.5
  r1=$(rss_kib "$pid")
  wait "$load_pid"
  local s
  s=$(grep SUMMARY "$out")
  awk -v a="$r0" -v b="$r1" -v n="$idle" -v c50="$(field connect_p50_us "$s")" \
    -v c99="$(field connect_p99_us "$s")" -v d="$(field dropped "$s")" \
    'BEGIN { printf "%.1f %.2f %.2f %s\n", (b - a) / n, c50 / 1000, c99 / 1000, d }' >"$work/$name.idle"
}

publisher_pid=
start_publisher() { # url: ffmpeg streams the clip to it, looped in real time, until stopped
  "${load_cpu[@]}" ffmpeg -nostdin -hide_banner -loglevel error -re -stream_loop -1 -i "$clip" \
    -c copy -f flv "$1" >"$work/ffmpeg.log" 2>&1 &
  publisher_pid=$!
  sleep "${JOIN_AFTER:-2}"
  kill -0 "$publisher_pid" 2>/dev/null || { echo "ffmpeg publisher to $1 exited:" >&2; cat "$work/ffmpeg.log" >&2; exit 1; }
}
stop_publisher() {
  kill "$publisher_pid" 2>/dev/null || true
  wait "$publisher_pid" 2>/dev/null || true
  publisher_pid=
}

measure() { # name pid port
  local name=$1 pid=$2 port=$3
  local url=$scheme://127.0.0.1:$port/live/bench$round before after sys_before sys_after out bytes
  local publish=(--publish)
  if [ "$source" = ffmpeg ]; then
    start_publisher "$url"
    publish=()
  fi
  before=$(cpu_ticks "$pid")
  sys_before=$(sys_ticks "$pid")
  # (Not `tee /dev/stderr`: that reopens stderr and truncates it when it is a file.)
  "${load_cpu[@]}" "$bin/load" --url "$url" "${load_tls[@]}" --players "$players" --duration "$secs" "${publish[@]}" >"$work/load.out"
  after=$(cpu_ticks "$pid")
  sys_after=$(sys_ticks "$pid")
  if [ "$source" = ffmpeg ]; then stop_publisher; fi
  cat "$work/load.out" >&2
  out=$(grep SUMMARY "$work/load.out")
  bytes=$(field delivered_bytes "$out")
  echo "$((after - before)) $((sys_after - sys_before)) $bytes $(field delivered_frames "$out")" >>"$work/$name.rounds"
  awk -v n="$name" -v c=$((after - before)) -v t="$tck" -v sy=$((sys_after - sys_before)) -v b="$bytes" -v s="$out" \
    -v src="$source" -v secs="$secs" 'BEGIN {
    split(s, f, " "); for (k in f) { split(f[k], kv, "="); v[kv[1]] = kv[2] }
    user_us = (c - sy) / t * 1e6
    per_frame = v["delivered_frames"] > 0 ? sprintf("%.2f", user_us / v["delivered_frames"]) : "n/a"
    # Only the synthetic publisher embeds send times; with any other source there is no latency.
    if (src == "synthetic" && v["latency_samples"] > 0)
      lat = sprintf("latency p50 %.2f ms p99 %.2f ms", v["latency_p50_us"] / 1000, v["latency_p99_us"] / 1000)
    else
      lat = "latency n/a"
    printf "%-10s cpu %.2f ms/MB (user %.2f sys %.2f)  user %s µs/player-frame (%.1f frames/s per player)  delivered %.0f MB  %s  ttff p99 %.1f ms  connect p50/p99 %.2f/%.2f ms  play start p50/p99 %.2f/%.2f ms  dropped %s\n",
      n, (c / t * 1000) / (b / 1e6), ((c - sy) / t * 1000) / (b / 1e6), (sy / t * 1000) / (b / 1e6), per_frame,
      v["delivered_frames"] / (v["players"] > 0 ? v["players"] : 1) / secs, b / 1e6, lat, v["ttff_p99_us"] / 1000,
      v["connect_p50_us"] / 1000, v["connect_p99_us"] / 1000, v["play_p50_us"] / 1000, v["play_p99_us"] / 1000, v["dropped"] }'
}

pooled_line() { # name: the rounds' sums, one figure each (see the header)
  awk -v n="$1" -v t="$tck" '{ c += $1; sy += $2; b += $3; fr += $4; r++ } END {
    printf "%-10s pooled over %d rounds: cpu %.2f ms/MB (user %.2f sys %.2f)  user %s µs/player-frame (%d user ticks)\n",
      n, r, (c / t * 1000) / (b / 1e6), ((c - sy) / t * 1000) / (b / 1e6), (sy / t * 1000) / (b / 1e6),
      (fr > 0 ? sprintf("%.2f", (c - sy) / t * 1e6 / fr) : "n/a"), c - sy }' "$work/$1.rounds"
}

idle_line() { # name
  read -r kib c50 c99 dropped <"$work/$1.idle"
  printf "%-10s idle %s KiB/conn (%s connections)  connect p50/p99 %s/%s ms  dropped %s\n" \
    "$1" "$kib" "$idle" "$c50" "$c99" "$dropped"
}

"${server_cpu[@]}" nginx -c "$work/nginx.conf"
sleep 0.5
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -n 1)
# shellcheck disable=SC2086 # RELAY_ARGS is a list of flags
"${server_cpu[@]}" "${RELAY_BIN:-$bin/relay}" --listen 127.0.0.1:19401 "${relay_tls[@]}" --max-connections $((idle + players + 100)) ${RELAY_ARGS:-} >"$work/relay.log" 2>&1 &
relay_pid=$!
sleep 0.5

echo "source=$source players=$players seconds=$secs idle=$idle relay_args=${RELAY_ARGS:-} rounds=${ROUNDS:-1} pin=${PIN:-0} rps=${RPS:-0} tls=${TLS:-0}${clip_note:-}" >&2
# Idle memory first, while both servers are fresh (after a load run, freed memory is reused
# and the growth would be understated).
if [ "$idle" -gt 0 ]; then
  idle_run nginx-rtmp "$nginx_worker" "$nginx_port"
  idle_run rtmp-tokio "$relay_pid" "$relay_port"
fi
if [ "$mode" = full ]; then
  for round in $(seq 1 "${ROUNDS:-1}"); do
    measure nginx-rtmp "$nginx_worker" "$nginx_port"
    measure rtmp-tokio "$relay_pid" "$relay_port"
  done
  if [ "${ROUNDS:-1}" -gt 1 ]; then
    pooled_line nginx-rtmp
    pooled_line rtmp-tokio
  fi
fi
if [ "$idle" -gt 0 ]; then
  idle_line nginx-rtmp
  idle_line rtmp-tokio
fi
