#!/usr/bin/env bash
# JMS test client (see src/main/java/amqkeeper/testclient/Main.java).
#   test/client/run.sh ping    --url U [--timeout-ms T]      (reports the options the URL set)
#   test/client/run.sh produce --url U --queue Q --count N [--persistent | --non-persistent] [--async]
#                              [--start-seq S] [--ttl-ms L] [--delay-ms D] [--period-ms P] [--repeat R] [--cron C] ...
#   test/client/run.sh consume --url U --queue Q --expect N [--idle-timeout-ms T] [--drain-ms D] ...
#   test/client/run.sh receive --url U --queue Q --for-ms D [--max N]     (every message, timestamped)
#   test/client/run.sh consume-rollback --url U --queue Q --for-ms D [--mode transacted|client-ack] [--max N]
#   test/client/run.sh browse  --url U --queue Q [--max N]                (a queue, not consumed)
#   test/client/run.sh scheduled --url U [--wait-ms W]                    (the broker's scheduled jobs)
#   test/client/run.sh build   (only builds; prints the output directory)
# stdout: one JSON object per line, the last with "event":"summary" or "fatal".
# Builds with mvn on first use into $AMQ_KEEPER_CACHE (default
# ~/.cache/amq-keeper)/amq-client-<hash of pom.xml + src + this script>/.
# Client log level: AMQ_CLIENT_LOG_LEVEL (default warn; slf4j-simple, stderr).
# Login: AMQ_USERNAME and AMQ_PASSWORD (none: an anonymous connection).
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE_ROOT="${AMQ_KEEPER_CACHE:-$HOME/.cache/amq-keeper}"
hash="$(cd "$DIR" && { cat pom.xml run.sh; find src -type f | LC_ALL=C sort | while IFS= read -r f; do echo "$f"; cat "$f"; done; } | sha256sum | cut -c1-16)"
OUT="$CACHE_ROOT/amq-client-$hash"

if [ ! -f "$OUT/.complete" ]; then
  command -v mvn >/dev/null || { echo "test/client/run.sh: mvn not found" >&2; exit 3; }
  mkdir -p "$CACHE_ROOT"
  tmp="$(mktemp -d "$CACHE_ROOT/.amq-client-build.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "test/client/run.sh: building the client into $OUT" >&2
  # build the sources from a copy, so concurrent runs do not share target/
  cp -R "$DIR/pom.xml" "$DIR/src" "$tmp/"
  if ! mvn -B -q -f "$tmp/pom.xml" -Damq.client.out="$tmp/out" package >"$tmp/mvn.log" 2>&1; then
    cat "$tmp/mvn.log" >&2
    echo "test/client/run.sh: mvn build failed" >&2
    exit 3
  fi
  mkdir -p "$tmp/out/classes"
  cp -R "$tmp/out/target/classes/." "$tmp/out/classes/"
  rm -rf "$tmp/out/target"
  touch "$tmp/out/.complete"
  if ! mv -T "$tmp/out" "$OUT" 2>/dev/null; then
    [ -f "$OUT/.complete" ] || { echo "test/client/run.sh: could not install $OUT" >&2; exit 3; }
  fi
fi

if [ "${1:-}" = build ]; then echo "$OUT"; exit 0; fi
exec java -Xmx256m -XX:+UseSerialGC \
  -Dorg.slf4j.simpleLogger.defaultLogLevel="${AMQ_CLIENT_LOG_LEVEL:-warn}" \
  -Dorg.slf4j.simpleLogger.showDateTime=true \
  -cp "$OUT/classes:$OUT/lib/*" amqkeeper.testclient.Main "$@"
