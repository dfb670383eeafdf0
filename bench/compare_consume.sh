#!/usr/bin/env bash
# Consumer throughput of kafka-fast (Bun, Deno) against librdkafka's consumer driven
# from C, measured in one run, in alternating order (C, Bun, Deno, C, Bun, Deno, …),
# so the ratios hold on a noisy machine. Each run uses its own in-process mock
# cluster, pre-produces the messages, then reads them from offset 0 with assign().
#
#   bash bench/compare_consume.sh [REPS] [SIZES] [QUEUE] [PREFILL_MS]   e.g. bash bench/compare_consume.sh 3 100,1024 big
#
# QUEUE is "big" (default: the prefetch queue holds the whole data set) or "default"
# (librdkafka's defaults, with 2.0.2's up-to-1-s fetch backoff); see bench/consume.ts.
# PREFILL_MS (default 0) starts reading that long after assign(): with QUEUE=big the
# data is then fetched already, and the figures compare the clients' own cost.
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-3}
SIZES=${2:-100,1024,10240}
QUEUE=${3:-big}
PREFILL=${4:-0}
BUN=node_modules/.bin/bun DENO=node_modules/.bin/deno
MODES=(batch-copy batch-zc read iter)
mkdir -p bench/native/build
gcc -O2 -Wall -o bench/native/build/consume bench/native/consume.c -lrdkafka -lm

# Messages per run: the same as countFor() in bench/consume.ts.
count() { if [ "$1" -le 100 ]; then echo 1000000; else
  awk -v s="$1" 'BEGIN { n = int(2e8 / s); if (n < 400) n = 400; if (n > 1000000) n = 1000000; print n }'; fi; }
# The msg/s of one mode from bench/consume.ts's table.
ts_rate() { grep -E "^\| *[0-9]+ (B|KiB) *\| *$2 *\|" "$1" | awk -F'|' '{gsub(/[ ,]/, "", $5); print $5}'; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for size in ${SIZES//,/ }; do
  n=$(count "$size")
  for rep in $(seq "$REPS"); do
    bench/native/build/consume "$n" "$size" 1 "$QUEUE" "$PREFILL" 2>/dev/null | sed -E 's/.*msg\/s=([0-9]+).*/\1/' >>"$out/c-$size"
    for rt in bun deno; do
      if [ $rt = bun ]; then cmd=("$BUN" bench/consume.ts); else cmd=("$DENO" run -A bench/consume.ts); fi
      env -u KAFKA_BOOTSTRAP "${cmd[@]}" --sizes "$size" --reps 1 --queue "$QUEUE" --prefill "$PREFILL" >"$out/run" 2>&1 ||
        { cat "$out/run" >&2; exit 1; }
      for m in "${MODES[@]}"; do ts_rate "$out/run" "$m" >>"$out/$rt-$m-$size"; done
    done
    echo "  size $size rep $rep done" >&2
  done
done

echo "# consumer throughput vs librdkafka from C (medians of $REPS alternating runs, msg/s; prefetch queue: $QUEUE; prefill: $PREFILL ms)"
echo "librdkafka $(dpkg-query -W -f '${Version}' librdkafka1 2>/dev/null || echo '?'); Bun $($BUN --version); $($DENO --version | head -1)"
echo ""
head="| value | C (no FFI)" sep="|------:|-----------:"
for rt in Bun Deno; do for m in "${MODES[@]}"; do head="$head | $rt $m"; sep="$sep|------:"; done; done
echo "$head |"
echo "$sep|"
for size in ${SIZES//,/ }; do
  c=$(median <"$out/c-$size")
  row="| $size B | $c"
  for rt in bun deno; do
    for m in "${MODES[@]}"; do
      v=$(median <"$out/$rt-$m-$size")
      row="$row | $v ($(awk -v a="$v" -v b="$c" 'BEGIN {printf "%.2f", a / b}')x)"
    done
  done
  echo "$row |"
done
