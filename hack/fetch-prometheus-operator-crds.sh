#!/usr/bin/env bash
# Fetches the Prometheus operator's CRDs for PodMonitor, ServiceMonitor and
# PrometheusRule (monitoring.coreos.com/v1) from the Go module proxy: the
# module zip of github.com/prometheus-operator/prometheus-operator at
# $PROMETHEUS_OPERATOR_VERSION ships them in example/prometheus-operator-crd/.
# Unpacks the three into $CACHE_ROOT/prometheus-operator-crds-<ver>/ and prints
# that directory. Idempotent; logs go to stderr. Tests only: with them the API
# server judges the chart's monitoring objects (test/helm.test.ts).
source "$(dirname "$0")/lib.sh"

MODULE=github.com/prometheus-operator/prometheus-operator
# sha256 of the proxy's zip for that version (the zip's bytes are fixed once published).
ZIP_SHA256=0bdb88ed823d0f2e86cf909638439b6ad1da744a228172c7411d9987527dc5d1
CRDS=(podmonitors servicemonitors prometheusrules)

OUT="$CACHE_ROOT/prometheus-operator-crds-$PROMETHEUS_OPERATOR_VERSION"
done_all() { for c in "${CRDS[@]}"; do [ -s "$OUT/monitoring.coreos.com_$c.yaml" ] || return 1; done; }
if done_all; then echo "$OUT"; exit 0; fi
command -v unzip >/dev/null || die "unzip not found on PATH (apt-get install unzip)"

proxy="${GOPROXY:-https://proxy.golang.org}"
proxy="${proxy%%[,|]*}"
[[ "$proxy" == http* ]] || proxy=https://proxy.golang.org
tmp="$(mktemp -d "$CACHE_ROOT/.po-crds.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
url="$proxy/$MODULE/@v/$PROMETHEUS_OPERATOR_VERSION.zip"
log "fetching $MODULE@$PROMETHEUS_OPERATOR_VERSION (module zip, for its CRDs)"
curl -sSfL --retry 3 -o "$tmp/module.zip" "$url" || die "could not fetch $url"
echo "$ZIP_SHA256  $tmp/module.zip" | sha256sum -c --quiet - >&2 \
  || die "$MODULE@$PROMETHEUS_OPERATOR_VERSION: the zip's sha256 is not the pinned one (bumped the version? pin the new sum)"
inside="$MODULE@$PROMETHEUS_OPERATOR_VERSION/example/prometheus-operator-crd"
mkdir -p "$tmp/crds"
for c in "${CRDS[@]}"; do
  unzip -p "$tmp/module.zip" "$inside/monitoring.coreos.com_$c.yaml" >"$tmp/crds/monitoring.coreos.com_$c.yaml"
  [ -s "$tmp/crds/monitoring.coreos.com_$c.yaml" ] || die "the module zip has no $inside/monitoring.coreos.com_$c.yaml"
done
rm -rf "$OUT"
mv "$tmp/crds" "$OUT"
log "Prometheus operator CRDs $PROMETHEUS_OPERATOR_VERSION ready in $OUT"
echo "$OUT"
