#!/usr/bin/env bash
# A newer librdkafka than the system's (Debian 12 has only 2.0.2), for a version
# matrix: npm's node-rdkafka package ships librdkafka's source and its ordinary
# install builds it (about 2 minutes); we only use the shared library it leaves in
# build/deps/, loaded through KAFKA_FAST_LIBRDKAFKA like any other build.
#
#   bash scripts/librdkafka.sh          build once (kept in .cache/), print the path
#   KAFKA_FAST_LIBRDKAFKA=$(bash scripts/librdkafka.sh) node_modules/.bin/bun test test/security.test.ts
#
# stdout is only the absolute path of librdkafka.so.1; progress goes to stderr.
# NODE_RDKAFKA_VERSION picks another node-rdkafka (3.6.1 bundles librdkafka 2.12.0).
# The build needs gcc, g++, make and python3 (node-gyp), and the -dev packages of
# OpenSSL, Cyrus SASL, zlib, zstd and lz4 so that the library has SSL, SASL
# (GSSAPI, PLAIN, SCRAM) and every codec; when run as root it installs what is
# missing with apt-get. Afterwards it checks that the library loads and reports the
# features the tests need (ssl, sasl_scram, sasl_plain).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VERSION=${NODE_RDKAFKA_VERSION:-3.6.1}
case $VERSION in
  3.6.1) DIR=$ROOT/.cache/librdkafka-2.12 ;;
  *) DIR=$ROOT/.cache/librdkafka-node-rdkafka-$VERSION ;;
esac
PKG=$DIR/node_modules/node-rdkafka
MARKER=$DIR/.complete

say() { echo "librdkafka: $*" >&2; }
die() { echo "librdkafka: $*" >&2; exit 1; }

# The built library: build/deps/librdkafka.so.1 (node-rdkafka's gyp copies it there).
built_lib() {
  local f
  for f in "$PKG/build/deps/librdkafka.so.1" "$PKG/build/Release/librdkafka.so.1"; do
    [ -f "$f" ] && { echo "$f"; return 0; }
  done
  f=$(find "$PKG/build" -name 'librdkafka.so.1' -type f 2>/dev/null | head -n 1)
  [ -n "$f" ] && { echo "$f"; return 0; }
  return 1
}

# The marker holds the version and the library's path; both must still match.
done_already() { [ -f "$MARKER" ] && lib=$(built_lib) && [ "$(cat "$MARKER")" = "$VERSION $lib" ]; }
if done_already; then echo "$lib"; exit 0; fi
# One build at a time: a second caller waits, then finds the first one's result.
mkdir -p "$ROOT/.cache"
exec 9>"$ROOT/.cache/.librdkafka.lock"
flock 9
if done_already; then echo "$lib"; exit 0; fi

# --- build dependencies ------------------------------------------------------------
need_apt=()
for t in gcc g++ make; do command -v "$t" >/dev/null || need_apt+=("$t"); done
command -v python3 >/dev/null || need_apt+=(python3)
command -v npm >/dev/null || need_apt+=(nodejs npm)
hdr() { [ -f "/usr/include/$1" ] || ls /usr/include/*/"$1" >/dev/null 2>&1; }
hdr openssl/ssl.h || need_apt+=(libssl-dev)
hdr sasl/sasl.h || need_apt+=(libsasl2-dev)
hdr zlib.h || need_apt+=(zlib1g-dev)
hdr zstd.h || need_apt+=(libzstd-dev)
hdr lz4.h || need_apt+=(liblz4-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${need_apt[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  else
    die "missing ${need_apt[*]}; install them (e.g. sudo apt-get install ${need_apt[*]})"
  fi
fi

# --- build ---------------------------------------------------------------------------
say "building librdkafka from npm's node-rdkafka@$VERSION into ${DIR#"$ROOT"/} (first time only, ~2 min)"
t0=$(date +%s)
rm -rf "$DIR"
mkdir -p "$DIR"
# A package.json of its own, so npm installs here and not into an enclosing project.
echo '{ "name": "kafka-fast-librdkafka-build", "private": true }' >"$DIR/package.json"
# The output goes to a file (it is long); it is shown when the build fails.
if ! npm install --prefix "$DIR" --no-audit --no-fund --no-save --loglevel=error \
  "node-rdkafka@$VERSION" >"$DIR/build.log" 2>&1; then
  tail -n 60 "$DIR/build.log" >&2
  die "npm install node-rdkafka@$VERSION failed (above; full log in $DIR/build.log)"
fi
lib=$(built_lib) || die "npm install finished but no librdkafka.so.1 under $PKG/build (log: $DIR/build.log)"

# --- check ---------------------------------------------------------------------------
# The library must load and have what the security tests need. `builtin.features`
# is read-only, so ask librdkafka for it through rd_kafka_conf_get with python's ctypes
# (no JS runtime needed here).
features=$(python3 - "$lib" <<'EOF'
import ctypes, sys
rk = ctypes.CDLL(sys.argv[1])
rk.rd_kafka_version_str.restype = ctypes.c_char_p
rk.rd_kafka_conf_new.restype = ctypes.c_void_p
rk.rd_kafka_conf_get.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_size_t)]
rk.rd_kafka_conf_destroy.argtypes = [ctypes.c_void_p]
conf = rk.rd_kafka_conf_new()
buf = ctypes.create_string_buffer(1024)
size = ctypes.c_size_t(1024)
ok = rk.rd_kafka_conf_get(conf, b"builtin.features", buf, ctypes.byref(size)) == 0
rk.rd_kafka_conf_destroy(conf)
print(rk.rd_kafka_version_str().decode(), buf.value.decode() if ok else "?")
EOF
) || die "$lib does not load (see above)"
read -r version feats <<<"$features"
for f in ssl sasl_plain sasl_scram zstd lz4; do
  [[ ,$feats, == *,$f,* ]] || die "$lib (librdkafka $version) lacks '$f' (builtin.features: $feats); install its -dev package and run again"
done
echo "$VERSION $lib" >"$MARKER"
say "librdkafka $version built in $(( $(date +%s) - t0 )) s: $lib"
say "features: $feats"
echo "$lib"
