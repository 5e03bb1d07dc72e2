#!/usr/bin/env bash
# Builds or fetches every real part the tests and the demo use, into
# $CACHE_ROOT (default ~/.cache/amq-keeper), keyed by version. A warm cache
# makes this a few seconds; the first run builds Kubernetes from the Go module
# proxy, fetches ZooKeeper and ActiveMQ from Maven Central, installs the real
# node's Debian packages (root) and builds the images on local Debian bases.
# The Go builds and the Maven fetches run side by side: one is mostly compile,
# the other mostly download, so together they take little more than the longer.
source "$(dirname "$0")/lib.sh"
t0=$SECONDS
step() { log "setup: $1"; shift; "$@" >/dev/null; }

go_parts() {
  step "kubernetes $K8S_VERSION + etcd $ETCD_VERSION" bash "$HACK_DIR/build-k8s.sh"
  step "real node: kubelet, kube-proxy, containerd, CNI, CoreDNS $COREDNS_VERSION" bash "$HACK_DIR/build-node.sh"
  step "kwok $KWOK_VERSION" bash "$HACK_DIR/build-kwok.sh"
  step "helm $HELM_VERSION" bash "$HACK_DIR/build-helm.sh"
}
java_parts() {
  step "zookeeper $ZOOKEEPER_VERSION" bash "$HACK_DIR/fetch-zookeeper.sh"
  step "activemq $ACTIVEMQ_VERSION" bash "$REPO_DIR/broker/assemble.sh"
  step "byteman $BYTEMAN_VERSION (tests)" bash "$HACK_DIR/fetch-byteman.sh"
  step "prometheus operator CRDs $PROMETHEUS_OPERATOR_VERSION (tests)" bash "$HACK_DIR/fetch-prometheus-operator-crds.sh"
  step "jms test client" bash "$REPO_DIR/test/client/run.sh" build
  # A Go build, here beside the Maven fetches: the chain above is the long one.
  step "promtool (prometheus module $PROMETHEUS_MODULE_VERSION, tests)" bash "$HACK_DIR/build-promtool.sh"
}
go_parts & go_pid=$!
java_parts & java_pid=$!
rc=0
wait "$go_pid" || { log "setup: the Go builds failed (see above)"; rc=1; }
wait "$java_pid" || { log "setup: the Maven fetches failed (see above)"; rc=1; }
[ "$rc" = 0 ] || exit 1
# The images need both: buildah from the node's packages, the distributions from the fetches.
step "images: operator, broker, zookeeper" bash "$HACK_DIR/build-images.sh"
log "setup: done in $((SECONDS - t0))s"
