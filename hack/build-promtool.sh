#!/usr/bin/env bash
# Builds promtool from the Go module proxy (github.com/prometheus/prometheus at
# $PROMETHEUS_MODULE_VERSION) into $CACHE_ROOT/promtool-<version>/bin/promtool
# and prints that path. Idempotent: a cached binary that runs is reused. Used by
# test/monitoring.test.ts to check and unit-test deploy/monitoring's rules.
# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "$0")/lib.sh"

OUT="$CACHE_ROOT/promtool-$PROMETHEUS_MODULE_VERSION"
BIN="$OUT/bin/promtool"
if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then echo "$BIN"; exit 0; fi

# Built into a temporary directory and moved in whole, so an interrupted build
# never leaves a binary that looks cached.
tmp="$(mktemp -d "$CACHE_ROOT/.promtool-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# The module's go.mod has no replace or exclude directives, so `go install`
# works; the version stamp is what Prometheus' own build sets.
v="${PROMETHEUS_MODULE_VERSION#v0.}"
ldflags="-s -w -X github.com/prometheus/common/version.Version=3.$((${v%%.*} - 300)).${v#*.}"
ldflags+=" -X github.com/prometheus/common/version.Branch=module-proxy"
log "building promtool from github.com/prometheus/prometheus@$PROMETHEUS_MODULE_VERSION (takes minutes the first time)"
start=$SECONDS
# remove_all_sd leaves out the service discoveries (AWS, Azure, GCE, ...: most
# of a full build's time; promtool still has file, HTTP and Kubernetes ones),
# which checking and unit-testing rules never use.
GOBIN="$tmp" GOFLAGS=-mod=mod CGO_ENABLED=0 go install -trimpath -tags remove_all_sd -ldflags "$ldflags" \
  "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_MODULE_VERSION"
[ -x "$tmp/promtool" ] || die "go install did not produce promtool"
mkdir -p "$OUT/bin"
mv "$tmp/promtool" "$BIN"
log "built $BIN in $((SECONDS - start)) s"
echo "$BIN"
