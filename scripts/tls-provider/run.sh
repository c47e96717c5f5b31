#!/usr/bin/env bash
# rustls's ring and aws-lc-rs providers on this machine: clean release build time of each
# (the same crate, only the provider differs) and its speed (src/main.rs). Run on a quiet
# machine; prints one line per provider and build.
set -euo pipefail
cd "$(dirname "$0")"
for p in ring aws-lc-rs; do
  dir=$(mktemp -d)
  start=$(date +%s.%N)
  CARGO_TARGET_DIR=$dir cargo build --release -q --features "$p"
  end=$(date +%s.%N)
  printf '%s: clean release build %.0f s (%s cores)\n' "$p" "$(echo "$end - $start" | bc -l)" "$(nproc)"
  for _ in 1 2; do "$dir/release/tls-provider-bench"; done
  rm -rf "$dir"
done
