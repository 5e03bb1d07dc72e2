#!/usr/bin/env bash
# Builds helm v3 ($HELM_VERSION) from the Go module proxy into
# $CACHE_ROOT/helm-<version>/bin/helm and prints that path. Idempotent: a
# cached binary that reports the wanted version is reused.
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

OUT="$CACHE_ROOT/helm-$HELM_VERSION"
BIN="$OUT/bin/helm"
if [ -x "$BIN" ] && "$BIN" version --template '{{.Version}}' 2>/dev/null | grep -qxF "$HELM_VERSION"; then
  echo "$BIN"; exit 0
fi

mkdir -p "$OUT/bin"
# helm's go.mod has no replace directives, so `go install` works. Its Makefile
# stamps versions with ldflags, and so does this: without them `helm version`
# says v3.x-dev, and the Kubernetes version helm assumes when there is no
# cluster (`helm template`, `helm lint`) stays at its placeholder v1.20, which
# fails any chart whose kubeVersion asks for more. Like the Makefile, that
# version is the one of the client-go helm is built with (v0.N -> v1.N).
mod="helm.sh/helm/v3@$HELM_VERSION"
log "resolving $mod"
gomod="$(GOFLAGS=-mod=mod go mod download -json "$mod" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -f "$gomod" ] || die "could not download $mod"
client_go="$(sed -n 's/^[[:space:]]*k8s\.io\/client-go \(v[0-9.]*\).*/\1/p' "$gomod" | head -n1)"
[[ "$client_go" =~ ^v0\.([0-9]+)\. ]] || die "no k8s.io/client-go version in $gomod"
k8s_minor="${BASH_REMATCH[1]}"

ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  ldflags+=" -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$k8s_minor"
done

log "building helm $HELM_VERSION (kubernetes default v1.$k8s_minor)"
GOBIN="$OUT/bin" GOFLAGS=-mod=mod CGO_ENABLED=0 go install -trimpath -ldflags "$ldflags" \
  "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
[ -x "$BIN" ] || die "go install did not produce $BIN"
log "built $BIN"
echo "$BIN"
