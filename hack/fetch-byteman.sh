#!/usr/bin/env bash
# Fetches the Byteman agent (org.jboss.byteman:byteman:$BYTEMAN_VERSION) from
# Maven Central into $CACHE_ROOT/byteman-<ver>/byteman.jar and prints that
# path. Idempotent; logs go to stderr. Tests only: it lets a test hold back one
# replication frame inside a real broker (test/acknowledged-send.test.ts),
# the one moment a kill cannot be timed to from outside.
source "$(dirname "$0")/lib.sh"

OUT="$CACHE_ROOT/byteman-$BYTEMAN_VERSION"
if [ -f "$OUT/byteman.jar" ]; then echo "$OUT/byteman.jar"; exit 0; fi
command -v mvn >/dev/null || die "mvn not found on PATH (needed to fetch Byteman)"
tmp="$(mktemp -d "$CACHE_ROOT/.byteman-fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
  -Dartifact="org.jboss.byteman:byteman:$BYTEMAN_VERSION" -DoutputDirectory="$tmp" >"$tmp/mvn.log" 2>&1 \
  || { cat "$tmp/mvn.log" >&2; die "org.jboss.byteman:byteman:$BYTEMAN_VERSION is not served"; }
mkdir -p "$OUT"
mv "$tmp/byteman-$BYTEMAN_VERSION.jar" "$OUT/byteman.jar"
log "Byteman $BYTEMAN_VERSION ready in $OUT"
echo "$OUT/byteman.jar"
