#!/usr/bin/env bash
# A real Apache Kafka broker for kafka-fast's tests, without Docker: the broker's jars
# come from Maven Central (through mvn and scripts/kafka/pom.xml) and run on the JDK.
#
#   scripts/kafka.sh up        fetch (once), make TLS material + config, start, wait until ready
#   scripts/kafka.sh down      stop it (SIGTERM, then SIGKILL after 30 s)
#   scripts/kafka.sh kill      SIGKILL it (a crash, for failover tests); run/ and its data stay
#   scripts/kafka.sh start     start it again on the existing run/ (no new format, certs or
#                              config; ports from run/server.properties), wait until ready
#   scripts/kafka.sh status    "running" (exit 0) or "stopped" (exit 3)
#   scripts/kafka.sh logs [-f] the broker log (-f follows)
#   scripts/kafka.sh env       `export` lines for tests: eval "$(scripts/kafka.sh env)"
#   scripts/kafka.sh fetch     only fetch the broker's classpath (scripts/kafka-cluster.sh uses it)
#
# One KRaft node (broker + controller), listeners on 127.0.0.1 only, ports from
# KAFKA_PORT_BASE (default 9092):
#   base+0 PLAINTEXT   base+1 CONTROLLER   base+2 SASL_PLAINTEXT (SCRAM-SHA-256/512, PLAIN)
#   base+3 SSL (cert for localhost/127.0.0.1)   base+4 SSL with a cert for wrong.example
# Everything lives under .cache/kafka/: libs/ (the classpath, kept between runs) and
# run/ (config, certificates, data, logs, pid; made anew by every `up`; KAFKA_RUN_DIR
# moves it, so that a second broker with another KAFKA_PORT_BASE can run beside).
#
# KAFKA_VERSION overrides the broker version in scripts/kafka/pom.xml (libs/ is then
# fetched again). Note: Kafka 4.x brokers check the SCRAM nonce strictly (the fix for
# CVE-2024-56128) and so reject SCRAM from librdkafka < 2.6.1 (e.g. Debian 12's 2.0.2,
# confluentinc/librdkafka#4895) as "invalid credentials"; PLAIN, TLS and PLAINTEXT
# work. 3.8.1-3.9.x brokers tolerate that old client: KAFKA_VERSION=3.9.1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/scripts/kafka
CACHE=$ROOT/.cache/kafka
LIBS=$CACHE/libs
# KAFKA_RUN_DIR lets a second broker (other KAFKA_PORT_BASE) run beside the first.
RUN=${KAFKA_RUN_DIR:-$CACHE/run}
PIDFILE=$RUN/kafka.pid
LOG=$RUN/logs/server.log

BASE=${KAFKA_PORT_BASE:-9092}
if ! [[ $BASE =~ ^[0-9]+$ ]] || [ "$BASE" -lt 1024 ] || [ "$BASE" -gt 65531 ]; then
  echo "kafka: KAFKA_PORT_BASE must be a port from 1024 to 65531 (got '$BASE')" >&2; exit 2
fi
P0=$BASE P1=$((BASE + 1)) P2=$((BASE + 2)) P3=$((BASE + 3)) P4=$((BASE + 4))
START_TIMEOUT=120 STOP_TIMEOUT=30
KS_PASS=kafka-fast-test   # keystore password: throwaway test material, not a secret
# Test users: the same names and passwords for PLAIN and both SCRAM mechanisms.
SASL_USER=alice SASL_PASS=alice-secret ADMIN=admin ADMIN_PASS=admin-secret

say() { echo "kafka: $*"; }
die() { echo "kafka: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%d' $((d / 1000)) $((d % 1000 / 100)); }

# --- process state --------------------------------------------------------------

# Pid of our broker if it is alive. The command line is checked too, so a stale pid
# file whose number was reused by another process is not mistaken for the broker.
broker_pid() {
  local pid
  [ -f "$PIDFILE" ] || return 1
  pid=$(cat "$PIDFILE" 2>/dev/null) && [ -n "$pid" ] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ready = the broker logged that it started AND its PLAINTEXT port accepts (the port
# only opens once the broker is unfenced, so clients can really use it). The log is
# appended to across `start`s: only what follows byte LOG_FROM counts.
LOG_FROM=0
ready() { grep -q 'Kafka Server started' < <(tail -c +$((LOG_FROM + 1)) "$LOG" 2>/dev/null) && port_open "$P0"; }

# --- up ---------------------------------------------------------------------------

need_tools() {
  local missing=()
  for t in java mvn openssl keytool; do command -v "$t" >/dev/null || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] && return
  die "missing ${missing[*]}: install a JDK and Maven, e.g. apt-get install openjdk-17-jre-headless maven (keytool comes with the JDK, openssl with the openssl package)"
}

# The broker's classpath, fetched once. The marker holds the pom's checksum and
# KAFKA_VERSION, so an interrupted download or another version fetches again, into a
# clean folder (jars of two versions must not share the classpath).
fetch_libs() {
  local want ver=()
  [ -n "${KAFKA_VERSION:-}" ] && ver=(-Dkafka.version="$KAFKA_VERSION")
  want="$(sha256sum "$HERE/pom.xml" | cut -d' ' -f1) ${KAFKA_VERSION:-default}"
  [ "$(cat "$LIBS/.complete" 2>/dev/null)" = "$want" ] && return
  say "fetching the broker from Maven Central into .cache/kafka/libs (first time only; may take a few minutes)"
  rm -rf "$LIBS" "$LIBS.tmp"; mkdir -p "$CACHE"
  # Output goes to a file: Maven 3.8's -q still prints stray ANSI resets; shown on failure.
  if ! mvn -B -q -f "$HERE/pom.xml" "${ver[@]}" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$CACHE/mvn.log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$CACHE/mvn.log" >&2
    die "mvn could not fetch the broker (above); is Maven Central reachable?"
  fi
  ls "$LIBS.tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "mvn finished but no kafka_2.13 jar was copied"
  mv "$LIBS.tmp" "$LIBS"
  echo "$want" >"$LIBS/.complete"
}

# A test CA, the broker's certificate (CN and SAN localhost/127.0.0.1), a certificate
# from the same CA for another host (wrong.example, for host name verification tests)
# and an unrelated CA (other-ca.pem, for wrong-CA tests). Java reads PKCS12 keystores.
make_tls() {
  local d=$RUN/tls
  mkdir -p "$d"
  ca() { # $1 = file stem, $2 = CN
    openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 30 -subj "/CN=$2" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout "$d/$1.key" -out "$d/$1.pem" 2>/dev/null
  }
  leaf() { # $1 = file stem, $2 = CN, $3 = subjectAltName
    openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$2" \
      -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null
    printf '%s\n' basicConstraints=CA:FALSE keyUsage=digitalSignature,keyEncipherment \
      extendedKeyUsage=serverAuth "subjectAltName=$3" >"$d/$1.ext"
    openssl x509 -req -sha256 -days 30 -in "$d/$1.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
      -CAcreateserial -extfile "$d/$1.ext" -out "$d/$1.pem" 2>/dev/null
    openssl pkcs12 -export -name "$1" -in "$d/$1.pem" -inkey "$d/$1.key" -certfile "$d/ca.pem" \
      -passout "pass:$KS_PASS" -out "$d/$1.p12"
  }
  ca ca "kafka-fast test CA"
  ca other-ca "kafka-fast unrelated CA"
  leaf broker localhost "DNS:localhost,IP:127.0.0.1"
  leaf badhost wrong.example "DNS:wrong.example"
  keytool -importcert -noprompt -alias ca -file "$d/ca.pem" -keystore "$d/truststore.p12" \
    -storetype PKCS12 -storepass "$KS_PASS" >/dev/null 2>&1
  cp "$d/ca.pem" "$RUN/ca.pem"
  cp "$d/other-ca.pem" "$RUN/other-ca.pem"
}

# Serialises up/down, so two concurrent `up`s cannot both recreate run/ (the second
# waits, then finds the broker running). The broker must not inherit the lock fd.
lock() { mkdir -p "$CACHE"; exec 9>"$CACHE/.lock"; flock 9; }

# The classpath alone, under the same lock as `up`, so two scripts never write libs/ at once.
cmd_fetch() {
  lock
  command -v mvn >/dev/null || die "missing mvn: install Maven, e.g. apt-get install maven"
  fetch_libs
}

cmd_up() {
  local t0 t1 pid
  t0=$(now_ms)
  lock
  if pid=$(broker_pid); then
    # Already started (maybe by a concurrent `up` that is still waiting): don't touch
    # its run folder, only wait until it is ready, on the ports it was started with.
    use_running_ports force
    ready || wait_ready "$pid" "$t0"
    say "already running (pid $pid) on 127.0.0.1:$P0"
    return 0
  fi
  need_tools
  for p in "$P0" "$P1" "$P2" "$P3" "$P4"; do
    port_open "$p" && die "port $p is already in use by another process (set KAFKA_PORT_BASE to move the broker)"
  done
  fetch_libs

  rm -rf "$RUN"; mkdir -p "$RUN/logs" "$RUN/data"
  echo "$BASE" >"$RUN/port-base"
  make_tls
  sed -e "s|@RUN@|$RUN|g" -e "s|@KS_PASS@|$KS_PASS|g" -e "s|@P0@|$P0|g" -e "s|@P1@|$P1|g" \
    -e "s|@P2@|$P2|g" -e "s|@P3@|$P3|g" -e "s|@P4@|$P4|g" \
    "$HERE/server.properties.in" >"$RUN/server.properties"

  # A random cluster id: 16 bytes in base64url without padding (22 characters); Kafka
  # rejects ids starting with '-' (they parse as an option), so draw again then.
  local id
  while :; do
    id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [ "${id:0:1}" != - ] && break
  done
  # Format: a fresh log dir each run, with the SCRAM users written into the metadata log.
  local scram=()
  for m in SCRAM-SHA-256 SCRAM-SHA-512; do
    scram+=(--add-scram "$m=[name=$SASL_USER,password=$SASL_PASS]" --add-scram "$m=[name=$ADMIN,password=$ADMIN_PASS]")
  done
  "${JVM[@]}" -Xmx256m -Dkafka.log.file=format.log kafka.tools.StorageTool format --standalone \
    -t "$id" -c "$RUN/server.properties" "${scram[@]}" >"$RUN/logs/format.out" 2>&1 ||
    { cat "$RUN/logs/format.out" >&2; die "formatting the storage failed"; }

  t1=$(now_ms)
  launch
  say "up in $(secs_since "$t0") s (broker start $(secs_since "$t1") s), pid $(cat "$PIDFILE"), PLAINTEXT 127.0.0.1:$P0"
}

JVM=(java -cp "$LIBS/*" -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$HERE/log4j2.xml" -Dkafka.logs.dir="$RUN/logs")

# Starts the broker on run/ as it is and waits until it is ready.
launch() {
  local pid t1
  t1=$(now_ms)
  # setsid: its own session, so it outlives this shell and Ctrl-C here does not reach
  # it. In a non-interactive shell the background job is no group leader, so setsid
  # execs java in place and $! is the broker's pid.
  setsid nohup "${JVM[@]}" -Xms512m -Xmx1g -XX:+UseG1GC kafka.Kafka "$RUN/server.properties" \
    >>"$RUN/logs/stdout.log" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PIDFILE"
  wait_ready "$pid" "$t1"
}

# --- kill / start: a crash and a restart on the same data ---------------------------

cmd_kill() {
  local pid
  pid=$(broker_pid) || die "not running"
  kill -KILL "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$PIDFILE"   # run/port-base stays: the run folder is still this broker's
  say "killed (pid $pid, SIGKILL); data kept in $RUN"
}

cmd_start() {
  local t0 pid
  t0=$(now_ms)
  lock
  [ -f "$RUN/data/meta.properties" ] || die "no formatted broker in $RUN; run: scripts/kafka.sh up"
  # The ports the run folder was made with, whatever KAFKA_PORT_BASE says now.
  BASE=$(sed -n 's|^listeners=PLAINTEXT://127\.0\.0\.1:\([0-9]*\),.*|\1|p' "$RUN/server.properties")
  [ -n "$BASE" ] || die "no PLAINTEXT listener in $RUN/server.properties"
  P0=$BASE P1=$((BASE + 1)) P2=$((BASE + 2)) P3=$((BASE + 3)) P4=$((BASE + 4))
  if pid=$(broker_pid); then
    ready || wait_ready "$pid" "$t0"
    say "already running (pid $pid) on 127.0.0.1:$P0"
    return 0
  fi
  need_tools
  for p in "$P0" "$P1" "$P2" "$P3" "$P4"; do
    port_open "$p" && die "port $p is already in use by another process"
  done
  echo "$BASE" >"$RUN/port-base"
  LOG_FROM=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
  launch
  say "started in $(secs_since "$t0") s, pid $(cat "$PIDFILE"), PLAINTEXT 127.0.0.1:$P0"
}

# The log's ERROR lines (with the exception line after each), else its last lines: a
# failed start ends in a long shutdown sequence that hides the cause.
show_errors() {
  { grep -E -A1 '^\[[^]]*\] (ERROR|FATAL) ' "$LOG" | head -n 20 | grep . ||
    tail -n 20 "$LOG"; cat "$RUN/logs/stdout.log"; } >&2 2>/dev/null || true
}

wait_ready() { # $1 = pid, $2 = start time (ms)
  while ! ready; do
    if ! kill -0 "$1" 2>/dev/null; then
      show_errors
      rm -f "$PIDFILE"
      die "the broker exited during startup (see above; logs in $RUN/logs)"
    fi
    if [ $(( $(now_ms) - $2 )) -gt $((START_TIMEOUT * 1000)) ]; then
      show_errors
      cmd_down >&2
      die "not ready after ${START_TIMEOUT}s; stopped it (see above; logs in $RUN/logs)"
    fi
    sleep 0.2
  done
}

# --- down / status / logs / env ------------------------------------------------------

cmd_down() {
  local pid i
  lock
  if ! pid=$(broker_pid); then
    [ -f "$PIDFILE" ] && { rm -f "$PIDFILE"; say "removed a stale pid file"; }
    say "not running"
    return 0
  fi
  # SIGTERM makes a controlled shutdown (flushes logs, closes listeners cleanly).
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "still running after ${STOP_TIMEOUT}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PIDFILE" "$RUN/port-base"
  say "stopped (pid $pid)"
}

# status and env describe the broker that `up` started, even when KAFKA_PORT_BASE
# is not set in this shell (up records the base it used in run/).
use_running_ports() { # $1 = force: also when KAFKA_PORT_BASE is set
  [ -f "$RUN/port-base" ] && { [ -z "${KAFKA_PORT_BASE:-}" ] || [ -n "${1:-}" ]; } || return 0
  BASE=$(cat "$RUN/port-base")
  P0=$BASE P1=$((BASE + 1)) P2=$((BASE + 2)) P3=$((BASE + 3)) P4=$((BASE + 4))
}

cmd_status() {
  local pid
  use_running_ports
  if pid=$(broker_pid); then
    if ready; then echo "running (pid $pid, PLAINTEXT 127.0.0.1:$P0)"
    else echo "running (pid $pid, starting: not ready yet)"; fi
    return 0
  fi
  echo "stopped"
  return 3
}

cmd_logs() {
  [ -f "$LOG" ] || die "no log yet ($LOG); run: scripts/kafka.sh up"
  if [ "${1:-}" = -f ]; then exec tail -n 100 -F "$LOG"; fi
  tail -n 100 "$LOG"
}

cmd_env() {
  use_running_ports
  cat <<EOF
export KAFKA_BOOTSTRAP=127.0.0.1:$P0
export KAFKA_SASL_BOOTSTRAP=127.0.0.1:$P2
export KAFKA_SSL_BOOTSTRAP=127.0.0.1:$P3
export KAFKA_SSL_BADHOST_BOOTSTRAP=127.0.0.1:$P4
export KAFKA_SSL_CA=$RUN/ca.pem
export KAFKA_SSL_OTHER_CA=$RUN/other-ca.pem
export KAFKA_SASL_USERNAME=$SASL_USER
export KAFKA_SASL_PASSWORD=$SASL_PASS
export KAFKA_SASL_ADMIN_USERNAME=$ADMIN
export KAFKA_SASL_ADMIN_PASSWORD=$ADMIN_PASS
EOF
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  kill) cmd_kill ;;
  start) cmd_start ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  env) cmd_env ;;
  fetch) cmd_fetch ;;
  *) echo "usage: $0 up|down|kill|start|status|logs [-f]|env|fetch" >&2; exit 2 ;;
esac
