#!/usr/bin/env bash
# Installs what kafka-fast needs on a fresh Debian/Ubuntu machine, and nothing that
# is already there: librdkafka (runtime + headers, for the offsets test), kcat and
# gcc (tests), a Java runtime, Maven and openssl (the real Kafka broker of the tests'
# kafka tier, scripts/kafka.sh), Node.js/npm (to fetch Bun and Deno from the npm
# registry), then the npm dev dependencies (bun, deno). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have_lib() { ldconfig -p 2>/dev/null | grep -q 'librdkafka.so.1 '; }
have_lib || need_apt+=(librdkafka1)
[ -f /usr/include/librdkafka/rdkafka.h ] || need_apt+=(librdkafka-dev)
command -v kcat >/dev/null || need_apt+=(kcat)
command -v gcc >/dev/null || need_apt+=(gcc libc6-dev)
command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need_apt+=(maven)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v npm >/dev/null || need_apt+=(nodejs npm)
command -v wrk >/dev/null || need_apt+=(wrk)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need_apt[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    echo "setup: missing ${need_apt[*]}; install them (e.g. sudo apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
fi

# Reinstall whenever package-lock.json changed since the last install.
stamp=node_modules/.kafka-fast-lock
if [ ! -x node_modules/.bin/bun ] || [ ! -x node_modules/.bin/deno ] || ! cmp -s package-lock.json "$stamp"; then
  echo "setup: installing bun, deno and type definitions from the npm registry"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
echo "setup: bun $(node_modules/.bin/bun --version), $(node_modules/.bin/deno --version | head -1), librdkafka $(dpkg-query -W -f '${Version}' librdkafka1 2>/dev/null || echo '?')"
