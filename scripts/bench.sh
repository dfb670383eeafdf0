#!/usr/bin/env bash
# npm run bench [-- FLAGS]: every client through every scenario, side by side, in one
# run (bench/harness/run.ts; what it measures: bench/harness/PROTOCOL.md).
#
# It does its own set-up, each step cached after the first time:
#   - scripts/setup.sh when Bun, Deno or librdkafka is missing;
#   - the C programs (bench/native/bench.c, mock.c) with the system compiler against
#     the system librdkafka: the ceiling, librdkafka without any FFI;
#   - the JavaScript peers into bench/.peers/ (bench/peers.sh; not project
#     dependencies): a peer that cannot install gets a row that says why;
#   - a real Kafka broker (scripts/kafka.sh) when the kafka tier runs and
#     KAFKA_BOOTSTRAP is not set; stopped at the end if this script started it.
#
#   npm run bench                          # the full run (about an hour on 2 cores)
#   npm run bench -- --smoke               # tiny counts, 1 repetition (CI)
#   npm run bench -- --write               # also update docs/BENCHMARKS.md and its charts
#   npm run bench -- --tiers mock --clients c,kafka-fast@bun --scenarios produce --sizes 100
#
# FLAGS are run.ts's (see its header). Results go to bench/results/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x node_modules/.bin/bun ] && [ -x node_modules/.bin/deno ] && [ -f /usr/include/librdkafka/rdkafka.h ] ||
  bash scripts/setup.sh

mkdir -p bench/native/build bench/.peers
for prog in bench mock; do
  gcc -O2 -Wall -o "bench/native/build/$prog" "bench/native/$prog.c" -lrdkafka
done

# The peers' status lines (peer/runtime/missing) are what the harness reads.
if ! bash bench/peers.sh >bench/.peers/status.new 2>bench/.peers/install.log; then
  echo "bench: bench/peers.sh failed; peers it did not report are shown as not installed (bench/.peers/install.log)" >&2
fi
mv bench/.peers/status.new bench/.peers/status
grep '^missing' bench/.peers/status >&2 || true

tiers=kafka,mock
prev=
for a in "$@"; do
  [ "$prev" = --tiers ] && tiers=$a
  prev=$a
done

started_broker=0
stop_broker() { [ $started_broker = 1 ] && bash scripts/kafka.sh down >/dev/null 2>&1 || true; }
trap stop_broker EXIT
if [[ ",$tiers," == *",kafka,"* ]] && [ -z "${KAFKA_BOOTSTRAP:-}" ]; then
  bash scripts/kafka.sh status >/dev/null 2>&1 || { started_broker=1; bash scripts/kafka.sh up >&2; }
  eval "$(bash scripts/kafka.sh env)"
fi

node_modules/.bin/bun bench/harness/run.ts "$@"
