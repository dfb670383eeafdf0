#!/usr/bin/env bash
# A three-node Apache Kafka cluster (KRaft) for kafka-fast's failover tests, without
# Docker: the same broker jars as scripts/kafka.sh (.cache/kafka/libs, fetched once
# from Maven Central), three JVMs on loopback.
#
#   scripts/kafka-cluster.sh up          fetch (once), format 3 nodes, start them, wait until all are ready
#   scripts/kafka-cluster.sh down        stop every node (SIGTERM, then SIGKILL after the grace period)
#   scripts/kafka-cluster.sh kill N      SIGKILL node N (a crash); its data stays
#   scripts/kafka-cluster.sh stop N      stop node N cleanly (SIGTERM: a controlled shutdown), then SIGKILL
#   scripts/kafka-cluster.sh start N     start node N again on its data, wait until it is ready
#   scripts/kafka-cluster.sh status      one line per node; exit 0 all running, 3 none, 4 some
#   scripts/kafka-cluster.sh env         `export` lines: eval "$(scripts/kafka-cluster.sh env)"
#   scripts/kafka-cluster.sh controller  the node that is the active controller now (from the logs)
#   scripts/kafka-cluster.sh logs N [-f] node N's log (-f follows)
#
# Every node is broker and controller (node.id 1..3), with one dynamic three-voter
# quorum, replication factor 3 and min.insync.replicas 2 (scripts/kafka/cluster.properties.in).
# Ports from KAFKA_CLUSTER_PORT_BASE (default 19092): node N listens on
#   base + 10*(N-1) + 0  PLAINTEXT      base + 10*(N-1) + 1  CONTROLLER
# so 19092/19093, 19102/19103, 19112/19113 by default. Keep the base below Linux's
# ephemeral range (32768-60999): this machine holds thousands of loopback connections,
# and a node then often finds its port taken by some client's outgoing socket (seen:
# "failed to bind to 127.0.0.1:39102: Address already in use"). Everything else lives in the
# cluster folder: .cache/kafka/cluster-<KAFKA_CLUSTER_NAME> (name "default" unless
# set), or KAFKA_CLUSTER_DIR; node-N/ holds that node's config, data, logs and pid.
# `up` makes the folder anew; the other commands use the ports it recorded there.
# .cache/kafka/cds/ keeps a class archive that makes every later JVM start cheaper.
# KAFKA_CLUSTER_STOP_TIMEOUT (s, default 30) bounds each SIGTERM before the SIGKILL.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HERE=$ROOT/scripts/kafka
CACHE=$ROOT/.cache/kafka
LIBS=$CACHE/libs
DIR=${KAFKA_CLUSTER_DIR:-$CACHE/cluster-${KAFKA_CLUSTER_NAME:-default}}
# The lock sits beside the folder, not in it: `up` deletes the folder while holding it.
LOCK=$DIR.lock
NODES=(1 2 3)

BASE=${KAFKA_CLUSTER_PORT_BASE:-19092}
if ! [[ $BASE =~ ^[0-9]+$ ]] || [ "$BASE" -lt 1024 ] || [ "$BASE" -gt 65500 ]; then
  echo "kafka-cluster: KAFKA_CLUSTER_PORT_BASE must be a port from 1024 to 65500 (got '$BASE')" >&2; exit 2
fi
read -r EPH_LO EPH_HI </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || EPH_LO=32768 EPH_HI=60999
if [ $((BASE + 21)) -ge "$EPH_LO" ] && [ "$BASE" -le "$EPH_HI" ]; then
  echo "kafka-cluster: warning: ports $BASE-$((BASE + 21)) are in the ephemeral range $EPH_LO-$EPH_HI; a node may find its port taken by an outgoing connection" >&2
fi
# A recorded base wins: it is where the running (or last) cluster of this folder is.
[ -f "$DIR/port-base" ] && BASE=$(cat "$DIR/port-base")
START_TIMEOUT=120
STOP_TIMEOUT=${KAFKA_CLUSTER_STOP_TIMEOUT:-30}

say() { echo "kafka-cluster: $*"; }
die() { echo "kafka-cluster: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(( $(now_ms) - $1 )); printf '%d.%d' $((d / 1000)) $((d % 1000 / 100)); }
plain_port() { echo $((BASE + 10 * ($1 - 1))); }
ctrl_port() { echo $((BASE + 10 * ($1 - 1) + 1)); }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
node_ok() { [[ ${1:-} =~ ^[123]$ ]] || die "a node number (1, 2 or 3) is needed, got '${1:-}'"; }

# --- process state --------------------------------------------------------------

# A process is alive if it exists and is no zombie: a killed node whose parent (this
# script's shell is gone, so init) has not reaped it yet is dead, its sockets closed.
# Here init reaps only every second or two, so `kill -0` alone would wait for that.
alive() {
  local st
  kill -0 "$1" 2>/dev/null || return 1
  st=$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ "$st" != Z ]
}

# Pid of node $1 if it is alive. The command line must name this node's config file,
# so neither a reused pid nor a node of another cluster folder is taken for it. A node
# whose pid file is lost or stale is found by that command line among all processes
# (and the pid file fixed), so that no node of this folder is ever left running.
node_pid() {
  local f=$DIR/node-$1/kafka.pid pid p
  pid=$(cat "$f" 2>/dev/null) || pid=
  if [ -n "$pid" ] && is_node "$1" "$pid"; then echo "$pid"; return 0; fi
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    if is_node "$1" "$p"; then echo "$p" >"$f"; echo "$p"; return 0; fi
  done
  return 1
}
is_node() { # $1 = node, $2 = pid
  local cmd
  cmd=$( { tr '\0' ' ' <"/proc/$2/cmdline"; } 2>/dev/null) || return 1
  [[ $cmd == *"kafka.Kafka $DIR/node-$1/server.properties"* ]] && alive "$2"
}

# Ready = the node logged "Kafka Server started" after byte LOG_FROM[N] of its log
# (the log grows across restarts) AND its PLAINTEXT port accepts: that port opens only
# once the controller has unfenced the broker, so clients can really use it.
declare -A LOG_FROM=()
node_log() { echo "$DIR/node-$1/logs/server.log"; }
ready() {
  grep -q 'Kafka Server started' < <(tail -c +$((${LOG_FROM[$1]:-0} + 1)) "$(node_log "$1")" 2>/dev/null) &&
    port_open "$(plain_port "$1")"
}

# The node's ERROR lines (and the line after each), else its last lines: a failed
# start ends in a long shutdown sequence that hides the cause.
show_errors() {
  local log; log=$(node_log "$1")
  echo "--- node $1 ($DIR/node-$1/logs)" >&2
  { grep -E -A1 '^\[[^]]*\] (ERROR|FATAL) ' "$log" | head -n 20 | grep . || tail -n 20 "$log"
    tail -n 20 "$DIR/node-$1/logs/stdout.log"; } >&2 2>/dev/null || true
}

# Waits until every node named is ready; a node that exits, or the time limit, fails
# the whole wait (the nodes still starting are then stopped: a half-up cluster helps
# nobody and would hold its ports).
wait_ready() { # $1 = start time (ms), rest = node numbers
  local t0=$1 n pending; shift
  pending=("$@")
  while [ ${#pending[@]} -gt 0 ]; do
    local left=() pid
    for n in "${pending[@]}"; do
      ready "$n" && continue
      # The pid launch() recorded, checked for life only: until setsid has exec'd java,
      # that process is still a copy of this shell, and its command line names no node.
      pid=$(cat "$DIR/node-$n/kafka.pid" 2>/dev/null) || pid=
      if [ -z "$pid" ] || ! alive "$pid"; then
        show_errors "$n"
        rm -f "$DIR/node-$n/kafka.pid"
        die "node $n exited during startup (see above)"
      fi
      left+=("$n")
    done
    pending=("${left[@]}")
    [ ${#pending[@]} -eq 0 ] && break
    if [ $(( $(now_ms) - t0 )) -gt $((START_TIMEOUT * 1000)) ]; then
      for n in "${pending[@]}"; do show_errors "$n"; done
      for n in "${pending[@]}"; do stop_node "$n" KILL >&2; done
      die "node(s) ${pending[*]} not ready after ${START_TIMEOUT}s; killed them (see above)"
    fi
    sleep 0.2
  done
}

# --- set-up -------------------------------------------------------------------------

need_tools() {
  command -v java >/dev/null && command -v mvn >/dev/null && return
  die "missing java or mvn: install a JDK and Maven, e.g. apt-get install openjdk-17-jre-headless maven"
}

# The broker's classpath: scripts/kafka.sh fetches it (once, under its lock) into the
# folder both scripts run the broker from.
fetch_libs() {
  bash "$ROOT/scripts/kafka.sh" fetch || die "could not fetch the broker's classpath (above)"
}

# A random id of 16 bytes in base64url without padding (22 characters), as Kafka's
# cluster and directory ids are; one starting with '-' would parse as an option.
random_id() {
  local id
  while :; do
    id=$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [ "${id:0:1}" != - ] && { echo "$id"; return; }
  done
}

JVM=(java -cp "$LIBS/*" -Djava.awt.headless=true -Dlog4j2.configurationFile="$HERE/log4j2.xml")

# One cluster id for all nodes, and one directory id per node: --initial-controllers
# names every voter as id@host:port:directory-id, and every node must be formatted
# with the same list (it writes the voter set into the metadata log).
format_nodes() {
  local cluster_id voters=() n pids=() failed=0
  cluster_id=$(random_id)
  for n in "${NODES[@]}"; do voters+=("$n@127.0.0.1:$(ctrl_port "$n"):$(random_id)"); done
  local initial; initial=$(IFS=,; echo "${voters[*]}")
  echo "$cluster_id" >"$DIR/cluster-id"
  # The broker's class archive serves the format tool too (most classes are shared).
  local cds=-Xshare:auto
  [ -s "$(cds_archive)" ] && cds=-XX:SharedArchiveFile=$(cds_archive)
  for n in "${NODES[@]}"; do
    # In parallel: each is a JVM start of a second or two.
    "${JVM[@]}" -Xmx256m -XX:TieredStopAtLevel=1 -Xlog:cds=off "$cds" \
      -Dkafka.logs.dir="$DIR/node-$n/logs" -Dkafka.log.file=format.log \
      kafka.tools.StorageTool format -t "$cluster_id" --initial-controllers "$initial" \
      -c "$DIR/node-$n/server.properties" >"$DIR/node-$n/logs/format.out" 2>&1 &
    pids+=($!)
  done
  for n in "${NODES[@]}"; do
    wait "${pids[$((n - 1))]}" && continue
    cat "$DIR/node-$n/logs/format.out" >&2
    failed=1
  done
  [ $failed = 0 ] || die "formatting the storage failed (above)"
}

write_config() { # $1 = node
  local d=$DIR/node-$1 voters
  voters=$(for n in "${NODES[@]}"; do printf '127.0.0.1:%s,' "$(ctrl_port "$n")"; done)
  mkdir -p "$d/logs" "$d/data"
  sed -e "s|@NODE@|$1|g" -e "s|@DIR@|$d|g" -e "s|@P@|$(plain_port "$1")|g" -e "s|@C@|$(ctrl_port "$1")|g" \
    -e "s|@VOTERS@|${voters%,}|g" "$HERE/cluster.properties.in" >"$d/server.properties"
}

# --- class data sharing -----------------------------------------------------------------
# A JVM start is mostly class loading and JIT compiling; on a busy 2-core machine a
# node took 10-16 s to restart. Two remedies, measured on an idle node restart:
# C1 only (-XX:TieredStopAtLevel=1; the test load needs no peak performance) took the
# CPU time from 4.1 s to 2.4 s, and an AppCDS archive of Kafka's classes on top to 1.5 s.
# The archive is written by a node that exits cleanly (a SIGTERM within the grace
# period) while none exists, and is kept in .cache/kafka/cds/, named after the jars and
# the java binary; a JVM that cannot use it (another build) just starts without it.
CDS_DIR=$CACHE/cds
cds_archive() {
  local key
  key=$( { cat "$LIBS/.complete" 2>/dev/null; readlink -f "$(command -v java)"; } | sha256sum | cut -c1-16)
  echo "$CDS_DIR/kafka-$key.jsa"
}

# The JVM options for node $1's class data: use the archive, or write one at exit.
cds_opts() {
  local a; a=$(cds_archive)
  rm -f "$DIR/node-$1/cds-pending"
  if [ -s "$a" ]; then
    echo "-XX:SharedArchiveFile=$a"
  else
    mkdir -p "$CDS_DIR"
    echo "$a.node$1.$$" >"$DIR/node-$1/cds-pending"
    echo "-XX:ArchiveClassesAtExit=$a.node$1.$$"
  fi
}

# After node $1 stopped: a clean exit wrote a complete archive, kept unless another node
# was first (if two clusters race, either archive is as good: mv is atomic); a killed
# one may have left half a file.
cds_done() { # $1 = node, $2 = 1 if it exited cleanly
  local f=$DIR/node-$1/cds-pending tmp
  [ -f "$f" ] || return 0
  tmp=$(cat "$f"); rm -f "$f"
  if [ "$2" = 1 ] && [ -s "$tmp" ] && ! [ -s "$(cds_archive)" ]; then mv -f "$tmp" "$(cds_archive)"; else rm -f "$tmp"; fi
}

# Starts node $1 on its folder as it is; does not wait.
launch() {
  local d=$DIR/node-$1 cds
  for p in "$(plain_port "$1")" "$(ctrl_port "$1")"; do
    port_open "$p" && die "port $p (node $1) is already in use by another process (set KAFKA_CLUSTER_PORT_BASE to move the cluster)"
  done
  LOG_FROM[$1]=$(stat -c %s "$(node_log "$1")" 2>/dev/null || echo 0)
  cds=$(cds_opts "$1")
  # setsid: its own session, so it outlives this shell and a Ctrl-C here does not reach
  # it; a non-interactive shell's background job is no group leader, so setsid execs
  # java in place and $! is the node's pid. The lock fds are closed for it.
  # shellcheck disable=SC2086 # KAFKA_CLUSTER_JVM_OPTS is a list of options
  setsid nohup "${JVM[@]}" -Dkafka.logs.dir="$d/logs" -XX:TieredStopAtLevel=1 -Xlog:cds=off -Xlog:cds+dynamic=off \
    "$cds" ${KAFKA_CLUSTER_JVM_OPTS:--Xms256m -Xmx768m -XX:+UseG1GC} kafka.Kafka "$d/server.properties" \
    >>"$d/logs/stdout.log" 2>&1 </dev/null 8>&- 9>&- &
  echo $! >"$d/kafka.pid"
}

lock() { mkdir -p "$(dirname "$LOCK")"; exec 9>"$LOCK"; flock 9; }
unlock() { flock -u 9; exec 9>&-; }

# --- commands -------------------------------------------------------------------------

cmd_up() {
  local t0 t1 n running=() missing=()
  t0=$(now_ms)
  lock
  for n in "${NODES[@]}"; do
    if node_pid "$n" >/dev/null; then running+=("$n"); else missing+=("$n"); fi
  done
  if [ ${#running[@]} -gt 0 ]; then
    # Up already (maybe by a concurrent `up` that is still waiting): keep its folder,
    # start only the nodes that are down, wait for all.
    need_tools
    for n in "${missing[@]}"; do launch "$n"; done
    unlock
    wait_ready "$t0" "${NODES[@]}"
    say "already up (nodes ${running[*]} were running${missing[*]:+, started ${missing[*]}}); $(bootstrap)"
    return 0
  fi
  need_tools
  BASE=${KAFKA_CLUSTER_PORT_BASE:-19092} # a new cluster: the base asked for now, not the recorded one
  for n in "${NODES[@]}"; do
    for p in "$(plain_port "$n")" "$(ctrl_port "$n")"; do
      port_open "$p" && die "port $p is already in use by another process (set KAFKA_CLUSTER_PORT_BASE to move the cluster)"
    done
  done
  fetch_libs
  rm -rf "$DIR"; mkdir -p "$DIR"
  echo "$BASE" >"$DIR/port-base"
  for n in "${NODES[@]}"; do write_config "$n"; done
  format_nodes
  t1=$(now_ms)
  # All three at once: none can finish starting before a majority of voters is up.
  for n in "${NODES[@]}"; do launch "$n"; done
  wait_ready "$t1" "${NODES[@]}"
  say "up in $(secs_since "$t0") s (start $(secs_since "$t1") s), pids $(for n in "${NODES[@]}"; do printf '%s ' "$(cat "$DIR/node-$n/kafka.pid")"; done)- $(bootstrap)"
}

# Stops node $1 with signal $2 (TERM: controlled shutdown, then KILL after
# STOP_TIMEOUT; KILL: at once) and waits until it is gone. Prints what it did.
stop_node() {
  local pid i clean=0
  if ! pid=$(node_pid "$1"); then
    rm -f "$DIR/node-$1/kafka.pid"
    cds_done "$1" 0
    echo "kafka-cluster: node $1 was not running"
    return 0
  fi
  kill "-$2" "$pid" 2>/dev/null || true
  if [ "$2" = TERM ]; then
    clean=1
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      say "node $1 still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      clean=0
    fi
  fi
  while alive "$pid"; do sleep 0.05; done
  rm -f "$DIR/node-$1/kafka.pid"
  cds_done "$1" "$clean"
  say "node $1 stopped (pid $pid, SIG$2)"
}

cmd_down() {
  local n pids=()
  lock
  # All at once: the last voters standing cannot finish a controlled shutdown without
  # a quorum, so stopping them one by one would wait out the grace period at the end.
  for n in "${NODES[@]}"; do stop_node "$n" TERM & pids+=($!); done
  wait "${pids[@]}"
}

cmd_start() { # $1 = node
  local t0 pid
  t0=$(now_ms)
  node_ok "${1:-}"
  [ -f "$DIR/node-$1/data/meta.properties" ] || die "no formatted node $1 in $DIR; run: scripts/kafka-cluster.sh up"
  lock
  if pid=$(node_pid "$1"); then
    unlock
    wait_ready "$t0" "$1"
    say "node $1 already running (pid $pid) on 127.0.0.1:$(plain_port "$1")"
    return 0
  fi
  need_tools
  launch "$1"
  unlock
  wait_ready "$t0" "$1"
  say "node $1 started in $(secs_since "$t0") s, pid $(cat "$DIR/node-$1/kafka.pid"), PLAINTEXT 127.0.0.1:$(plain_port "$1")"
}

bootstrap() {
  local n out=()
  for n in "${NODES[@]}"; do out+=("127.0.0.1:$(plain_port "$n")"); done
  (IFS=,; echo "${out[*]}")
}

cmd_status() {
  local n pid up=0
  for n in "${NODES[@]}"; do
    if pid=$(node_pid "$n"); then
      up=$((up + 1))
      if port_open "$(plain_port "$n")"; then echo "node $n: running (pid $pid, PLAINTEXT 127.0.0.1:$(plain_port "$n"))"
      else echo "node $n: running (pid $pid, starting: not accepting yet)"; fi
    else
      echo "node $n: stopped"
    fi
  done
  [ $up -eq 3 ] && return 0
  [ $up -eq 0 ] && return 3
  return 4
}

# The active controller (the quorum's leader) as the running nodes last recorded it in
# their logs: no client API tells (in KRaft, metadata names a random broker as the
# controller), yet a failover takes longer when the node killed is that one.
cmd_controller() {
  local n id
  for n in "${NODES[@]}"; do
    node_pid "$n" >/dev/null || continue
    id=$(grep -o 'Recorded new KRaft controller, from now on will use node [^ ]* (id: [0-9]*' "$(node_log "$n")" |
      tail -n 1 | grep -o '[0-9]*$') || continue
    echo "$id"
    return 0
  done
  die "no running node has recorded a controller yet"
}

cmd_logs() { # $1 = node, $2 = -f
  node_ok "${1:-}"
  local log; log=$(node_log "$1")
  [ -f "$log" ] || die "no log yet ($log); run: scripts/kafka-cluster.sh up"
  if [ "${2:-}" = -f ]; then exec tail -n 100 -F "$log"; fi
  tail -n 100 "$log"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  kill) node_ok "${2:-}"; stop_node "$2" KILL ;;
  stop) node_ok "${2:-}"; stop_node "$2" TERM ;;
  start) cmd_start "${2:-}" ;;
  status) cmd_status ;;
  env) echo "export KAFKA_CLUSTER_BOOTSTRAP=$(bootstrap)" ;;
  controller) cmd_controller ;;
  logs) cmd_logs "${2:-}" "${3:-}" ;;
  *) echo "usage: $0 up|down|kill N|stop N|start N|status|env|controller|logs N [-f]" >&2; exit 2 ;;
esac
