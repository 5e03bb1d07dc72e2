#!/usr/bin/env bash
# Runs a real local Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, optionally kwok for fake nodes) from
# the binaries hack/build-k8s.sh (and hack/build-kwok.sh) put in the cache.
# Everything listens on 127.0.0.1 and lives in one state dir, so instances with
# different state dirs can run side by side.
#
#   hack/control-plane.sh up <state-dir> [--port-base N] [--with-kwok] [--kwok-nodes N] [--with-node]
#       prints the admin kubeconfig path once the cluster is usable; --with-node
#       adds the real node (hack/node.sh) and serves the API on the node's
#       bridge address instead of 127.0.0.1, so pods can reach it
#   hack/control-plane.sh down <state-dir>
#   hack/control-plane.sh env <state-dir>    # eval "$(... env dir)"
#   hack/control-plane.sh stop-apiserver <state-dir>
#   hack/control-plane.sh start-apiserver <state-dir>
#   hack/control-plane.sh restart-kwok <state-dir>
#       stop (SIGTERM) and start again only the kube-apiserver of a running
#       instance, on the same address, port and certificates
#
# Env: CONTROL_PLANE_TIMEOUT (seconds for `up` and `start-apiserver`, default 120), K8S_BIN, KWOK_DIR.
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/node.env
source "$HACK_DIR/node.env"

K8S_BIN="${K8S_BIN:-$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION/bin}"
KWOK_DIR="${KWOK_DIR:-$CACHE_ROOT/kwok-$KWOK_VERSION}"
TIMEOUT="${CONTROL_PLANE_TIMEOUT:-120}"
# Port blocks are claimed in a directory shared by every instance on the host.
PORT_LOCKS="${TMPDIR:-/tmp}/amq-keeper-ports"
# Each instance uses 8 consecutive ports: offsets below. Random blocks are
# picked below 32768 so they never collide with kernel-assigned ephemeral ports.
PORT_MIN=20000 PORT_MAX=32760 BLOCK=8
# Stop order matters only for etcd: the others are stopped first so the
# apiserver does not spin on a vanished etcd while shutting down.
COMPONENTS=(kwok kube-scheduler kube-controller-manager kube-apiserver etcd)
KWOK_STAGE_SETS=(node-fast node-heartbeat-with-lease pod-fast)
SA_ISSUER=https://kubernetes.default.svc.cluster.local

usage() { sed -n '8,19p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------- helpers

# pid of a component if it is alive and really ours: pid files can go stale and
# pids get reused, so the process's command line must mention this state dir.
live_pid() {
  local f="$STATE/pids/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  # Every component gets a path inside the state dir on its command line.
  started_for "$pid" "$STATE" || return 1
  echo "$pid"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Is the instance whose state dir is $1 still running (or still starting)?
instance_alive() {
  local dir="$1" f pid
  for f in "$dir"/pids/*.pid; do
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    [ -r "/proc/$pid/cmdline" ] && tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qF -- "$dir/" && return 0
  done
  # An `up` still starting has no components yet; its bash pid is in up.pid.
  [ -f "$dir/up.pid" ] && pid="$(cat "$dir/up.pid")" && [ -s "/proc/$pid/cmdline" ]
}

# Claims a block of ports under a host-wide flock, so two `up`s started at the
# same moment cannot pick the same block. Sets PORT_BASE.
claim_ports() {
  local want="$1" base tries i lock owner
  mkdir -p "$PORT_LOCKS"
  exec 9>"$PORT_LOCKS/.lock"
  flock -w 30 9 || die "could not lock $PORT_LOCKS/.lock"
  if [ "$want" != 0 ]; then tries=1; base="$want"
  else tries=$(((PORT_MAX - PORT_MIN) / BLOCK)); base=$((PORT_MIN + (RANDOM * 32768 + RANDOM) % tries * BLOCK))
  fi
  PORT_BASE=""
  for ((n = 0; n < tries; n++)); do
    lock="$PORT_LOCKS/$base"
    owner="$(cat "$lock" 2>/dev/null || true)"
    if [ -z "$owner" ] || [ "$owner" = "$STATE" ] || ! instance_alive "$owner"; then
      for ((i = 0; i < BLOCK; i++)); do port_free $((base + i)) || break; done
      if [ "$i" = "$BLOCK" ]; then echo "$STATE" >"$lock"; PORT_BASE="$base"; break; fi
    fi
    base=$((base + BLOCK)); [ "$base" -lt "$PORT_MAX" ] || base=$PORT_MIN
  done
  exec 9>&- # release the flock; also keeps fd 9 out of the daemons
  if [ -z "$PORT_BASE" ]; then
    [ "$want" = 0 ] && die "no free block of $BLOCK ports in $PORT_MIN-$PORT_MAX"
    die "ports $want-$((want + BLOCK - 1)) are in use or claimed by another instance"
  fi
}

release_ports() {
  local p
  [ -f "$STATE/ports.env" ] || return 0
  p="$(sed -n 's/^PORT_BASE=//p' "$STATE/ports.env")"
  [ -n "$p" ] && [ "$(cat "$PORT_LOCKS/$p" 2>/dev/null)" = "$STATE" ] && rm -f "$PORT_LOCKS/$p"
  return 0
}

# ---------------------------------------------------------------- certificates

gen_ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# sign_cert <name> <subject> <extendedKeyUsage> [subjectAltName]
sign_cert() {
  local pki="$STATE/pki" name="$1" subj="$2" eku="$3" san="${4:-}"
  gen_ec_key "$pki/$name.key"
  openssl req -new -config "$pki/openssl.cnf" -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr"
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [ -z "$san" ] || echo "subjectAltName=$san"
  } >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -extfile "$pki/$name.ext" \
    -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

# Generated once per state dir: a reused state dir keeps etcd data, and
# ServiceAccount tokens stored there must stay verifiable.
gen_pki() {
  local pki="$STATE/pki"
  [ -f "$pki/done" ] && return 0
  rm -rf "$pki" && mkdir -p "$pki" && chmod 700 "$pki"
  # Own minimal config so the host's openssl.cnf cannot add surprise extensions.
  cat >"$pki/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = amq-keeper-local-ca
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
EOF
  gen_ec_key "$pki/ca.key"
  openssl req -x509 -new -config "$pki/openssl.cnf" -extensions v3_ca -key "$pki/ca.key" \
    -days 3650 -out "$pki/ca.crt"
  sign_cert apiserver "/CN=kube-apiserver" serverAuth \
    "IP:127.0.0.1,IP:10.96.0.1,IP:$NODE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign_cert admin "/O=system:masters/CN=admin" clientAuth
  # These CNs are the users the default RBAC bootstrap roles are bound to.
  sign_cert kube-controller-manager "/CN=system:kube-controller-manager" clientAuth
  sign_cert kube-scheduler "/CN=system:kube-scheduler" clientAuth
  # The real node's parts (hack/node.sh); the Node authorizer knows the kubelet
  # by this name.
  sign_cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  sign_cert kubelet-serving "/CN=$NODE_NAME" serverAuth "IP:$NODE_IP"
  sign_cert kube-proxy "/CN=system:kube-proxy" clientAuth
  sign_cert coredns "/CN=amq-keeper:coredns" clientAuth
  sign_cert apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client" clientAuth
  # RSA for the SA signer: RS256 is what every token consumer accepts.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$pki/sa.key" 2>/dev/null
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub"
  touch "$pki/done"
}

b64() { base64 -w0 <"$1"; }

# write_kubeconfig <file> <cert name in pki/>
write_kubeconfig() {
  local pki="$STATE/pki"
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: amq-keeper-local
  cluster:
    server: https://$API_HOST:$API_PORT
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(b64 "$pki/$2.crt")
    client-key-data: $(b64 "$pki/$2.key")
contexts:
- name: amq-keeper-local
  context:
    cluster: amq-keeper-local
    user: $2
current-context: amq-keeper-local
EOF
  chmod 600 "$1"
}

# ---------------------------------------------------------------- processes

STARTED=()
start() { # start <name> <command...>
  local name="$1"; shift
  # Appends: a component started again (start-apiserver) keeps its earlier log.
  "$@" >>"$STATE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/pids/$name.pid"
  STARTED+=("$name")
}

fail() { # fail <component> <message>
  log "error: $1: $2"
  if [ -f "$STATE/logs/$1.log" ]; then
    echo "----- last lines of $STATE/logs/$1.log -----" >&2
    tail -n 40 "$STATE/logs/$1.log" >&2
    echo "-----" >&2
  fi
  exit 1 # the EXIT trap stops whatever was started
}

# Polls until <command...> succeeds; fails early naming any started component
# that died, or <component> if the deadline passes.
wait_for() { # wait_for <component> <what> <command...>
  local comp="$1" what="$2" name; shift 2
  until "$@" >/dev/null 2>&1; do
    for name in "${STARTED[@]}"; do live_pid "$name" >/dev/null || fail "$name" "exited while waiting for $what"; done
    [ "$SECONDS" -lt "$DEADLINE" ] || fail "$comp" "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.2
  done
}

kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$STATE/kubeconfig" --request-timeout=5s "$@"; }
apiserver_ready() { [ "$(kubectl_admin get --raw /readyz)" = ok ]; }
https_healthz() { curl -fsk --max-time 2 "https://127.0.0.1:$1/healthz"; }
etcd_healthy() { curl -fs --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
node_ready() {
  [ "$(kubectl_admin get node "$1" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# SIGTERM to the named components, then waits for them to exit (SIGKILL after 20s).
stop_components() {
  local name pid entry deadline pids=()
  for name in "$@"; do
    pid="$(live_pid "$name")" || continue
    kill -TERM "$pid" 2>/dev/null || true
    pids+=("$name:$pid")
  done
  deadline=$((SECONDS + 20))
  for entry in "${pids[@]}"; do
    name="${entry%%:*}"
    while live_pid "$name" >/dev/null; do
      if [ "$SECONDS" -ge "$deadline" ]; then
        log "$name did not exit 20s after SIGTERM; sending SIGKILL"
        kill -KILL "${entry#*:}" 2>/dev/null || true
        deadline=$((SECONDS + 3600)) # SIGKILL once; it cannot be ignored
      fi
      sleep 0.1
    done
  done
}

stop_all() {
  # Everything but etcd first, then etcd.
  stop_components kwok kube-scheduler kube-controller-manager kube-apiserver
  stop_components etcd
  rm -f "$STATE"/pids/*.pid
}

# kwok as `up` starts it, and restart-kwok again. It picks the nodes it runs
# (annotation kwok.x-k8s.io/node=fake) when it starts: a node whose annotation
# was removed before a restart stops reporting, as a lost node does.
start_kwok() {
  local cfg=() set b
  for set in "${KWOK_STAGE_SETS[@]}"; do
    for b in "$KWOK_DIR/stages/$set"/*.yaml; do cfg+=("--config=$b"); done
  done
  # HOME points into the state dir so a stray ~/.kwok/kwok.yaml is not merged
  # in. Pod IPs come from 10.244/16 so they never overlap service IPs.
  start kwok env HOME="$STATE/kwok-home" "$KWOK_DIR/bin/kwok" \
    --kubeconfig="$STATE/kubeconfig" "${cfg[@]}" \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --server-address="127.0.0.1:$KWOK_PORT" --node-port="$KWOK_PORT" --node-ip=127.0.0.1 \
    --cidr=10.244.0.0/16 --node-lease-duration-seconds=40
}

# The API server as `up` starts it, and start-apiserver again: address, port
# and mode from ports.env, certificates from pki/.
start_apiserver() {
  local pki="$STATE/pki"
  # Without a node: RBAC only, since no kubelet means nothing for the Node
  # authorizer, and no endpoint reconciler, since the only address to
  # advertise is 127.0.0.1, which Endpoints validation rejects (it would log
  # an error every 10s). With the node, pods reach the API server through the
  # `kubernetes` Service at the bridge address.
  local api_mode=(--authorization-mode=RBAC --endpoint-reconciler-type=none)
  if [ "$WITH_NODE" = 1 ]; then
    api_mode=(--authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction
      --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt"
      --kubelet-client-key="$pki/apiserver-kubelet-client.key"
      --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=InternalIP)
  fi
  start kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address="$API_HOST" --advertise-address="$API_HOST" --secure-port="$API_PORT" \
    --cert-dir="$pki/generated" --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" "${api_mode[@]}" \
    --service-account-issuer="$SA_ISSUER" --service-account-key-file="$pki/sa.pub" \
    --service-account-signing-key-file="$pki/sa.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" --allow-privileged=true
}

# ---------------------------------------------------------------- commands

# Any failure or interrupt before `up` finishes tears down what it started.
on_up_exit() {
  local rc=$?
  if [ "$UP_OK" = 0 ]; then
    if [ -d "$STATE/node" ]; then bash "$HACK_DIR/node.sh" down "$STATE" || true; fi
    stop_all; release_ports
  fi
  rm -f "$STATE/up.pid"
  exit "$rc"
}

cmd_up() {
  local want_base=0 with_kwok=0 kwok_nodes=1 with_node=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --port-base) want_base="${2:?--port-base needs a value}"; shift 2 ;;
      --port-base=*) want_base="${1#*=}"; shift ;;
      --with-kwok) with_kwok=1; shift ;;
      --kwok-nodes) kwok_nodes="${2:?--kwok-nodes needs a value}"; with_kwok=1; shift 2 ;;
      --with-node) with_node=1; shift ;;
      *) usage ;;
    esac
  done
  [[ "$want_base" =~ ^[0-9]+$ ]] || die "--port-base must be a number"
  [[ "$kwok_nodes" =~ ^[0-9]+$ ]] || die "--kwok-nodes must be a number"
  local b
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [ -x "$K8S_BIN/$b" ] || die "$K8S_BIN/$b missing; run hack/build-k8s.sh"
  done
  if [ "$with_kwok" = 1 ]; then
    [ -x "$KWOK_DIR/bin/kwok" ] || die "$KWOK_DIR/bin/kwok missing; run hack/build-kwok.sh"
  fi

  mkdir -p "$STATE"/{logs,pids,etcd}
  for b in "${COMPONENTS[@]}"; do
    live_pid "$b" >/dev/null && die "$b already running for $STATE; run down first"
  done
  echo $$ >"$STATE/up.pid"
  DEADLINE=$((SECONDS + TIMEOUT))
  UP_OK=0
  trap on_up_exit EXIT
  trap 'exit 130' INT TERM

  gen_pki
  API_HOST=127.0.0.1 WITH_NODE=$with_node
  if [ "$with_node" = 1 ]; then
    # The bridge must exist before the API server binds its address.
    bash "$HACK_DIR/node.sh" network "$STATE" || exit 1
    API_HOST=$NODE_IP
  fi
  claim_ports "$want_base"
  API_PORT=$PORT_BASE ETCD_PORT=$((PORT_BASE + 1)) ETCD_PEER_PORT=$((PORT_BASE + 2))
  KCM_PORT=$((PORT_BASE + 3)) SCHED_PORT=$((PORT_BASE + 4)) KWOK_PORT=$((PORT_BASE + 5))
  cat >"$STATE/ports.env" <<EOF
PORT_BASE=$PORT_BASE
API_PORT=$API_PORT
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
KCM_PORT=$KCM_PORT
SCHED_PORT=$SCHED_PORT
KWOK_PORT=$KWOK_PORT
API_HOST=$API_HOST
WITH_NODE=$with_node
EOF
  write_kubeconfig "$STATE/kubeconfig" admin
  write_kubeconfig "$STATE/kube-controller-manager.kubeconfig" kube-controller-manager
  write_kubeconfig "$STATE/kube-scheduler.kubeconfig" kube-scheduler
  local pki="$STATE/pki"

  # fsync off: the data is thrown away with the state dir and fsync dominates
  # etcd latency on CI disks.
  start etcd "$K8S_BIN/etcd" --name=default --data-dir="$STATE/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync=true
  wait_for etcd "etcd /health" etcd_healthy

  start_apiserver
  wait_for kube-apiserver "apiserver /readyz" apiserver_ready

  # Leader election off: one replica each, and it saves a lease round trip.
  # High client QPS: with per-controller credentials the default limit (20/s)
  # throttles the token requests at startup and adds ~4s to every `up`.
  start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
    --authorization-kubeconfig="$STATE/kube-controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --cert-dir="$STATE/kcm-certs" \
    --leader-elect=false --controllers='*' --use-service-account-credentials=true \
    --kube-api-qps=200 --kube-api-burst=400 \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt"
  start kube-scheduler "$K8S_BIN/kube-scheduler" \
    --kubeconfig="$STATE/kube-scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE/kube-scheduler.kubeconfig" \
    --authorization-kubeconfig="$STATE/kube-scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHED_PORT" --cert-dir="$STATE/scheduler-certs" \
    --leader-elect=false

  [ "$with_kwok" = 1 ] && start_kwok

  wait_for kube-controller-manager "controller-manager /healthz" https_healthz "$KCM_PORT"
  wait_for kube-scheduler "scheduler /healthz" https_healthz "$SCHED_PORT"
  wait_for kube-apiserver "namespace default" kubectl_admin get namespace default
  wait_for kube-controller-manager "ServiceAccount default/default" kubectl_admin -n default get serviceaccount default

  if [ "$with_kwok" = 1 ]; then
    for ((i = 0; i < kwok_nodes; i++)); do
      kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
EOF
    done
    for ((i = 0; i < kwok_nodes; i++)); do
      wait_for kwok "node kwok-node-$i Ready" node_ready "kwok-node-$i"
    done
  fi

  if [ "$with_node" = 1 ]; then
    bash "$HACK_DIR/node.sh" up "$STATE" || exit 1
  fi

  UP_OK=1
  log "control plane up in ${SECONDS}s: https://$API_HOST:$API_PORT (state $STATE)"
  echo "$STATE/kubeconfig"
}

cmd_down() {
  if [ -d "$STATE/node" ]; then bash "$HACK_DIR/node.sh" down "$STATE" || log "the node did not stop cleanly; see above"; fi
  stop_all
  release_ports
  rm -f "$STATE/ports.env"
}

cmd_stop_apiserver() {
  live_pid kube-apiserver >/dev/null || die "kube-apiserver is not running for $STATE"
  stop_components kube-apiserver
  rm -f "$STATE/pids/kube-apiserver.pid"
}

cmd_start_apiserver() {
  [ -f "$STATE/ports.env" ] || die "$STATE is not running (no ports.env)"
  # shellcheck disable=SC1091
  source "$STATE/ports.env"
  WITH_NODE="${WITH_NODE:-0}"
  live_pid kube-apiserver >/dev/null && die "kube-apiserver already running for $STATE"
  live_pid etcd >/dev/null || die "etcd is not running for $STATE"
  DEADLINE=$((SECONDS + TIMEOUT))
  start_apiserver
  wait_for kube-apiserver "apiserver /readyz" apiserver_ready
  log "kube-apiserver started again: https://$API_HOST:$API_PORT"
}

cmd_restart_kwok() {
  [ -f "$STATE/ports.env" ] || die "$STATE is not running (no ports.env)"
  # shellcheck disable=SC1091
  source "$STATE/ports.env"
  live_pid kwok >/dev/null || die "kwok is not running for $STATE"
  stop_components kwok
  STARTED=()
  start_kwok
  DEADLINE=$((SECONDS + TIMEOUT))
  wait_for kwok "kwok /healthz" curl -fsS "http://127.0.0.1:$KWOK_PORT/healthz"
  log "kwok started again"
}

cmd_env() {
  [ -f "$STATE/ports.env" ] || die "$STATE is not running (no ports.env)"
  # shellcheck disable=SC1091
  source "$STATE/ports.env"
  printf 'export KUBECONFIG=%q\n' "$STATE/kubeconfig"
  printf 'export KUBECTL=%q\n' "$K8S_BIN/kubectl"
  printf 'export KUBE_APISERVER_URL=%q\n' "https://${API_HOST:-127.0.0.1}:$API_PORT"
  printf 'export ETCD_URL=%q\n' "http://127.0.0.1:$ETCD_PORT"
}

[ $# -ge 2 ] || usage
cmd="$1" dir="$2"; shift 2
[ "$cmd" = up ] && mkdir -p "$dir"
[ -d "$dir" ] || die "state dir $dir does not exist"
# Absolute, symlink-free: live_pid matches it against process command lines.
STATE="$(cd "$dir" && pwd -P)"
case "$cmd" in
  up) cmd_up "$@" ;;
  down) [ $# = 0 ] || usage; cmd_down ;;
  env) [ $# = 0 ] || usage; cmd_env ;;
  stop-apiserver) [ $# = 0 ] || usage; cmd_stop_apiserver ;;
  start-apiserver) [ $# = 0 ] || usage; cmd_start_apiserver ;;
  restart-kwok) [ $# = 0 ] || usage; cmd_restart_kwok ;;
  *) usage ;;
esac
