#!/usr/bin/env bash
# Runs the same load against nginx-rtmp and our relay and prints server CPU per delivered MB,
# latency, connect timing and memory per idle connection. Loopback only; every run is bounded
# in time.
#
#   scripts/compare-nginx.sh [players] [seconds] [idle-connections]   # load run + idle memory
#   scripts/compare-nginx.sh idle [idle-connections]                  # idle memory only
#
# Idle memory: `load --idle` opens N connections that connect and sit; once all have their
# connect `_result` the server's RSS growth / N is taken (on a fresh server). Connect timing:
# TCP connect to connect `_result` (and to Play.Start in the load run), p50/p99 over players.
#
# RELAY_ARGS adds flags to our relay (e.g. RELAY_ARGS="--threads 2"); RELAY_BIN runs another
# build of it (for before/after comparisons); ROUNDS=n measures both servers n times,
# alternating, so a background load that comes and goes hits both alike. CPU is also split
# into user and system time (from /proc/<pid>/stat; the kernel samples that split per tick,
# so it is rougher than the total).
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
# Needs: nginx with libnginx-mod-rtmp (apt-get install nginx libnginx-mod-rtmp), and for
# TLS=1 libnginx-mod-stream and openssl (scripts/install-test-deps.sh installs them).
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

# Where the load goes: plain RTMP, or with TLS=1 the TLS ports in front of the same servers.
scheme=rtmp nginx_port=19400 relay_port=19401 load_tls=() relay_tls=() stream_module= stream=
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
worker_rlimit_nofile 20000;
daemon on;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 16384; }
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

measure() { # name pid port
  local name=$1 pid=$2 port=$3
  local before after sys_before sys_after out bytes
  before=$(cpu_ticks "$pid")
  sys_before=$(sys_ticks "$pid")
  out=$("${load_cpu[@]}" "$bin/load" --url "$scheme://127.0.0.1:$port/live/bench$round" "${load_tls[@]}" --players "$players" --duration "$secs" --publish | tee /dev/stderr | grep SUMMARY)
  after=$(cpu_ticks "$pid")
  sys_after=$(sys_ticks "$pid")
  bytes=$(field delivered_bytes "$out")
  awk -v n="$name" -v c=$((after - before)) -v t="$tck" -v sy=$((sys_after - sys_before)) -v b="$bytes" -v s="$out" 'BEGIN {
    split(s, f, " "); for (k in f) { split(f[k], kv, "="); v[kv[1]] = kv[2] }
    printf "%-10s cpu %.2f ms/MB (user %.2f sys %.2f)  delivered %.0f MB  latency p50 %.2f ms p99 %.2f ms  ttff p99 %.1f ms  connect p50/p99 %.2f/%.2f ms  play start p50/p99 %.2f/%.2f ms  dropped %s\n",
      n, (c / t * 1000) / (b / 1e6), ((c - sy) / t * 1000) / (b / 1e6), (sy / t * 1000) / (b / 1e6), b / 1e6, v["latency_p50_us"] / 1000, v["latency_p99_us"] / 1000, v["ttff_p99_us"] / 1000,
      v["connect_p50_us"] / 1000, v["connect_p99_us"] / 1000, v["play_p50_us"] / 1000, v["play_p99_us"] / 1000, v["dropped"] }'
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

echo "players=$players seconds=$secs idle=$idle relay_args=${RELAY_ARGS:-} rounds=${ROUNDS:-1} pin=${PIN:-0} rps=${RPS:-0} tls=${TLS:-0}" >&2
# Idle memory first, while both servers are fresh (after a load run, freed memory is reused
# and the growth would be understated).
idle_run nginx-rtmp "$nginx_worker" "$nginx_port"
idle_run rtmp-tokio "$relay_pid" "$relay_port"
if [ "$mode" = full ]; then
  for round in $(seq 1 "${ROUNDS:-1}"); do
    measure nginx-rtmp "$nginx_worker" "$nginx_port"
    measure rtmp-tokio "$relay_pid" "$relay_port"
  done
fi
idle_line nginx-rtmp
idle_line rtmp-tokio
