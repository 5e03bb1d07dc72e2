#!/usr/bin/env bash
# Runs the test files given (default: every *.test.ts) with node's test runner.
# Node 20's --test takes no globs, so the files are found here.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$#" -gt 0 ]; then files=("$@"); else mapfile -t files < <(find src test -name '*.test.ts' | sort); fi
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
