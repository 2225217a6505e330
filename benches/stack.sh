#!/usr/bin/env bash
# Stack speed benchmark (not a test): `wirelint check` on the demo stacks (one compose project each, with
# nginx and php-fpm configs placed into services) and on the whole shared corpus. Results in docs/corpus.md.
#
#   bash benches/stack.sh            # builds the release binary first
#
# Targets: a single stack ≤ 20 ms; the corpus ≤ 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/wirelint
echo "== $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -i --warmup 5 --runs 200 \
  "$bin check fixtures/demo" \
  "$bin check fixtures/demo-pinned" \
  "$bin check fixtures/demo-flask"
if [ -d ../shared/corpus ]; then
  hyperfine -N -i --warmup 1 --runs 10 "$bin check ../shared/corpus"
fi
