#!/usr/bin/env bash
# Runs the same load against nginx-rtmp and our relay and prints server CPU per delivered MB,
# latency, and memory per idle connection. Loopback only; every run is bounded in time.
#
#   scripts/compare-nginx.sh [players] [seconds] [idle-connections]
#
# RELAY_ARGS adds flags to our relay (e.g. RELAY_ARGS="--threads 2"); RELAY_BIN runs another
# build of it (for before/after comparisons); ROUNDS=n measures both servers n times,
# alternating, so a background load that comes and goes hits both alike. CPU is also split
# into user and system time (from /proc/<pid>/stat; the kernel samples that split per tick,
# so it is rougher than the total).
#
# Needs: nginx with libnginx-mod-rtmp (apt-get install nginx libnginx-mod-rtmp).
set -euo pipefail
cd "$(dirname "$0")/.."
players=${1:-100}
secs=${2:-15}
idle=${3:-200}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

cargo build --release -q -p rtmp-tokio --example load --example relay
bin=${CARGO_TARGET_DIR:-target}/release/examples

cat > "$work/nginx.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
worker_processes 1;
daemon on;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 4096; }
rtmp { server { listen 127.0.0.1:19400; application live { live on; } } }
CONF

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sys_ticks() { awk '{print $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
tck=$(getconf CLK_TCK)

idle_kib() { # pid port: RSS growth per idle connection, on a fresh server
  local pid=$1 port=$2 r0 r1
  r0=$(rss_kib "$pid")
  "$bin/load" --url "rtmp://127.0.0.1:$port/live/idle" --players "$idle" --duration 4 --idle >/dev/null &
  sleep 3
  r1=$(rss_kib "$pid")
  wait
  awk -v a="$r0" -v b="$r1" -v n="$idle" 'BEGIN { printf "%.1f", (b - a) / n }'
}

measure() { # name pid port idle-KiB
  local name=$1 pid=$2 port=$3 idle_per=$4
  local before after sys_before sys_after out bytes
  before=$(cpu_ticks "$pid")
  sys_before=$(sys_ticks "$pid")
  out=$("$bin/load" --url "rtmp://127.0.0.1:$port/live/bench$round" --players "$players" --duration "$secs" --publish | tee /dev/stderr | grep SUMMARY)
  after=$(cpu_ticks "$pid")
  sys_after=$(sys_ticks "$pid")
  bytes=$(sed -E 's/.*delivered_bytes=([0-9]+).*/\1/' <<<"$out")
  awk -v n="$name" -v c=$((after - before)) -v t="$tck" -v sy=$((sys_after - sys_before)) -v b="$bytes" -v s="$out" -v idle="$idle_per" 'BEGIN {
    split(s, f, " "); for (k in f) { split(f[k], kv, "="); v[kv[1]] = kv[2] }
    printf "%-10s cpu %.2f ms/MB (user %.2f sys %.2f)  delivered %.0f MB  latency p50 %.2f ms p99 %.2f ms  ttff p99 %.1f ms  idle %s KiB/conn  dropped %s\n",
      n, (c / t * 1000) / (b / 1e6), ((c - sy) / t * 1000) / (b / 1e6), (sy / t * 1000) / (b / 1e6), b / 1e6, v["latency_p50_us"] / 1000, v["latency_p99_us"] / 1000, v["ttff_p99_us"] / 1000, idle, v["dropped"] }'
}

nginx -c "$work/nginx.conf"
sleep 0.5
nginx_worker=$(pgrep -P "$(cat "$work/nginx.pid")" | head -n 1)
# shellcheck disable=SC2086 # RELAY_ARGS is a list of flags
"${RELAY_BIN:-$bin/relay}" --listen 127.0.0.1:19401 ${RELAY_ARGS:-} >"$work/relay.log" 2>&1 &
relay_pid=$!
sleep 0.5

echo "players=$players seconds=$secs idle=$idle relay_args=${RELAY_ARGS:-} rounds=${ROUNDS:-1}" >&2
# Idle memory first, while both servers are fresh (after a load run, freed memory is reused
# and the growth would be understated).
i_nginx=$(idle_kib "$nginx_worker" 19400)
i_ours=$(idle_kib "$relay_pid" 19401)
for round in $(seq 1 "${ROUNDS:-1}"); do
  measure nginx-rtmp "$nginx_worker" 19400 "$i_nginx"
  measure rtmp-tokio "$relay_pid" 19401 "$i_ours"
done
