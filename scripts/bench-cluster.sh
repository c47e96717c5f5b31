#!/usr/bin/env bash
# The cost of one edge hop, measured as a user would deploy it: an origin relay and two
# edge relays (`relay --pull-from`), each its own process (tokio, --threads 1), and the
# `load` example publishing a synthetic stream (frames carry their send time) to the
# origin while its players play from the origin and from both edges in the same run.
#
#   cluster: origin serves the two edges + ORIGIN_PLAYERS players; each edge EDGE_PLAYERS.
#   flat:    origin serves ORIGIN_PLAYERS + 2 players (as many connections as in the
#            cluster run), no edges.
#
# Reports, per round and run: latency p50/p99 of the players on the origin and on the
# edges (the edge hop is their difference), and the origin's CPU (user/system) over the
# run: with edges it should equal the flat run's, whatever the edges serve.
#
#   ROUNDS=3 DURATION=15 EDGE_PLAYERS=100 ORIGIN_PLAYERS=2 KBPS=3000 bash scripts/bench-cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-15}
EDGE_PLAYERS=${EDGE_PLAYERS:-100}
ORIGIN_PLAYERS=${ORIGIN_PLAYERS:-2}
KBPS=${KBPS:-3000}
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release -q -p rtmp-tokio --example relay --example load
RELAY="$TARGET/release/examples/relay"
LOAD="$TARGET/release/examples/load"
HZ=$(getconf CLK_TCK)
O=127.0.0.1:19450; E1=127.0.0.1:19451; E2=127.0.0.1:19452

utime() { awk '{print $14}' "/proc/$1/stat"; }
stime() { awk '{print $15}' "/proc/$1/stat"; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start_relay() { "$RELAY" --stats-interval 0 "$@" >/dev/null 2>&1 & pids+=($!); }

run() { # $1 = cluster|flat, $2 = round
  local mode=$1 round=$2 origin u0 s0 u1 s1
  pids=()
  start_relay --listen $O
  origin=${pids[0]}
  if [ "$mode" = cluster ]; then
    start_relay --listen $E1 --pull-from "rtmp://$O/{app}/{stream}"
    start_relay --listen $E2 --pull-from "rtmp://$O/{app}/{stream}"
  fi
  sleep 0.3
  u0=$(utime "$origin"); s0=$(stime "$origin")
  if [ "$mode" = cluster ]; then
    # The publisher's process deals ORIGIN_PLAYERS players to each of the origin and
    # the edges (latency measured in one clock); two more fill the edges up.
    "$LOAD" --url "rtmp://$O/live/b" --publish --kbps "$KBPS" --duration "$DURATION" \
      --players $((3 * ORIGIN_PLAYERS)) --play-url "rtmp://$O/live/b" \
      --play-url "rtmp://$E1/live/b" --play-url "rtmp://$E2/live/b" > /tmp/bench-cluster-main.txt &
    local main=$!
    sleep 1.5
    local rest=$((EDGE_PLAYERS - ORIGIN_PLAYERS))
    "$LOAD" --url "rtmp://$E1/live/b" --players "$rest" --duration $((DURATION - 2)) > /tmp/bench-cluster-e1.txt &
    local fill1=$!
    "$LOAD" --url "rtmp://$E2/live/b" --players "$rest" --duration $((DURATION - 2)) > /tmp/bench-cluster-e2.txt &
    local fill2=$!
    wait "$main" "$fill1" "$fill2"
  else
    "$LOAD" --url "rtmp://$O/live/b" --publish --kbps "$KBPS" --duration "$DURATION" \
      --players $((ORIGIN_PLAYERS + 2)) > /tmp/bench-cluster-main.txt
  fi
  u1=$(utime "$origin"); s1=$(stime "$origin")
  printf '%s round %s: origin CPU user %.2f s system %.2f s\n' "$mode" "$round" \
    "$(echo "($u1 - $u0) / $HZ" | bc -l)" "$(echo "($s1 - $s0) / $HZ" | bc -l)"
  grep -E '^(URL|SUMMARY|players)' /tmp/bench-cluster-main.txt | sed 's/^/  /'
  if [ "$mode" = cluster ]; then
    grep -h '^SUMMARY' /tmp/bench-cluster-e1.txt /tmp/bench-cluster-e2.txt | sed 's/ latency_samples=.*connect_p50/ connect_p50/; s/^/  edge fill: /'
  fi
  cleanup
  sleep 0.5
}

for r in $(seq "$ROUNDS"); do
  run cluster "$r"
  run flat "$r"
done
