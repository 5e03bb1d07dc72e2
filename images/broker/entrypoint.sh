#!/usr/bin/env bash
# Starts one ActiveMQ Classic broker node in the foreground (exec java, so
# the broker is this process: `kill -9 <pid>` kills the broker). Used by the
# container image and by the local test harness alike.
#
# Inputs (the operator renders the files into the ConfigMap
# <cluster>-broker-config, mounted at $AMQ_CONFIG_DIR):
#   $AMQ_CONFIG_DIR/activemq-<i>.xml  complete activemq.xml of node i
#   $AMQ_CONFIG_DIR/node-<i>.env      KEY=VALUE lines; at least AMQ_CONSOLE_PORT,
#                                     AMQ_OPENWIRE_PORT, AMQ_REPLICATION_PORT,
#                                     AMQ_POD_NAME (exported to the broker);
#                                     AMQ_METRICS_PORT when metrics are on
#   $AMQ_CONFIG_DIR/jmx-exporter.yaml the metrics agent's rules (with AMQ_METRICS_PORT)
#   $AMQ_CONFIG_DIR/groups.properties JAAS groups (group=user,user); present when
#                                     OpenWire clients must log in
# Passwords (a Secret volume at $AMQ_CREDENTIALS_DIR, never in the ConfigMap):
#   app/username, app/password        the application user
#   admin/username, admin/password    the admin user: also the web console's
#                                     only login (role admin)
#   users/<name>                      the password of each further user
#   zookeeper/password                the ZooKeeper digest password, exported as
#                                     AMQ_ZK_PASSWORD for the activemq.xml's
#                                     zkPassword="${AMQ_ZK_PASSWORD}"; needed
#                                     when the activemq.xml names it
# The certificate (the spec.tls Secret volume at $AMQ_TLS_DIR), when the
# activemq.xml asks for TLS:
#   tls.crt, tls.key                  PEM chain and key; made into a PKCS#12 key
#                                     store for OpenWire ssl:// and the console's
#                                     https, with openssl, at each start
# From them the script writes users.properties and jetty-realm.properties
# into $TMPDIR/amq-keeper-conf, made anew at each start, never onto the data
# volume.
# Environment:
#   AMQ_NODE_INDEX        node index i; default: numeric suffix of $HOSTNAME
#                         (xl-broker-2 -> 2)
#   ACTIVEMQ_HOME         ActiveMQ distribution (default /opt/activemq)
#   AMQ_DATA_DIR          LevelDB, scheduler, logs, tmp (default /var/lib/activemq)
#   AMQ_CONFIG_DIR        see above (default /etc/amq-keeper)
#   AMQ_CREDENTIALS_DIR   see above (default /etc/amq-keeper/credentials)
#   AMQ_TLS_DIR           see above (default /etc/amq-keeper/tls)
#   AMQ_HOSTNAME_OVERRIDE if set, replaces the hostname attribute of
#                         <replicatedLevelDB> (adds it when absent)
#   AMQ_HEAP_OPTS         default "-Xms64m -Xmx256m"
#   JAVA_OPTS             extra JVM options, appended last
#   JAVA_CMD              java binary (default: $JAVA_HOME/bin/java, else java)
# The web console listens on 0.0.0.0:$AMQ_CONSOLE_PORT (-Djetty.host/-Djetty.port,
# read by the WebConsolePort bean of conf/jetty.xml); it only starts when the
# activemq.xml imports jetty.xml. ZooKeeper SASL is off on the client
# (-Dzookeeper.sasl.client=false; replicated LevelDB only uses digest auth via
# zkPassword), which silences the AuthFailed warning at every connect.
# With AMQ_METRICS_PORT, the Prometheus JMX exporter agent of the distribution
# ($ACTIVEMQ_HOME/agent/jmx_prometheus_javaagent.jar) serves the broker's
# metrics on 0.0.0.0:$AMQ_METRICS_PORT/metrics, from the JVM's start on, so a
# slave (whose broker waits inside its store's start) answers too.
set -euo pipefail

fail() { echo "amq-keeper entrypoint: error: $*" >&2; exit 64; }
info() { echo "amq-keeper entrypoint: $*" >&2; }

ACTIVEMQ_HOME="${ACTIVEMQ_HOME:-/opt/activemq}"
AMQ_DATA_DIR="${AMQ_DATA_DIR:-/var/lib/activemq}"
AMQ_CONFIG_DIR="${AMQ_CONFIG_DIR:-/etc/amq-keeper}"
AMQ_CREDENTIALS_DIR="${AMQ_CREDENTIALS_DIR:-/etc/amq-keeper/credentials}"
AMQ_TLS_DIR="${AMQ_TLS_DIR:-/etc/amq-keeper/tls}"
AMQ_HEAP_OPTS="${AMQ_HEAP_OPTS:--Xms64m -Xmx256m}"

if [ -z "${AMQ_NODE_INDEX:-}" ]; then
  host="${HOSTNAME:-$(hostname 2>/dev/null || true)}"
  [[ "$host" =~ -([0-9]+)$ ]] \
    || fail "AMQ_NODE_INDEX is not set and HOSTNAME='$host' has no numeric suffix (like xl-broker-2)"
  AMQ_NODE_INDEX="${BASH_REMATCH[1]}"
fi
[[ "$AMQ_NODE_INDEX" =~ ^[0-9]+$ ]] || fail "AMQ_NODE_INDEX='$AMQ_NODE_INDEX' is not a non-negative integer"
i="$AMQ_NODE_INDEX"

[ -d "$ACTIVEMQ_HOME" ] || fail "ACTIVEMQ_HOME=$ACTIVEMQ_HOME is not a directory"
[ -f "$ACTIVEMQ_HOME/bin/activemq.jar" ] || fail "$ACTIVEMQ_HOME/bin/activemq.jar not found (is ACTIVEMQ_HOME an ActiveMQ distribution?)"
[ -d "$ACTIVEMQ_HOME/conf" ] || fail "$ACTIVEMQ_HOME/conf not found"
[ -d "$AMQ_CONFIG_DIR" ] || fail "AMQ_CONFIG_DIR=$AMQ_CONFIG_DIR is not a directory (is the ConfigMap mounted?)"
XML_SRC="$AMQ_CONFIG_DIR/activemq-$i.xml"
ENV_SRC="$AMQ_CONFIG_DIR/node-$i.env"
[ -f "$XML_SRC" ] || fail "$XML_SRC not found (AMQ_NODE_INDEX=$i, AMQ_CONFIG_DIR=$AMQ_CONFIG_DIR)"
[ -f "$ENV_SRC" ] || fail "$ENV_SRC not found (AMQ_NODE_INDEX=$i, AMQ_CONFIG_DIR=$AMQ_CONFIG_DIR)"

# node-<i>.env: KEY=VALUE per line; blank lines and # comments ignored; values
# taken literally (no shell expansion), surrounding quotes stripped.
n=0
while IFS= read -r line || [ -n "$line" ]; do
  n=$((n + 1))
  line="${line%$'\r'}"
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] \
    || fail "$ENV_SRC line $n is not KEY=VALUE: $line"
  key="${BASH_REMATCH[1]}" val="${BASH_REMATCH[2]}"
  if [[ "$val" =~ ^\"(.*)\"$ ]] || [[ "$val" =~ ^\'(.*)\'$ ]]; then val="${BASH_REMATCH[1]}"; fi
  export "$key=$val"
done < "$ENV_SRC"
for k in AMQ_CONSOLE_PORT AMQ_OPENWIRE_PORT AMQ_REPLICATION_PORT AMQ_POD_NAME; do
  [ -n "${!k:-}" ] || fail "$k is not set in $ENV_SRC"
done
[[ "$AMQ_CONSOLE_PORT" =~ ^[0-9]+$ ]] || fail "AMQ_CONSOLE_PORT='$AMQ_CONSOLE_PORT' in $ENV_SRC is not a port number"

METRICS_AGENT=()
if [ -n "${AMQ_METRICS_PORT:-}" ]; then
  [[ "$AMQ_METRICS_PORT" =~ ^[0-9]+$ ]] || fail "AMQ_METRICS_PORT='$AMQ_METRICS_PORT' in $ENV_SRC is not a port number"
  agent="$ACTIVEMQ_HOME/agent/jmx_prometheus_javaagent.jar"
  [ -f "$agent" ] || fail "$ENV_SRC asks for metrics (AMQ_METRICS_PORT) but $agent is missing: use an image built from images/broker, or set spec.metrics.enabled: false"
  [ -f "$AMQ_CONFIG_DIR/jmx-exporter.yaml" ] || fail "$AMQ_CONFIG_DIR/jmx-exporter.yaml not found (AMQ_METRICS_PORT is set in $ENV_SRC)"
  METRICS_AGENT=("-javaagent:$agent=$AMQ_METRICS_PORT:$AMQ_CONFIG_DIR/jmx-exporter.yaml")
fi

JAVA_CMD="${JAVA_CMD:-}"
if [ -z "$JAVA_CMD" ]; then
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then JAVA_CMD="$JAVA_HOME/bin/java"; else JAVA_CMD=java; fi
fi
command -v "$JAVA_CMD" >/dev/null || fail "java not found (set JAVA_HOME or JAVA_CMD)"

# Writable copy of the distribution's conf/, made fresh on every start in
# $TMPDIR (the pod's emptyDir), with this node's activemq.xml and logins in it
# (jetty.xml, login.config, log4j.properties ... are resolved next to it).
mkdir -p "$AMQ_DATA_DIR" || fail "cannot create AMQ_DATA_DIR=$AMQ_DATA_DIR"
[ -w "$AMQ_DATA_DIR" ] || fail "AMQ_DATA_DIR=$AMQ_DATA_DIR is not writable by uid $(id -u)"
# The copy of an older image, which held no password, is not left behind.
rm -rf "$AMQ_DATA_DIR/conf"
# One fixed directory, made anew at each start: a restarted container (same
# emptyDir) leaves nothing behind. $TMPDIR is the pod's own; a host running
# several brokers gives each its own TMPDIR.
CONF="${TMPDIR:-/tmp}/amq-keeper-conf"
rm -rf "$CONF"
mkdir -m 0700 "$CONF" || fail "cannot create $CONF"
TMPDIR_AMQ="$AMQ_DATA_DIR/tmp"
cp -R "$ACTIVEMQ_HOME/conf/." "$CONF"
chmod -R u+w "$CONF"
chmod 0700 "$CONF"
if [ -n "${AMQ_HOSTNAME_OVERRIDE:-}" ]; then
  [[ "$AMQ_HOSTNAME_OVERRIDE" =~ ^[A-Za-z0-9._:-]+$ ]] \
    || fail "AMQ_HOSTNAME_OVERRIDE='$AMQ_HOSTNAME_OVERRIDE' is not a plain host name or address"
  grep -q '<replicatedLevelDB' "$XML_SRC" \
    || fail "AMQ_HOSTNAME_OVERRIDE is set but $XML_SRC has no <replicatedLevelDB> element"
  # GNU sed -z: the element may span lines ([^>] matches newlines).
  sed -z -E \
    -e "s/(<replicatedLevelDB[^>]*[[:space:]]hostname[[:space:]]*=[[:space:]]*\")[^\"]*\"/\1$AMQ_HOSTNAME_OVERRIDE\"/" \
    -e "s/(<replicatedLevelDB[^>]*[[:space:]]hostname[[:space:]]*=[[:space:]]*')[^']*'/\1$AMQ_HOSTNAME_OVERRIDE'/" \
    "$XML_SRC" > "$CONF/activemq.xml"
  if ! tr '\n' ' ' < "$CONF/activemq.xml" | grep -Eq "<replicatedLevelDB[^>]*[[:space:]]hostname[[:space:]]*=[[:space:]]*[\"']$AMQ_HOSTNAME_OVERRIDE[\"']"; then
    sed -z -E "s/<replicatedLevelDB([[:space:]>\/])/<replicatedLevelDB hostname=\"$AMQ_HOSTNAME_OVERRIDE\"\1/" \
      "$XML_SRC" > "$CONF/activemq.xml"
  fi
else
  cp "$XML_SRC" "$CONF/activemq.xml"
fi
mkdir -p "$TMPDIR_AMQ"

# Logins. secret <relative path>: a file of the credentials volume, first line, no newline.
secret() {
  local f="$AMQ_CREDENTIALS_DIR/$1" v
  [ -r "$f" ] || fail "$f not found or not readable (is the credentials Secret mounted at AMQ_CREDENTIALS_DIR=$AMQ_CREDENTIALS_DIR?)"
  IFS= read -r v < "$f" || [ -n "$v" ] || fail "$f is empty"
  printf '%s' "$v"
}
# A properties key or value: backslash, and in a key also = : and blanks, are escaped.
esc_value() { local v="${1//\\/\\\\}"; printf '%s' "$v"; }
esc_key() { local v; v="$(esc_value "$1")"; v="${v//=/\\=}"; v="${v//:/\\:}"; v="${v// /\\ }"; printf '%s' "$v"; }
admin_user="$(secret admin/username)"
admin_pass="$(secret admin/password)"
[[ "$admin_pass" != *,* ]] || fail "the admin password has a comma, which the web console's realm file cannot hold; choose another"
umask 077
# The console's only login; the distribution's admin/admin and user/user are gone.
printf '%s: %s, admin\n' "$(esc_key "$admin_user")" "$(esc_value "$admin_pass")" > "$CONF/jetty-realm.properties"
if [ -f "$AMQ_CONFIG_DIR/groups.properties" ]; then
  # Read first: a failure inside a printf argument would not stop the script.
  app_user="$(secret app/username)"
  app_pass="$(secret app/password)"
  lines="$(esc_key "$app_user")=$(esc_value "$app_pass")"$'\n'"$(esc_key "$admin_user")=$(esc_value "$admin_pass")"$'\n'
  if [ -d "$AMQ_CREDENTIALS_DIR/users" ]; then
    for f in "$AMQ_CREDENTIALS_DIR"/users/*; do
      [ -e "$f" ] || continue
      name="$(basename "$f")"
      pass="$(secret "users/$name")"
      lines+="$(esc_key "$name")=$(esc_value "$pass")"$'\n'
    done
  fi
  printf '%s' "$lines" > "$CONF/users.properties"
  cp "$AMQ_CONFIG_DIR/groups.properties" "$CONF/groups.properties"
else
  # Anonymous OpenWire: no login file at all.
  : > "$CONF/users.properties"
  : > "$CONF/groups.properties"
fi
umask 022

# Spring's placeholder resolves zkPassword from the environment; the value is
# never printed.
# shellcheck disable=SC2016 # grep looks for the literal placeholder
if [ -f "$AMQ_CREDENTIALS_DIR/zookeeper/password" ]; then
  AMQ_ZK_PASSWORD="$(secret zookeeper/password)"
  export AMQ_ZK_PASSWORD
elif grep -qF '${AMQ_ZK_PASSWORD}' "$CONF/activemq.xml"; then
  fail "$XML_SRC sets zkPassword=\"\${AMQ_ZK_PASSWORD}\" but $AMQ_CREDENTIALS_DIR/zookeeper/password is missing (the credentials Secret needs the key zookeeper-password)"
fi

# TLS (spec.tls): the Secret volume's PEM certificate chain and key become a
# PKCS#12 key store in $CONF/tls, under a password made here and known only to
# this process's environment (activemq.xml says "${AMQ_TLS_KEYSTORE_PASSWORD}").
# shellcheck disable=SC2016 # grep looks for the literal placeholder
if grep -qF '${AMQ_TLS_KEYSTORE_PASSWORD}' "$CONF/activemq.xml"; then
  for f in tls.crt tls.key; do
    [ -s "$AMQ_TLS_DIR/$f" ] || fail "$XML_SRC asks for TLS but $AMQ_TLS_DIR/$f is missing or empty (is the spec.tls Secret mounted at AMQ_TLS_DIR=$AMQ_TLS_DIR?)"
  done
  command -v openssl >/dev/null || fail "openssl not found: it turns $AMQ_TLS_DIR/tls.crt and tls.key into the broker's key store"
  AMQ_TLS_KEYSTORE_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -d '/+=\n')"
  export AMQ_TLS_KEYSTORE_PASSWORD
  mkdir -m 0700 "$CONF/tls"
  # The password goes through the environment, never the command line.
  if ! err="$(openssl pkcs12 -export -in "$AMQ_TLS_DIR/tls.crt" -inkey "$AMQ_TLS_DIR/tls.key" -name broker \
        -out "$CONF/tls/keystore.p12" -passout env:AMQ_TLS_KEYSTORE_PASSWORD 2>&1)"; then
    fail "cannot make a key store from $AMQ_TLS_DIR/tls.crt and tls.key (do they belong together, PEM-encoded?): $err"
  fi
  info "TLS: $(openssl x509 -in "$AMQ_TLS_DIR/tls.crt" -noout -subject -enddate | tr '\n' ' ')"
fi

# The JVM flags bin/activemq (5.16.x) passes on Java 9+, plus two for LevelDB.
JDK_FLAGS=(
  --add-reads=java.xml=java.logging
  --add-opens java.base/java.security=ALL-UNNAMED
  --add-opens java.base/java.net=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED
  --add-opens java.naming/javax.naming.spi=ALL-UNNAMED
  --add-opens java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED
  --add-opens java.base/java.util.concurrent.atomic=ALL-UNNAMED
  --add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED
  --add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED
  --add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED
  --add-exports=jdk.xml.dom/org.w3c.dom.html=ALL-UNNAMED
  --add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED
  # Not in bin/activemq, needed by LevelDB: 5.16.x ships leveldbjni without
  # native libraries, so the store always runs the pure-Java iq80 LevelDB,
  # whose ByteBufferSupport calls DirectByteBuffer.cleaner() reflectively and
  # fails (ExceptionInInitializerError, store never opens) without these.
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
)
jver="$("$JAVA_CMD" -version 2>&1 | sed -n 's/.*version "\([0-9]*\)[."].*/\1/p' | head -n1)"
if [ -n "$jver" ] && [ "$jver" -le 8 ] 2>/dev/null; then JDK_FLAGS=(); fi

# shellcheck disable=SC2206 # word splitting of the option strings is intended
HEAP=($AMQ_HEAP_OPTS)
# shellcheck disable=SC2206
EXTRA=(${JAVA_OPTS:-})

cd "$CONF"   # logging.properties is given relative, as bin/activemq does
info "node $i ($AMQ_POD_NAME): openwire $AMQ_OPENWIRE_PORT${AMQ_TLS_KEYSTORE_PASSWORD:+ (TLS)}, replication $AMQ_REPLICATION_PORT, console 0.0.0.0:$AMQ_CONSOLE_PORT, metrics ${AMQ_METRICS_PORT:-off}, data $AMQ_DATA_DIR"
exec "$JAVA_CMD" "${HEAP[@]}" \
  "${METRICS_AGENT[@]}" \
  -Djava.util.logging.config.file=logging.properties \
  -Djava.security.auth.login.config="$CONF/login.config" \
  -Djava.awt.headless=true \
  -Djava.io.tmpdir="$TMPDIR_AMQ" \
  "${JDK_FLAGS[@]}" \
  -Dactivemq.classpath="$CONF:$ACTIVEMQ_HOME/lib/" \
  -Dactivemq.home="$ACTIVEMQ_HOME" \
  -Dactivemq.base="$ACTIVEMQ_HOME" \
  -Dactivemq.conf="$CONF" \
  -Dactivemq.data="$AMQ_DATA_DIR" \
  -Dzookeeper.sasl.client=false \
  -Djetty.host=0.0.0.0 \
  -Djetty.port="$AMQ_CONSOLE_PORT" \
  "${EXTRA[@]}" \
  -jar "$ACTIVEMQ_HOME/bin/activemq.jar" start "xbean:file:$CONF/activemq.xml"
