#!/usr/bin/env bash
# Fan-out with HTTP-FLV players against the same fan-out with RTMP players, on our relay
# (nginx-rtmp has no HTTP-FLV): server CPU per delivered MB, split into user and system time.
# Both deliver the same FLV payloads on a socket, so the issue asks for HTTP-FLV within 10%
# of RTMP. Loopback only; every run is bounded in time.
#
#   scripts/compare-http-flv.sh [players] [seconds]        # default 100 players, 15 s
#
# One relay (`relay --http-listen`) serves both. Per run the `load` example publishes the
# synthetic stream (25 fps video at 3 Mbit/s plus audio, frames carrying their send time)
# to a fresh stream name and starts the players 1 s later: RTMP players (`load --url`), or
# HTTP-FLV players (`load --http-flv`, hyper's HTTP/1.1 client reading the chunked FLV
# body). The relay's CPU over the run (from /proc/<pid>/stat, user and system; the kernel
# samples that split per tick, so it is rougher than the total) is divided by the payload
# bytes all players received.
#
# ROUNDS=n measures both n times, alternating, so a background load that comes and goes
# hits both alike; the last line gives the HTTP-FLV / RTMP ratio of the summed CPU per MB.
# PIN=1 runs the relay on CPU 0 and the load generator on CPU 1. RELAY_ARGS adds flags to
# the relay, RELAY_BIN runs another build of it.
set -euo pipefail
cd "$(dirname "$0")/.."
players=${1:-100}
secs=${2:-15}
need_fds=$((players + 100))
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need_fds" ]; then
  ulimit -n "$need_fds" 2>/dev/null ||
    { echo "ulimit -n is $(ulimit -n), $need_fds needed (hard limit $(ulimit -Hn))" >&2; exit 2; }
fi
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
server_cpu=() load_cpu=()
if [ "${PIN:-0}" = 1 ]; then
  server_cpu=(taskset -c 0)
  load_cpu=(taskset -c 1)
fi

cargo build --release -q -p rtmp-tokio --example load --example relay
bin=${CARGO_TARGET_DIR:-target}/release/examples
rtmp_port=19411 http_port=19412

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sys_ticks() { awk '{print $15}' "/proc/$1/stat"; }
field() { sed -E "s/.*[ ]$1=([0-9]+).*/\\1/" <<<"$2"; } # field name SUMMARY-line
tck=$(getconf CLK_TCK)

# shellcheck disable=SC2086 # RELAY_ARGS is a list of flags
"${server_cpu[@]}" "${RELAY_BIN:-$bin/relay}" --listen 127.0.0.1:$rtmp_port \
  --http-listen 127.0.0.1:$http_port --max-connections $((players + 100)) \
  ${RELAY_ARGS:-} >"$work/relay.log" 2>&1 &
relay_pid=$!
sleep 0.5
kill -0 "$relay_pid" 2>/dev/null || { echo "relay did not start:" >&2; cat "$work/relay.log" >&2; exit 1; }

measure() { # name (rtmp | http-flv): prints one line, appends "ticks sys bytes" to $work/name.sum
  local name=$1 stream=bench$round-$1 before after sys_before sys_after out bytes via=()
  [ "$name" = http-flv ] && via=(--http-flv "http://127.0.0.1:$http_port/live/$stream.flv")
  before=$(cpu_ticks "$relay_pid")
  sys_before=$(sys_ticks "$relay_pid")
  "${load_cpu[@]}" "$bin/load" --url "rtmp://127.0.0.1:$rtmp_port/live/$stream" "${via[@]}" \
    --players "$players" --duration "$secs" --publish >"$work/load.out"
  after=$(cpu_ticks "$relay_pid")
  sys_after=$(sys_ticks "$relay_pid")
  cat "$work/load.out" >&2
  out=$(grep SUMMARY "$work/load.out")
  bytes=$(field delivered_bytes "$out")
  [ "$bytes" -gt 0 ] || { echo "$name: nothing delivered" >&2; exit 1; }
  echo "$((after - before)) $((sys_after - sys_before)) $bytes" >>"$work/$name.sum"
  awk -v n="$name" -v c=$((after - before)) -v t="$tck" -v sy=$((sys_after - sys_before)) \
    -v b="$bytes" -v s="$out" -v secs="$secs" 'BEGIN {
    split(s, f, " "); for (k in f) { split(f[k], kv, "="); v[kv[1]] = kv[2] }
    printf "%-9s cpu %.2f ms/MB (user %.2f sys %.2f)  delivered %.0f MB  %.1f frames/s per player  latency p50 %.2f ms p99 %.2f ms  ttff p99 %.1f ms  dropped %s\n",
      n, (c / t * 1000) / (b / 1e6), ((c - sy) / t * 1000) / (b / 1e6), (sy / t * 1000) / (b / 1e6),
      b / 1e6, v["delivered_frames"] / (v["players"] > 0 ? v["players"] : 1) / secs,
      v["latency_p50_us"] / 1000, v["latency_p99_us"] / 1000, v["ttff_p99_us"] / 1000, v["dropped"] }'
}

echo "players=$players seconds=$secs rounds=${ROUNDS:-1} pin=${PIN:-0} relay_args=${RELAY_ARGS:-}" >&2
for round in $(seq 1 "${ROUNDS:-1}"); do
  measure rtmp
  measure http-flv
done
# Summed over the rounds: CPU per MB of each, and HTTP-FLV's against RTMP's.
awk -v t="$tck" '
  FNR == 1 { file++ }
  { c[file] += $1; sy[file] += $2; b[file] += $3 }
  END {
    for (i = 1; i <= 2; i++) { ms[i] = (c[i] / t * 1000) / (b[i] / 1e6); us[i] = ((c[i] - sy[i]) / t * 1000) / (b[i] / 1e6); ss[i] = (sy[i] / t * 1000) / (b[i] / 1e6) }
    printf "all rounds: rtmp %.2f ms/MB (user %.2f sys %.2f), http-flv %.2f ms/MB (user %.2f sys %.2f): http-flv / rtmp = %.2f\n",
      ms[1], us[1], ss[1], ms[2], us[2], ss[2], ms[2] / ms[1]
  }' "$work/rtmp.sum" "$work/http-flv.sum"
