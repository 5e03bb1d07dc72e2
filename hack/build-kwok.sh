#!/usr/bin/env bash
# Builds sigs.k8s.io/kwok's `kwok` controller from the Go module proxy into
# $CACHE_ROOT/kwok-<version>/bin and copies the module's Stage manifests into
# $CACHE_ROOT/kwok-<version>/stages/<kind>-<set>/ (e.g. pod-fast, node-fast).
# kwok is what turns pods bound to fake nodes into Running/Ready pods with IPs,
# since there is no kubelet. Prints the kwok-<version> directory.
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

OUT="$CACHE_ROOT/kwok-$KWOK_VERSION"
# Stage sets control-plane.sh --with-kwok loads; checked so a half-finished
# earlier run is redone rather than trusted.
if [ -x "$OUT/bin/kwok" ] && [ -f "$OUT/stages/pod-fast/pod-ready.yaml" ] \
  && [ -f "$OUT/stages/node-heartbeat-with-lease/node-heartbeat-with-lease.yaml" ]; then
  echo "$OUT"; exit 0
fi

mkdir -p "$OUT/bin"
# kwok's go.mod has no replace directives, so a plain `go install` works.
log "building kwok $KWOK_VERSION"
GOBIN="$OUT/bin" GOFLAGS=-mod=mod go install -trimpath \
  -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" \
  "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"

# The stage YAML lives in the module zip, which `go install` just downloaded.
src="$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$src/kustomize/stage" ] || die "no kustomize/stage in kwok module at '$src'"
rm -rf "$OUT/stages.tmp"
for kind in pod node; do
  for dir in "$src/kustomize/stage/$kind"/*/; do
    set_name="$kind-$(basename "$dir")"
    mkdir -p "$OUT/stages.tmp/$set_name"
    # Only the Stage objects: skip kustomization.yaml, README, embed.go, testdata/.
    for f in "$dir"*.yaml; do
      [ "$(basename "$f")" = kustomization.yaml ] && continue
      grep -q '^kind: Stage$' "$f" || continue
      install -m 0644 "$f" "$OUT/stages.tmp/$set_name/"
    done
  done
done
rm -rf "$OUT/stages" && mv "$OUT/stages.tmp" "$OUT/stages"
log "built kwok into $OUT"
echo "$OUT"
