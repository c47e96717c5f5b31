#!/usr/bin/env bash
# Builds every cargo-fuzz target and runs each for a few seconds (no sanitizer, stable
# toolchain). Longer campaigns: `cargo fuzz run -s none T -- -max_total_time=600`.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-15}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz"
  cargo install cargo-fuzz --locked --quiet
fi

# The workspace's release profile links with fat LTO, which would make building eleven fuzz
# binaries several times slower for a smoke run; the targets are built without it.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16

targets=$(cargo fuzz list)
cargo fuzz build -s none --release $targets >/dev/null 2>&1 || cargo fuzz build -s none --release
for t in $targets; do
  mkdir -p "fuzz/corpus/$t"
  # Work on a scratch copy so the committed seed corpus stays small.
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$t/." "$work/" 2>/dev/null || true
  echo "fuzz $t for ${secs}s"
  cargo fuzz run -s none "$t" "$work" -- -max_total_time="$secs" -use_value_profile=1 \
    -print_final_stats=0 2>&1 | tail -n 2
  rm -rf "$work"
done
