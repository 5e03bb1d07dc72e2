#!/usr/bin/env bash
# README command one: set up (cached after the first run) and run the local
# end-to-end demo. Pass --keep to leave it running.
source "$(dirname "$0")/lib.sh"
cd "$REPO_DIR"
[ -d node_modules ] || npm ci --no-audit --no-fund
bash hack/setup.sh
exec npx tsx hack/demo.ts "$@"
