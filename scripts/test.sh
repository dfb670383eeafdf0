#!/usr/bin/env bash
# The README's second command: set up, then run every test file on Bun and on Deno,
# one process per file and runtime (GC and leak tests need their own process, and
# a crash then names its file). Ends with one "N passed, N failed" line.
#   scripts/test.sh                 all tests
#   scripts/test.sh test/x.test.ts  some files
#
# Two tiers (see test/helpers/cluster.ts):
#   mock   every file, with KAFKA_BOOTSTRAP unset: integration tests use librdkafka's
#          mock cluster. Then the demo and the benchmark (tiny counts).
#   kafka  a real Apache Kafka broker (scripts/kafka.sh up: fetched from Maven Central
#          into .cache/ on first use), with `scripts/kafka.sh env` exported: the files
#          that use testCluster() run again, labelled "bun+kafka", "deno+kafka"; files
#          that read KAFKA_BOOTSTRAP without testCluster() (security) run only here.
#          The broker is stopped at the end (also on failure or Ctrl-C) if this
#          script started it. A broker that fails to start counts as a failure.
# TEST_TIERS=mock or TEST_TIERS=kafka runs one tier only (default: "mock kafka").
#
# Two librdkafka versions: Debian's (2.0.2) first, then 2.12.0, built once from npm's
# node-rdkafka source into .cache/ (scripts/librdkafka.sh, ~2 min) and loaded through
# KAFKA_FAST_LIBRDKAFKA: every file runs again on both tiers, labelled "+2.12".
# TEST_LIBS=system or TEST_LIBS=2.12 runs one only (default: "system 2.12"). A
# KAFKA_FAST_LIBRDKAFKA set by the caller is the "system" library.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

BUN=node_modules/.bin/bun
DENO=node_modules/.bin/deno
TIERS=${TEST_TIERS:-mock kafka}
LIBS=${TEST_LIBS:-system 2.12}
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(ls test/*.test.ts)

# The tiers a file runs on: a line "// tiers: mock kafka", "// tiers: kafka" or
# "// tiers: mock" says so; else testCluster() → both; the broker's environment read
# directly (KAFKA_BOOTSTRAP) or a broker of its own (scripts/kafka.sh, failover) →
# kafka only; anything else → mock only.
tiers_of() {
  if grep -qE '^// tiers: mock kafka$' "$1"; then echo "mock kafka"
  elif grep -qE '^// tiers: kafka$' "$1"; then echo "kafka"
  elif grep -qE '^// tiers: mock$' "$1"; then echo "mock"
  elif grep -qE 'testCluster\(' "$1"; then echo "mock kafka"
  elif grep -qE 'KAFKA_BOOTSTRAP|scripts/kafka\.sh' "$1"; then echo "kafka"
  else echo "mock"; fi
}
mock_files=() kafka_files=()
for f in "${files[@]}"; do
  t=$(tiers_of "$f")
  [[ " $t " == *" mock "* && " $TIERS " == *" mock "* ]] && mock_files+=("$f")
  [[ " $t " == *" kafka "* && " $TIERS " == *" kafka "* ]] && kafka_files+=("$f")
done

passed=0 failed=0 failures=() LABEL_SUFFIX=
count() { # $1 = output file, $2 = runtime
  local p f
  if [ "$2" = bun ]; then
    p=$(grep -Eo '^ *[0-9]+ pass' "$1" | tail -1 | grep -Eo '[0-9]+')
    f=$(grep -Eo '^ *[0-9]+ fail' "$1" | tail -1 | grep -Eo '[0-9]+')
  else
    # "ok | 5 passed (16 steps) | 0 failed": count the steps (node:test's it()) when given.
    local line; line=$(sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E '^(ok|FAILED) \|' | tail -1)
    p=$(grep -Eo '[0-9]+ passed( \([0-9]+ steps?\))?' <<<"$line" | grep -Eo '[0-9]+' | tail -1)
    f=$(grep -Eo '[0-9]+ failed( \([0-9]+ steps?\))?' <<<"$line" | grep -Eo '[0-9]+' | tail -1)
  fi
  echo "${p:-0} ${f:-0}"
}

echo "--- static checks (deno check, deno lint, the layout: no import circle, the layer rule of src/README.md)"
if ! $DENO check src/mod.ts ffi/deno.ts examples/*.ts examples/gateway/*.ts bench/*.ts bench/gateway/*.ts bench/harness/*.ts bench/workers/*.ts bench/soak/*.ts scripts/*.ts test/*.ts test/helpers/*.ts test/fuzz/*.ts; then
  failed=$((failed + 1)); failures+=("deno check")
fi
if ! $DENO run --allow-read scripts/check_layout.ts; then
  failed=$((failed + 1)); failures+=("layout check")
fi
if ! $DENO lint >/dev/null 2>&1; then
  $DENO lint 2>&1 | tail -20; failed=$((failed + 1)); failures+=("deno lint")
fi

out=$(mktemp)
# The key lines of every failure, printed again at the very end: a long run's log is
# often read from its tail only.
digest=$(mktemp)
note_failure() { # $1 = label; the output is in $out
  { echo "--- $1"
    sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -E -i 'violation|hang|assert|error|fail|panic|signal|abort|expected|actual|timed? ?out' |
      grep -v -E '^(ok|FAILED) \|' | tail -12 | cut -c1-300
  } >>"$digest"
}
# The broker is stopped on any exit if this script started it.
started_broker=0
stop_broker() {
  [ $started_broker = 1 ] || return 0
  started_broker=0
  bash scripts/kafka.sh down || true
}
# Each test process runs in the background and is waited for, so that Ctrl-C or a
# TERM interrupts the wait at once: the trap ends that process, then the EXIT trap
# stops the broker.
child=
on_signal() { # $1 = exit status
  [ -z "$child" ] || kill -TERM "$child" 2>/dev/null
  exit "$1"
}
trap 'rm -f "$out" "$digest"; stop_broker' EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

run_files() { # $1 = tier, rest = files
  local tier=$1 label f rt start rc p fl; shift
  for f in "$@"; do
    for rt in bun deno; do
      label=$rt; [ "$tier" = kafka ] && label=$rt+kafka
      label=$label$LABEL_SUFFIX
      start=$(date +%s)
      local envs=()
      [ "$tier" = mock ] && envs=(env -u KAFKA_BOOTSTRAP)
      if [ $rt = bun ]; then
        # --timeout also covers hooks, which Bun otherwise stops at 5 s (docs/runtime-bugs.md).
        timeout 600 "${envs[@]}" $BUN test --timeout 120000 "$f" >"$out" 2>&1 &
      else
        timeout 600 "${envs[@]}" $DENO test -A --v8-flags=--expose-gc "$f" >"$out" 2>&1 &
      fi
      child=$!; wait "$child"; rc=$?; child=
      read -r p fl < <(count "$out" $rt)
      passed=$((passed + p)); failed=$((failed + fl))
      if [ $rc -ne 0 ]; then
        [ "$fl" -gt 0 ] || failed=$((failed + 1)) # a crash or a timeout counts as a failure
        failures+=("$label $f (exit $rc)")
        cat "$out"
        note_failure "$label $f (exit $rc)"
      fi
      printf '%-16s %-48s %3s passed %3s failed  %ss%s\n' "$label" "$f" "$p" "$fl" $(( $(date +%s) - start )) \
        "$([ $rc -ne 0 ] && echo "  exit $rc")"
    done
  done
}

# The demo and the benchmark must keep running: tiny counts, both runtimes.
smoke() { # $1 = label, rest = command
  local label=$1; shift
  if timeout "${SMOKE_TIMEOUT:-300}" "$@" >"$out" 2>&1; then
    passed=$((passed + 1)); echo "ok    $label"
  else
    failed=$((failed + 1)); failures+=("$label"); cat "$out"; echo "FAIL  $label"
    note_failure "$label"
  fi
}
smokes() {
  smoke "bun demo --count 20000$LABEL_SUFFIX" env -u KAFKA_BOOTSTRAP $BUN examples/demo.ts --count 20000
  smoke "deno demo --count 20000$LABEL_SUFFIX" env -u KAFKA_BOOTSTRAP $DENO run -A examples/demo.ts --count 20000
  smoke "bun admin example$LABEL_SUFFIX" env -u KAFKA_BOOTSTRAP $BUN examples/admin.ts
  smoke "deno admin example$LABEL_SUFFIX" env -u KAFKA_BOOTSTRAP $DENO run -A examples/admin.ts
  # Soak (tiny counts): descriptors, threads and client slots back to their start after create/close cycles of every
  # client kind, and a stream delivered exactly once; on both libraries (bench/soak/README.md).
  smoke "bun soak cycles --smoke$LABEL_SUFFIX" env -u KAFKA_BOOTSTRAP $BUN bench/soak/cycles.ts --smoke
  smoke "deno soak cycles --smoke$LABEL_SUFFIX" env -u KAFKA_BOOTSTRAP $DENO run -A --v8-flags=--expose-gc bench/soak/cycles.ts --smoke
  smoke "bun soak stream --smoke$LABEL_SUFFIX" env -u KAFKA_BOOTSTRAP $BUN bench/soak/stream.ts --smoke
  smoke "deno soak stream --smoke$LABEL_SUFFIX" env -u KAFKA_BOOTSTRAP $DENO run -A --v8-flags=--expose-gc bench/soak/stream.ts --smoke
  [ -n "$LABEL_SUFFIX" ] && return 0 # the benchmarks' smoke runs once, on the system library
  smoke "bun bench --smoke" env -u KAFKA_BOOTSTRAP $BUN bench/produce.ts --smoke
  smoke "deno bench --smoke" env -u KAFKA_BOOTSTRAP $DENO run -A bench/produce.ts --smoke
  smoke "bun consume bench --smoke" env -u KAFKA_BOOTSTRAP $BUN bench/consume.ts --smoke
  smoke "deno consume bench --smoke" env -u KAFKA_BOOTSTRAP $DENO run -A bench/consume.ts --smoke
  smoke "bun transactions bench --smoke" env -u KAFKA_BOOTSTRAP $BUN bench/transactions.ts --smoke
  smoke "deno transactions bench --smoke" env -u KAFKA_BOOTSTRAP $DENO run -A bench/transactions.ts --smoke
  smoke "bun consume bench --smoke --rss" env -u KAFKA_BOOTSTRAP $BUN bench/consume.ts --smoke --rss 20000 \
    --rss-every 10000 --modes batch-zc,iter
  smoke "deno consume bench --smoke --rss" env -u KAFKA_BOOTSTRAP $DENO run -A bench/consume.ts --smoke --rss 20000 \
    --rss-every 10000 --modes batch-zc,iter
}

# Both tiers on the library in KAFKA_FAST_LIBRDKAFKA (or the system's when unset).
run_tiers() {
  if [ ${#mock_files[@]} -gt 0 ]; then
    echo "--- mock tier (librdkafka's mock cluster)$LABEL_SUFFIX"
    run_files mock "${mock_files[@]}"
  fi
  if [ ${#@} -eq 0 ] && [[ " $TIERS " == *" mock "* ]]; then smokes; fi
  [ ${#kafka_files[@]} -gt 0 ] || return 0
  echo "--- kafka tier (a real Apache Kafka broker: scripts/kafka.sh)$LABEL_SUFFIX"
  if [ $broker_ready = 0 ]; then
    was_running=0
    bash scripts/kafka.sh status >/dev/null 2>&1 && was_running=1
    [ $was_running = 1 ] || started_broker=1 # from here on, stop it on exit even if `up` fails halfway
    if start=$(date +%s) && timeout 900 bash scripts/kafka.sh up; then
      echo "kafka: ready after $(( $(date +%s) - start ))s"
      eval "$(bash scripts/kafka.sh env)"
      broker_ready=1
    else
      broker_ready=-1
      failed=$((failed + 1)); failures+=("scripts/kafka.sh up (the kafka tier did not run)")
      echo "FAIL  scripts/kafka.sh up: the kafka tier did not run (${#kafka_files[@]} files)"
    fi
  fi
  [ $broker_ready = 1 ] || return 0
  run_files kafka "${kafka_files[@]}"
  if [ ${#@} -eq 0 ]; then # the admin example on the real broker too (it creates topics there)
    smoke "bun+kafka admin example$LABEL_SUFFIX" $BUN examples/admin.ts
    smoke "deno+kafka admin example$LABEL_SUFFIX" $DENO run -A examples/admin.ts
  fi
  return 0
}

broker_ready=0
for lib in $LIBS; do
  case $lib in
    system) LABEL_SUFFIX= run_tiers "$@" ;;
    2.12)
      echo "--- librdkafka 2.12 (scripts/librdkafka.sh)"
      if newer=$(timeout 900 bash scripts/librdkafka.sh); then
        LABEL_SUFFIX=+2.12 KAFKA_FAST_LIBRDKAFKA=$newer run_tiers "$@"
      else
        failed=$((failed + 1)); failures+=("scripts/librdkafka.sh (the librdkafka 2.12 runs did not happen)")
      fi
      ;;
    *) echo "TEST_LIBS: unknown library '$lib' (system, 2.12)"; failed=$((failed + 1)) ;;
  esac
done
# The benchmark harness (npm run bench) with tiny counts, on every tier that ran,
# every client it can install: it must not rot. Its C programs and peers are built
# and installed here; node-rdkafka is the build scripts/librdkafka.sh made above.
if [ $# -eq 0 ]; then
  bench_tiers=mock
  [ $broker_ready = 1 ] && bench_tiers=kafka,mock
  [[ " $TIERS " == *" mock "* ]] || bench_tiers=kafka
  [ "$bench_tiers" = kafka ] && [ $broker_ready != 1 ] && bench_tiers=
  [ -z "$bench_tiers" ] || SMOKE_TIMEOUT=1200 smoke "bench harness --smoke --tiers $bench_tiers" \
    bash scripts/bench.sh --smoke --tiers "$bench_tiers" --out "$(mktemp -d)"
  # The sidecar comparison (bench/gateway/) on the real broker: both front ends, every variant.
  [ $broker_ready = 1 ] && SMOKE_TIMEOUT=600 smoke "gateway comparison --smoke" \
    $BUN bench/gateway/run.ts --smoke --runtime bun,deno --out "$(mktemp -d)"
fi
stop_broker

if [ -s "$digest" ]; then echo "--- the failures again, their key lines (full output above)"; cat "$digest"; fi
for x in "${failures[@]}"; do echo "FAILED: $x"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
