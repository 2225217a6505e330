#!/usr/bin/env bash
# All speed targets in one run (not a test): nginx big/split/one-file in human and JSON output, compose
# 2,000 and 10,000 services, and the php-fpm 1,000-pool in-process bench. Prints CPU (perf stat task-clock,
# 10 runs), wall (hyperfine -N, warmup 3) and peak RSS (/usr/bin/time -v). Figures go in docs/bench.md.
#
#   bash benches/run.sh
#
# Needs python3, hyperfine, perf and /usr/bin/time; the generators in ../shared/tools.
set -uo pipefail  # wirelint exits 1 when it finds something
cd "$(dirname "$0")/.."
tools=../shared/tools
[ -f "$tools/gen_big_nginx.py" ] || { echo "benches/run.sh: $tools not found" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/wirelint-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
bin=$PWD/target/release/wirelint
python3 "$tools/gen_big_nginx.py" --out "$work/big/nginx.conf" >/dev/null
python3 "$tools/gen_big_nginx.py" --split --out "$work/big-split/nginx.conf" >/dev/null
mkdir -p "$work/c2k" "$work/c10k"
python3 "$tools/gen_big_compose.py" 2000 "$work/c2k/docker-compose.yml" >/dev/null
python3 "$tools/gen_big_compose.py" 10000 "$work/c10k/docker-compose.yml" >/dev/null
one=fixtures/nginx/N000-syntax-error/good.conf

echo "== $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for args in "check $work/big/nginx.conf" "check --format json $work/big/nginx.conf" \
  "check $work/big-split" "check --format json $work/big-split" \
  "check $work/c2k/docker-compose.yml" "check --format json $work/c2k/docker-compose.yml" \
  "check $work/c10k/docker-compose.yml" "check --format json $work/c10k/docker-compose.yml" \
  "check $one"; do
  # shellcheck disable=SC2086
  cpu=$(perf stat -r 10 -e task-clock "$bin" $args 2>&1 >/dev/null | awk '/task-clock/ {print $1 " ms"}') 
  # shellcheck disable=SC2086
  rss=$(/usr/bin/time -v "$bin" $args 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}')
  echo "== wirelint ${args//$work\//}: CPU ${cpu}, peak RSS ${rss} KB"
  hyperfine -N -i --warmup 3 --runs 20 --style basic "$bin $args" 2>/dev/null | grep -E 'Time|Range'
done
echo "== php-fpm (in-process)"
cargo bench --quiet --bench phpfpm 2>/dev/null
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
