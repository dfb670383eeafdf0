#!/usr/bin/env bash
# Producer throughput of kafka-fast (Bun, Deno) against librdkafka driven from C,
# measured in one run, in alternating order (C, Bun, Deno, C, Bun, Deno, …), so the
# ratios hold on a noisy machine. Each run uses its own in-process mock cluster.
#
#   bash bench/compare.sh [REPS] [SIZES]      e.g. bash bench/compare.sh 3 100,1024
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
SIZES=${2:-100,1024,10240}
BUN=node_modules/.bin/bun DENO=node_modules/.bin/deno
mkdir -p bench/native/build
gcc -O2 -Wall -o bench/native/build/produce bench/native/produce.c -lrdkafka

count() { case $1 in 100) echo 1000000 ;; 1024) echo 300000 ;; *) echo 50000 ;; esac; }
# The msg/s of one mode ("send" or "sendMulti") from bench/produce.ts's table.
ts_rate() { grep -E "^\| *[0-9]+ (B|KiB) *\| *$2 *\|" "$1" | awk -F'|' '{gsub(/[ ,]/, "", $5); print $5}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

out=$(mktemp -d)
for size in ${SIZES//,/ }; do
  n=$(count "$size")
  for rep in $(seq "$REPS"); do
    bench/native/build/produce "$n" "$size" 1 2>/dev/null | sed -E 's/.*msg\/s=([0-9]+).*/\1/' >>"$out/c-$size"
    $BUN bench/produce.ts --sizes "$size" --reps 1 >"$out/run" 2>&1
    ts_rate "$out/run" send >>"$out/bun-send-$size"; ts_rate "$out/run" sendMulti >>"$out/bun-multi-$size"
    $DENO run -A bench/produce.ts --sizes "$size" --reps 1 >"$out/run" 2>&1
    ts_rate "$out/run" send >>"$out/deno-send-$size"; ts_rate "$out/run" sendMulti >>"$out/deno-multi-$size"
    echo "  size $size rep $rep done" >&2
  done
done

echo "# producer throughput vs librdkafka from C (medians of $REPS alternating runs, msg/s)"
echo "librdkafka $(dpkg-query -W -f '${Version}' librdkafka1 2>/dev/null || echo '?'); Bun $($BUN --version); $($DENO --version | head -1)"
echo ""
echo "| value | C (no FFI) | Bun send | Bun sendMulti | Deno send | Deno sendMulti |"
echo "|------:|-----------:|---------:|--------------:|----------:|---------------:|"
for size in ${SIZES//,/ }; do
  c=$(median <"$out/c-$size")
  row="| $size B | $c"
  for k in bun-send bun-multi deno-send deno-multi; do
    v=$(median <"$out/$k-$size")
    row="$row | $v ($(awk -v a="$v" -v b="$c" 'BEGIN {printf "%.2f", a / b}')x)"
  done
  echo "$row |"
done
rm -rf "$out"
