#!/usr/bin/env bash
# A local 3-node ZooKeeper ensemble on 127.0.0.1 for tests.
#
#   hack/zk-ensemble.sh up <state-dir>             start nodes 1..3, wait for a quorum
#   hack/zk-ensemble.sh down <state-dir>           stop all nodes (state dir is kept)
#   hack/zk-ensemble.sh stop-node <state-dir> <n> [SIGNAL]   default TERM; KILL to crash it
#   hack/zk-ensemble.sh start-node <state-dir> <n> start node n, wait until it serves
#   hack/zk-ensemble.sh leader <state-dir>         print the leader's node number (1..3)
#   hack/zk-ensemble.sh status <state-dir>         print "<n> <clientPort> <mode|down>" per node
#   hack/zk-ensemble.sh connect-string <state-dir> print 127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3
#
# Ports: node n (1..3) uses ZK_CLIENT_PORT_BASE+n-1 (default 2181..2183),
# ZK_PEER_PORT_BASE+n-1 (2888..2890) and ZK_ELECTION_PORT_BASE+n-1
# (3888..3890), all on 127.0.0.1. `up` records them in <state-dir>/ports.env;
# later commands on that state dir use the recorded ports. The admin server is
# off; status comes from the `srvr` four-letter word. Each node's data, config,
# log (node-<n>.log) and pid (node-<n>.pid) live under the state dir. `up` on a
# state dir that already has data reuses it. Deadlines: ZK_UP_TIMEOUT seconds
# (default 60) for `up`/`start-node`, ZK_STOP_TIMEOUT (default 20) for stops.
source "$(dirname "$0")/lib.sh"

NODES=(1 2 3)
UP_TIMEOUT="${ZK_UP_TIMEOUT:-60}"
STOP_TIMEOUT="${ZK_STOP_TIMEOUT:-20}"

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# load_ports <state-dir> [record]: fixes the ports of this ensemble.
load_ports() {
  local dir="$1"
  if [ -f "$dir/ports.env" ]; then
    # shellcheck disable=SC1091
    source "$dir/ports.env"
  else
    CLIENT_BASE="${ZK_CLIENT_PORT_BASE:-2181}"
    PEER_BASE="${ZK_PEER_PORT_BASE:-2888}"
    ELECTION_BASE="${ZK_ELECTION_PORT_BASE:-3888}"
    if [ "${2:-}" = record ]; then
      printf 'CLIENT_BASE=%s\nPEER_BASE=%s\nELECTION_BASE=%s\n' \
        "$CLIENT_BASE" "$PEER_BASE" "$ELECTION_BASE" > "$dir/ports.env"
    fi
  fi
}
client_port() { echo $((CLIENT_BASE + $1 - 1)); }

check_node() { case "${1:-}" in 1|2|3) ;; *) die "node must be 1, 2 or 3 (got '${1:-}')" ;; esac; }

# four_letter <port> <word>: the answer, or nothing (exit 1) if none within 2 s.
four_letter() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" || exit 1; printf %s "$1" >&3; cat <&3' "$1" "$2" 2>/dev/null
}
# mode <n>: leader, follower, standalone, or "down" (not serving).
mode() {
  local out m
  out="$(four_letter "$(client_port "$1")" srvr || true)"
  m="$(printf '%s\n' "$out" | sed -n 's/^Mode: *//p')"
  echo "${m:-down}"
}

pid_of() {
  local f="$STATE/node-$1.pid" p
  [ -f "$f" ] || return 1
  p="$(cat "$f")"
  [ -n "$p" ] && kill -0 "$p" 2>/dev/null || return 1
  echo "$p"
}

write_config() {
  local n="$1" nd="$STATE/node-$1" m
  mkdir -p "$nd/data"
  echo "$n" > "$nd/data/myid"
  {
    echo "tickTime=500"
    echo "initLimit=20"
    echo "syncLimit=4"
    echo "dataDir=$nd/data"
    echo "clientPort=$(client_port "$n")"
    echo "clientPortAddress=127.0.0.1"
    echo "maxClientCnxns=0"
    echo "admin.enableServer=false"
    echo "4lw.commands.whitelist=srvr,stat,ruok,mntr,conf,isro"
    echo "autopurge.snapRetainCount=3"
    echo "autopurge.purgeInterval=1"
    for m in "${NODES[@]}"; do
      echo "server.$m=127.0.0.1:$((PEER_BASE + m - 1)):$((ELECTION_BASE + m - 1))"
    done
  } > "$nd/zoo.cfg"
}

# A port someone else listens on would make `srvr` answer for a foreign
# ensemble: refuse instead of silently joining it.
ports_free() {
  local n="$1" port
  for port in $((CLIENT_BASE + n - 1)) $((PEER_BASE + n - 1)) $((ELECTION_BASE + n - 1)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      die "port $port (node $n) is already in use on 127.0.0.1: another ZooKeeper (a leftover run?) is listening; stop it or set ZK_CLIENT_PORT_BASE/ZK_PEER_PORT_BASE/ZK_ELECTION_PORT_BASE"
    fi
  done
}

start_proc() {
  local n="$1" p
  if p="$(pid_of "$n")"; then log "node $n already running (pid $p)"; return 0; fi
  write_config "$n"
  # setsid: the node outlives the calling shell; `down`/`stop-node` end it.
  setsid java -Xms32m -Xmx128m -XX:+UseSerialGC \
    -Dzookeeper.root.level="${ZK_LOG_LEVEL:-INFO}" \
    -cp "$ZK_HOME/lib/*:$ZK_HOME/conf" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$STATE/node-$n/zoo.cfg" \
    >> "$STATE/node-$n.log" 2>&1 < /dev/null &
  echo $! > "$STATE/node-$n.pid"
}

# wait_serving <n...>: until each node answers srvr with leader/follower.
wait_serving() {
  local deadline=$((SECONDS + UP_TIMEOUT)) n m ok
  while :; do
    ok=1
    for n in "$@"; do
      m="$(mode "$n")"
      case "$m" in leader|follower) ;; *) ok=0 ;; esac
      pid_of "$n" >/dev/null || die "node $n exited; see $STATE/node-$n.log"
    done
    [ "$ok" = 1 ] && return 0
    [ "$SECONDS" -lt "$deadline" ] || die "ZooKeeper node(s) $* not serving after ${UP_TIMEOUT}s; see $STATE/node-*.log"
    sleep 0.2
  done
}

stop_proc() {
  local n="$1" sig="${2:-TERM}" p deadline
  p="$(pid_of "$n")" || { rm -f "$STATE/node-$n.pid"; return 0; }
  kill "-$sig" "$p" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$p" 2>/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "node $n (pid $p) ignored SIG$sig for ${STOP_TIMEOUT}s; killing"
      kill -KILL "$p" 2>/dev/null || true
      deadline=$((SECONDS + STOP_TIMEOUT))
    fi
    sleep 0.1
  done
  rm -f "$STATE/node-$n.pid"
}

cmd="${1:-}"
[ -n "$cmd" ] || usage
[ -n "${2:-}" ] || usage
mkdir -p "$2"
STATE="$(cd "$2" && pwd)"

case "$cmd" in
  up)
    command -v java >/dev/null || die "java not found on PATH"
    ZK_HOME="$("$HACK_DIR/fetch-zookeeper.sh")"
    load_ports "$STATE" record
    # Every port is checked before any node starts, so a refusal leaves nothing behind.
    for n in "${NODES[@]}"; do pid_of "$n" >/dev/null || ports_free "$n"; done
    for n in "${NODES[@]}"; do start_proc "$n"; done
    start=$SECONDS
    if ! (wait_serving "${NODES[@]}"); then
      for n in "${NODES[@]}"; do stop_proc "$n" KILL; done
      die "ensemble in $STATE did not come up; nodes stopped"
    fi
    log "ensemble up in $((SECONDS - start))s: $(for n in "${NODES[@]}"; do printf '%s=%s ' "$n" "$(mode "$n")"; done)"
    ;;
  down)
    load_ports "$STATE"
    for n in "${NODES[@]}"; do stop_proc "$n" TERM; done
    ;;
  stop-node)
    check_node "${3:-}"
    load_ports "$STATE"
    stop_proc "$3" "${4:-TERM}"
    ;;
  start-node)
    check_node "${3:-}"
    ZK_HOME="$("$HACK_DIR/fetch-zookeeper.sh")"
    load_ports "$STATE"
    start_proc "$3"
    (wait_serving "$3") || { stop_proc "$3" KILL; die "node $3 did not come up; stopped it"; }
    ;;
  leader)
    load_ports "$STATE"
    for n in "${NODES[@]}"; do
      if [ "$(mode "$n")" = leader ]; then echo "$n"; exit 0; fi
    done
    die "no node of $STATE reports Mode: leader"
    ;;
  status)
    load_ports "$STATE"
    for n in "${NODES[@]}"; do echo "$n $(client_port "$n") $(mode "$n")"; done
    ;;
  connect-string)
    load_ports "$STATE"
    s=""
    for n in "${NODES[@]}"; do s="$s${s:+,}127.0.0.1:$(client_port "$n")"; done
    echo "$s"
    ;;
  *) usage ;;
esac
