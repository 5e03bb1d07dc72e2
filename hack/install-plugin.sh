#!/usr/bin/env bash
# Puts the kubectl plugin on PATH: a symbolic link DIR/kubectl-amq to this
# checkout's bin/kubectl-amq, so `kubectl amq ...` runs it (and follows the
# checkout when it changes). DIR: the first argument, else ~/.local/bin.
#   npm run plugin:install              # ~/.local/bin/kubectl-amq
#   npm run plugin:install -- /usr/local/bin
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$HOME/.local/bin}
if [ ! -f "$repo/node_modules/tsx/dist/loader.mjs" ]; then
  echo "error: the plugin runs with this checkout's node_modules: run npm ci in $repo first" >&2
  exit 1
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ -e "$dir/kubectl-amq" ] && [ ! -L "$dir/kubectl-amq" ]; then
  echo "error: $dir/kubectl-amq exists and is not a link; remove it first" >&2
  exit 1
fi
ln -sfn "$repo/bin/kubectl-amq" "$dir/kubectl-amq"
echo "installed: $dir/kubectl-amq -> $repo/bin/kubectl-amq"
case ":$PATH:" in
  *":$dir:"*) echo "try: kubectl amq help" ;;
  *) echo "note: $dir is not on PATH; add it (export PATH=\"$dir:\$PATH\") so kubectl finds the plugin" ;;
esac
