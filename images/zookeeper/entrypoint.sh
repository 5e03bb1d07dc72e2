#!/usr/bin/env bash
# Starts one ZooKeeper server in the foreground (exec java, so the server is
# this process and gets the container's signals). The operator renders the
# config (src/resources/zk-config.ts) into a ConfigMap mounted at
# $ZOO_CONF_DIR; the same file serves every node, so each node's identity
# (dataDir/myid) is written here.
#
# Environment:
#   ZOO_CONF_DIR  directory holding zoo.cfg (default /conf)
#   ZOO_MYID      this server's id; default: numeric suffix of $HOSTNAME + 1
#                 (pod xl-zk-0 -> 1), as the operator numbers server.N lines
#   JVMFLAGS      JVM options, e.g. -Xmx256m (default: the JVM's own heap
#                 sizing, a quarter of the container's memory limit)
#   ZK_HOME       ZooKeeper jars (lib/) and logback.xml (conf/) (default /opt/zookeeper)
#   JAVA_CMD      java binary (default: $JAVA_HOME/bin/java, else java)
# Writes only dataDir (myid, snapshots, transaction logs) and java.io.tmpdir
# (/tmp: the JVM's perf data); logs go to stdout, so the root filesystem can
# be read-only.
set -euo pipefail

fail() { echo "zookeeper entrypoint: error: $*" >&2; exit 64; }
info() { echo "zookeeper entrypoint: $*" >&2; }

ZOO_CONF_DIR="${ZOO_CONF_DIR:-/conf}"
ZK_HOME="${ZK_HOME:-/opt/zookeeper}"
CFG="$ZOO_CONF_DIR/zoo.cfg"
[ -f "$CFG" ] || fail "$CFG not found (is the config mounted at ZOO_CONF_DIR=$ZOO_CONF_DIR?)"
ls "$ZK_HOME"/lib/zookeeper-*.jar >/dev/null 2>&1 || fail "no zookeeper jar in $ZK_HOME/lib"

# cfg_value <key>: the last value of key in zoo.cfg (a Java properties file:
# "key=value", "key: value" or "key value"; trailing blanks dropped).
cfg_value() {
  sed -n -E "s/^[[:space:]]*$1[[:space:]]*[=:[:space:]][[:space:]]*//p" "$CFG" | tail -n1 | sed -E 's/[[:space:]]+$//'
}
DATA_DIR="$(cfg_value dataDir)"
[ -n "$DATA_DIR" ] || fail "$CFG sets no dataDir"

if [ -n "${ZOO_MYID:-}" ]; then
  myid="$ZOO_MYID"
elif [[ "${HOSTNAME:-}" =~ -([0-9]+)$ ]]; then
  myid=$((10#${BASH_REMATCH[1]} + 1))
else
  myid=""
fi
mkdir -p "$DATA_DIR" 2>/dev/null || true
[ -w "$DATA_DIR" ] || fail "dataDir $DATA_DIR is not writable by uid $(id -u)"
if [ -n "$myid" ]; then
  if ! [[ "$myid" =~ ^[0-9]+$ ]] || [ "$myid" -lt 1 ]; then
    fail "myid '$myid' is not a positive integer (ZOO_MYID, or HOSTNAME's suffix + 1)"
  fi
  echo "$myid" > "$DATA_DIR/myid"
elif grep -Eq '^[[:space:]]*server\.[0-9]+[[:space:]]*[=:]' "$CFG" && [ ! -s "$DATA_DIR/myid" ]; then
  # An ensemble member without an id would only fail later, less clearly.
  fail "$CFG lists servers but ZOO_MYID is not set, HOSTNAME='${HOSTNAME:-}' has no numeric suffix and $DATA_DIR/myid does not exist"
fi

JAVA_CMD="${JAVA_CMD:-}"
if [ -z "$JAVA_CMD" ]; then
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA_CMD="$JAVA_HOME/bin/java"; else JAVA_CMD=java; fi
fi
command -v "$JAVA_CMD" >/dev/null || fail "java not found (set JAVA_HOME or JAVA_CMD)"

# shellcheck disable=SC2206 # word splitting of the option string is intended
JVM=(${JVMFLAGS:-})
info "myid ${myid:-$(cat "$DATA_DIR/myid" 2>/dev/null || echo none)}, config $CFG, dataDir $DATA_DIR"
# The classpath is what zkServer.sh would build (lib/*.jar, then the conf dir
# with logback.xml). A JVM that runs out of memory exits, so it is restarted
# instead of limping on. QuorumPeerMain runs a standalone server when the
# config lists no other servers.
exec "$JAVA_CMD" -XX:+ExitOnOutOfMemoryError "${JVM[@]}" \
  -cp "$ZK_HOME/lib/*:$ZK_HOME/conf" \
  org.apache.zookeeper.server.quorum.QuorumPeerMain "$CFG"
