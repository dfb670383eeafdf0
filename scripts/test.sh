#!/usr/bin/env bash
# The README's second command: set up, then run every test file on Bun and on Deno,
# one process per file and runtime (GC and leak tests need their own process, and
# a crash then names its file). Ends with one "N passed, N failed" line.
#   scripts/test.sh                 all tests
#   scripts/test.sh test/x.test.ts  some files
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1

BUN=node_modules/.bin/bun
DENO=node_modules/.bin/deno
files=("$@")
[ ${#files[@]} -gt 0 ] || mapfile -t files < <(ls test/*.test.ts)

passed=0 failed=0 failures=()
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

echo "--- static checks (deno check, deno lint)"
if ! $DENO check src/mod.ts ffi/deno.ts examples/*.ts bench/*.ts test/*.ts test/helpers/*.ts; then
  failed=$((failed + 1)); failures+=("deno check")
fi
if ! $DENO lint >/dev/null 2>&1; then
  $DENO lint 2>&1 | tail -20; failed=$((failed + 1)); failures+=("deno lint")
fi

out=$(mktemp)
for f in "${files[@]}"; do
  for rt in bun deno; do
    start=$(date +%s)
    if [ $rt = bun ]; then
      timeout 600 $BUN test "$f" >"$out" 2>&1; rc=$?
    else
      timeout 600 $DENO test -A --v8-flags=--expose-gc "$f" >"$out" 2>&1; rc=$?
    fi
    read -r p fl < <(count "$out" $rt)
    passed=$((passed + p)); failed=$((failed + fl))
    if [ $rc -ne 0 ]; then
      [ "$fl" -gt 0 ] || failed=$((failed + 1)) # a crash or a timeout counts as a failure
      failures+=("$rt $f (exit $rc)")
      cat "$out"
    fi
    printf '%-5s %-40s %3s passed %3s failed  %ss%s\n' $rt "$f" "$p" "$fl" $(( $(date +%s) - start )) \
      "$([ $rc -ne 0 ] && echo "  exit $rc")"
  done
done
# The demo and the benchmark must keep running: tiny counts, both runtimes.
smoke() { # $1 = label, rest = command
  local label=$1; shift
  if timeout 300 "$@" >"$out" 2>&1; then
    passed=$((passed + 1)); echo "ok    $label"
  else
    failed=$((failed + 1)); failures+=("$label"); cat "$out"; echo "FAIL  $label"
  fi
}
if [ ${#@} -eq 0 ]; then
  smoke "bun demo --count 20000" $BUN examples/demo.ts --count 20000
  smoke "deno demo --count 20000" $DENO run -A examples/demo.ts --count 20000
  smoke "bun bench --smoke" $BUN bench/produce.ts --smoke
  smoke "deno bench --smoke" $DENO run -A bench/produce.ts --smoke
fi
rm -f "$out"

for x in "${failures[@]}"; do echo "FAILED: $x"; done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
