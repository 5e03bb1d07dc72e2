#!/usr/bin/env bash
# The one real node of a local control plane (hack/control-plane.sh up
# --with-node calls this): containerd with runc, the CNI bridge, kubelet,
# kube-proxy and CoreDNS, so pods really run, from images loaded straight into
# containerd. Linux and root only. One node per machine: the bridge, the
# iptables rules and the kubelet port are the host's.
#
#   hack/node.sh network <state-dir>   bridge, routes and isolation; checked
#   hack/node.sh up <state-dir>        runtime, images, kubelet, kube-proxy, DNS, volumes
#   hack/node.sh down <state-dir>      stops all of it and removes what it left
#
# <state-dir> is the control plane's: its pki/, ports.env and kubeconfig.
# Env: NODE_PVS (hostPath volumes offered, default 40), NODE_TIMEOUT (s, 180),
#      NODE_IMAGES (archives to load, space-separated; default: what
#      hack/build-images.sh builds).
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=SCRIPTDIR/node.env
source "$HACK_DIR/node.env"

OWNER_FILE=/run/amq-keeper-node.owner
TIMEOUT="${NODE_TIMEOUT:-180}"
CONTAINERD_ROOT="$CACHE_ROOT/node/containerd" # images survive between runs
CNI_BIN=/usr/lib/cni

usage() { sed -n '8,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------- processes

pid_of() { # pid of a node process if alive and started for this state dir
  local f="$NODE/pids/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  started_for "$pid" "$STATE" || return 1
  echo "$pid"
}

start() { # start <name> <command...>: every command names a path in $STATE
  local name="$1"; shift
  "$@" >"$NODE/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$NODE/pids/$name.pid"
}

stop() { # stop <name>: SIGTERM, SIGKILL after 20 s
  local pid deadline=$((SECONDS + 20))
  pid="$(pid_of "$1")" || { rm -f "$NODE/pids/$1.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  while pid_of "$1" >/dev/null; do
    if [ "$SECONDS" -ge "$deadline" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    sleep 0.2
  done
  rm -f "$NODE/pids/$1.pid"
}

fail() { # fail <component> <message>
  log "error: $1: $2"
  [ -f "$NODE/logs/$1.log" ] && { echo "----- last lines of $NODE/logs/$1.log -----" >&2; tail -n 40 "$NODE/logs/$1.log" >&2; }
  exit 1
}

wait_for() { # wait_for <component> <what> <command...>
  local comp="$1" what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    pid_of "$comp" >/dev/null || fail "$comp" "exited while waiting for $what"
    [ "$SECONDS" -lt "$DEADLINE" ] || fail "$comp" "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.5
  done
}

crictl() { "$TOOLS/bin/crictl" --runtime-endpoint "unix://$NODE/containerd.sock" --timeout 30s "$@"; }
ctr() { command ctr --address "$NODE/containerd.sock" --namespace k8s.io "$@"; }
kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$STATE/kubeconfig" --request-timeout=10s "$@"; }

# ---------------------------------------------------------------- network

# The bridge has no uplink and only this host's routes point at it; forwarded
# packets may only go from the bridge back to the bridge (pod to Service to
# pod). So no packet to a pod or Service address leaves the machine, whether
# or not kube-proxy has written its rules yet.
cmd_network() {
  [ "$(id -u)" = 0 ] || die "the real node needs root (network namespaces, iptables, mounts)"
  [ "$(uname -s)" = Linux ] || die "the real node needs Linux"
  claim_node
  ip link show "$NODE_BRIDGE" >/dev/null 2>&1 || ip link add "$NODE_BRIDGE" type bridge
  ip addr show dev "$NODE_BRIDGE" | grep -qF " $NODE_IP/" || ip addr add "$NODE_IP/${POD_CIDR#*/}" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  ip route replace "$SERVICE_CIDR" dev "$NODE_BRIDGE" src "$NODE_IP"
  iptables -w -N AMQK-ISOLATE 2>/dev/null || iptables -w -F AMQK-ISOLATE
  iptables -w -A AMQK-ISOLATE -i "$NODE_BRIDGE" ! -o "$NODE_BRIDGE" -j DROP
  iptables -w -A AMQK-ISOLATE ! -i "$NODE_BRIDGE" -o "$NODE_BRIDGE" -j DROP
  iptables -w -C FORWARD -j AMQK-ISOLATE 2>/dev/null || iptables -w -I FORWARD 1 -j AMQK-ISOLATE
  # Pod to Service to pod is forwarded on the host; bridged replies must pass
  # conntrack to be un-NATed.
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
  check_network
}

check_network() {
  local probe dev
  for probe in "${POD_RANGE_START%.*}.7" "${SERVICE_CIDR%.*}.1"; do
    dev="$(ip -o route get "$probe" | sed -n 's/.* dev \([^ ]*\).*/\1/p')"
    [ "$dev" = "$NODE_BRIDGE" ] \
      || die "unsafe network: $probe routes via '$dev', not the node bridge $NODE_BRIDGE; refusing to start pods (see hack/node.env)"
  done
  [ "$(iptables -w -S FORWARD 1 2>/dev/null)" = "-A FORWARD -j AMQK-ISOLATE" ] \
    || die "unsafe network: FORWARD does not start with the AMQK-ISOLATE chain; refusing to start pods"
}

network_down() {
  while iptables -w -D FORWARD -j AMQK-ISOLATE 2>/dev/null; do :; done
  iptables -w -F AMQK-ISOLATE 2>/dev/null && iptables -w -X AMQK-ISOLATE 2>/dev/null || true
  ip route del "$SERVICE_CIDR" dev "$NODE_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
}

# ---------------------------------------------------------------- configuration

write_kubeconfig() { # write_kubeconfig <file> <cert name in pki/>
  local pki="$STATE/pki"
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "https://$NODE_IP:$API_PORT", certificate-authority: "$pki/ca.crt"}
users:
- name: $2
  user: {client-certificate: "$pki/$2.crt", client-key: "$pki/$2.key"}
contexts:
- name: local
  context: {cluster: local, user: $2}
current-context: local
EOF
}

write_configs() {
  local pki="$STATE/pki"
  write_kubeconfig "$NODE/kubelet.kubeconfig" kubelet
  write_kubeconfig "$NODE/kube-proxy.kubeconfig" kube-proxy
  write_kubeconfig "$NODE/coredns.kubeconfig" coredns

  mkdir -p "$NODE/cni/net.d" "$NODE/cni/ipam" "$NODE/containerd-state"
  cat >"$NODE/containerd.toml" <<EOF
version = 2
root = "$CONTAINERD_ROOT"
state = "$NODE/containerd-state"
[grpc]
  address = "$NODE/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE: runc must not try to lower oom_score_adj.
  restrict_oom_score_adj = true
  enable_unprivileged_ports = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$NODE/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
EOF
  # ipMasq off: pod traffic is never NATed towards an uplink.
  cat >"$NODE/cni/net.d/10-amq-keeper.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "amq-keeper",
  "plugins": [
    {
      "type": "bridge", "bridge": "$NODE_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$NODE/cni/ipam",
        "ranges": [[{"subnet": "$POD_CIDR", "rangeStart": "$POD_RANGE_START", "rangeEnd": "$POD_RANGE_END", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  # cgroup v1 here: kubelet 1.35+ refuses it unless told, and there is no
  # systemd to drive cgroups. resolvConf "": pods get cluster DNS only, so no
  # name lookup is ever sent off the machine.
  cat >"$NODE/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$NODE/containerd.sock
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$NODE_IP]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: ""
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%}
syncFrequency: 10s
shutdownGracePeriod: 0s
# Container logs live and go with the node, not in the host's /var/log/pods.
podLogsDir: $NODE/pod-logs
EOF
  cat >"$NODE/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $NODE/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
nodePortAddresses: ["$NODE_IP/32"]
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {syncPeriod: 30s, minSyncPeriod: 0s}
EOF
  # Cluster names only: there is no forward plugin, so nothing is asked upstream.
  cat >"$NODE/Corefile" <<EOF
.:53 {
    bind $NODE_IP
    errors
    ready 127.0.0.1:8181
    kubernetes $CLUSTER_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $NODE/coredns.kubeconfig local
        pods insecure
    }
}
EOF
}

# ---------------------------------------------------------------- images and volumes

# Loads each archive once into containerd's (cached) store: a marker per
# archive file, whose name carries its content hash.
import_images() {
  local tar marker
  mkdir -p "$CONTAINERD_ROOT/amq-keeper-imported"
  for tar in "$@"; do
    marker="$CONTAINERD_ROOT/amq-keeper-imported/$(basename "$tar")"
    [ -f "$marker" ] && continue
    log "node: importing $(basename "$tar")"
    ctr images import --all-platforms "$tar" >&2 || die "ctr could not import $tar"
    touch "$marker"
  done
}

# No volume provisioner runs here: a default StorageClass with pre-made
# hostPath volumes, world-writable because hostPath ignores fsGroup.
make_volumes() {
  local n="${NODE_PVS:-40}" i
  mkdir -p "$NODE/volumes"
  {
    cat <<EOF
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local-hostpath
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: Immediate
allowVolumeExpansion: false
EOF
    for ((i = 0; i < n; i++)); do
      mkdir -p "$NODE/volumes/pv-$i" && chmod 1777 "$NODE/volumes/pv-$i"
      cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-pv-$i}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: local-hostpath
  hostPath: {path: "$NODE/volumes/pv-$i", type: Directory}
EOF
    done
  } | kubectl_admin apply -f - >/dev/null
}

# CoreDNS reads Services, their endpoints, pods and namespaces; nothing more.
grant_coredns() {
  kubectl_admin apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "amq-keeper:coredns"}
rules:
- apiGroups: [""]
  resources: [services, endpoints, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "amq-keeper:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "amq-keeper:coredns"}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: "amq-keeper:coredns"}
EOF
}

# ---------------------------------------------------------------- commands

claim_node() {
  local owner
  owner="$(cat "$OWNER_FILE" 2>/dev/null || true)"
  # The owner's control plane counts too: between `network` and `up` its node
  # has no process yet, and a second claim then would take the bridge from it.
  if [ -n "$owner" ] && [ "$owner" != "$STATE" ]; then
    for f in "$owner"/node/pids/*.pid "$owner"/pids/*.pid; do
      [ -f "$f" ] && [ -r "/proc/$(cat "$f")/cmdline" ] \
        && die "a real node is already running (or starting) for $owner; run 'hack/control-plane.sh down $owner' first"
    done
  fi
  echo "$STATE" >"$OWNER_FILE"
}

node_ready() {
  [ "$(kubectl_admin get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

cmd_up() {
  [ -f "$STATE/ports.env" ] || die "$STATE has no running control plane"
  # shellcheck disable=SC1091
  source "$STATE/ports.env"
  check_network
  [ "$(cat "$OWNER_FILE" 2>/dev/null)" = "$STATE" ] || die "run 'hack/node.sh network $STATE' first"
  TOOLS="$(bash "$HACK_DIR/build-node.sh")"
  K8S_BIN="$(bash "$HACK_DIR/build-k8s.sh")"
  local pause_tar
  pause_tar="$(ls "$TOOLS"/pause-*.tar | head -n1)"
  PAUSE_IMAGE="localhost/amq-keeper/pause:$(basename "$pause_tar" .tar | sed 's/^pause-//')"
  mkdir -p "$NODE/logs" "$NODE/pids" "$NODE/kubelet" "$CONTAINERD_ROOT"
  write_configs

  DEADLINE=$((SECONDS + TIMEOUT))
  start containerd containerd --config "$NODE/containerd.toml"
  wait_for containerd "containerd to answer" ctr version
  local images=()
  if [ -n "${NODE_IMAGES+set}" ]; then read -r -a images <<<"$NODE_IMAGES"
  else mapfile -t images < <(bash "$HACK_DIR/build-images.sh"); fi
  import_images "$pause_tar" "${images[@]}"
  # Pods a crashed earlier run left behind.
  crictl rmp --all --force >/dev/null 2>&1 || true
  grant_coredns

  DEADLINE=$((SECONDS + TIMEOUT))
  start kubelet "$K8S_BIN/kubelet" --config="$NODE/kubelet.yaml" --kubeconfig="$NODE/kubelet.kubeconfig" \
    --hostname-override="$NODE_NAME" --node-ip="$NODE_IP" --root-dir="$NODE/kubelet" --cert-dir="$NODE/kubelet-pki"
  start kube-proxy "$K8S_BIN/kube-proxy" --config="$NODE/kube-proxy.yaml"
  start coredns "$TOOLS/bin/coredns" -conf "$NODE/Corefile"
  wait_for kubelet "node $NODE_NAME Ready" node_ready
  wait_for coredns "CoreDNS ready" curl -fs --max-time 2 http://127.0.0.1:8181/ready
  make_volumes
  log "node $NODE_NAME up in ${SECONDS}s: pods on $POD_CIDR, Services on $SERVICE_CIDR, DNS $NODE_IP"
}

cmd_down() {
  TOOLS="$(ls -d "$CACHE_ROOT"/node-tools-coredns-"$COREDNS_VERSION"-crictl-"$CRICTL_VERSION" 2>/dev/null || true)"
  # kubelet first, so it does not start again what is being removed.
  stop kubelet
  if pid_of containerd >/dev/null && [ -n "$TOOLS" ]; then
    crictl rmp --all --force >/dev/null 2>&1 || log "node: crictl could not remove every pod"
  fi
  stop coredns
  stop kube-proxy
  stop containerd
  local kp
  kp="$(ls "$CACHE_ROOT"/k8s-"$K8S_VERSION"-etcd-"$ETCD_VERSION"/bin/kube-proxy 2>/dev/null || true)"
  [ -n "$kp" ] && "$kp" --cleanup >/dev/null 2>&1 || true
  # The kubelet's canary chains (kube-proxy --cleanup removes the rest).
  local t
  for t in mangle nat filter; do
    iptables -w -t "$t" -F KUBE-KUBELET-CANARY 2>/dev/null && iptables -w -t "$t" -X KUBE-KUBELET-CANARY 2>/dev/null || true
  done
  # Mounts the kubelet and containerd made (the kubelet's root, volumes,
  # sandboxes), deepest first.
  local m
  findmnt -rn -o TARGET | { grep -E "^($NODE/kubelet|$NODE/containerd-state)(/|\$)" || true; } | sort -r \
    | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  if [ "$(cat "$OWNER_FILE" 2>/dev/null)" = "$STATE" ]; then
    network_down
    rm -f "$OWNER_FILE"
  fi
}

[ $# = 2 ] || usage
cmd="$1"
[ -d "$2" ] || die "state dir $2 does not exist"
STATE="$(cd "$2" && pwd -P)"
NODE="$STATE/node"
mkdir -p "$NODE"
case "$cmd" in
  network) cmd_network ;;
  up) cmd_up ;;
  down) cmd_down ;;
  *) usage ;;
esac
