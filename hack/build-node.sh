#!/usr/bin/env bash
# Everything the real node (hack/node.sh) runs, installed or built once:
# - Debian packages: containerd, runc, the CNI plugins, conntrack, iptables
#   (and buildah, mmdebstrap for hack/build-images.sh);
# - kubelet and kube-proxy, built in the same wrapper module and cache as the
#   control plane (hack/build-k8s.sh), so every Kubernetes part is one version;
# - CoreDNS and crictl from the Go module proxy;
# - the sandbox ("pause") image, built here from hack/pause/pause.go because no
#   registry is reachable.
# Prints the directory holding the binaries. Needs root (apt-get).
source "$(dirname "$0")/lib.sh"

# openssl: the key store of brokers run from the host with TLS, and the test certificates.
DEB_PACKAGES=(containerd runc containernetworking-plugins conntrack iptables buildah mmdebstrap openssl)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "the real node needs root to install: ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

K8S_BIN="$(bash "$HACK_DIR/build-k8s.sh")"
if [ ! -x "$K8S_BIN/kubelet" ] || [ ! -x "$K8S_BIN/kube-proxy" ]; then
  cd "$K8S_BIN/../wrapper"
  # The wrapper's go.sum was tidied for the control plane only; let go add
  # what the node's packages need.
  export GOFLAGS=-mod=mod
  minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  log "building kubelet and kube-proxy $K8S_VERSION"
  go build -trimpath -ldflags "$ldflags" -o "$K8S_BIN/" \
    k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
fi

TOOLS="$CACHE_ROOT/node-tools-coredns-$COREDNS_VERSION-crictl-$CRICTL_VERSION"
mkdir -p "$TOOLS/bin"
if [ ! -x "$TOOLS/bin/coredns" ]; then
  log "building coredns $COREDNS_VERSION"
  GOFLAGS= GOBIN="$TOOLS/bin" go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
fi
if [ ! -x "$TOOLS/bin/crictl" ]; then
  log "building crictl $CRICTL_VERSION"
  GOFLAGS= GOBIN="$TOOLS/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
fi

# The pause image: its tag carries the source's hash, so a changed source is a
# new image and hack/node.sh imports it.
pause_hash="$(sha256sum "$HACK_DIR/pause/pause.go" | cut -c1-12)"
PAUSE_TAR="$TOOLS/pause-$pause_hash.tar"
if [ ! -f "$PAUSE_TAR" ]; then
  log "building the pause image"
  w="$(mktemp -d)"
  trap 'rm -rf "$w"' EXIT
  CGO_ENABLED=0 GOFLAGS= go build -trimpath -ldflags "-s -w" -o "$w/rootfs/pause" "$HACK_DIR/pause/pause.go"
  # A one-file OCI image written by hand: a layer tarball, its config and a
  # manifest, in the layout `ctr images import` reads.
  tar -C "$w/rootfs" --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$w/layer.tar" pause
  mkdir -p "$w/oci/blobs/sha256"
  layer_digest="$(sha256sum "$w/layer.tar" | cut -d' ' -f1)"
  cp "$w/layer.tar" "$w/oci/blobs/sha256/$layer_digest"
  printf '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$layer_digest" >"$w/config.json"
  config_digest="$(sha256sum "$w/config.json" | cut -d' ' -f1)"
  cp "$w/config.json" "$w/oci/blobs/sha256/$config_digest"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%d}]}' \
    "$config_digest" "$(stat -c %s "$w/config.json")" "$layer_digest" "$(stat -c %s "$w/layer.tar")" >"$w/manifest.json"
  manifest_digest="$(sha256sum "$w/manifest.json" | cut -d' ' -f1)"
  cp "$w/manifest.json" "$w/oci/blobs/sha256/$manifest_digest"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$w/oci/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"io.containerd.image.name":"localhost/amq-keeper/pause:%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$manifest_digest" "$(stat -c %s "$w/manifest.json")" "$pause_hash" "$pause_hash" >"$w/oci/index.json"
  tar -C "$w/oci" -cf "$PAUSE_TAR.tmp" . && mv "$PAUSE_TAR.tmp" "$PAUSE_TAR"
fi
echo "$TOOLS"
