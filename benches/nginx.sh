#!/usr/bin/env bash
# nginx speed benchmark (not a test): `wirelint check` on the generated 5.1 MB configuration, on the same
# content split into 2,000 included files, and on a one-file configuration. Wall time with hyperfine,
# peak RSS with /usr/bin/time -v. Results go in docs/bench-nginx.md.
#
#   bash benches/nginx.sh            # builds the release binary first
#
# Needs python3, hyperfine and /usr/bin/time. Targets: big ≤ 30 ms and ≤ 64 MB peak RSS; one file ≤ 5 ms.
set -euo pipefail
cd "$(dirname "$0")/.."
gen=../shared/tools/gen_big_nginx.py
[ -f "$gen" ] || { echo "benches/nginx.sh: $gen not found (the shared tools sit beside the repository)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/wirelint-nginx-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
bin=target/release/wirelint
python3 "$gen" --out "$work/big/nginx.conf" >/dev/null
python3 "$gen" --split --out "$work/big-split/nginx.conf" >/dev/null
one=fixtures/nginx/N000-syntax-error/good.conf

echo "== $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== sizes: $(du -b "$work/big/nginx.conf" | cut -f1) bytes; split: $(find "$work/big-split" -type f | wc -l) files"
hyperfine -N --warmup 3 --runs 30 \
  "$bin check $work/big/nginx.conf" \
  "$bin check $work/big-split" \
  "$bin check $one"
for target in "$work/big/nginx.conf" "$work/big-split" "$one"; do
  rss=$(/usr/bin/time -v "$bin" check "$target" 2>&1 >/dev/null | awk -F': ' '/Maximum resident/ {print $2}')
  echo "peak RSS $(basename "$target"): ${rss} KB"
done
