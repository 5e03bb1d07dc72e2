# Shared helpers for the hack/ scripts. Source it; do not run it.
set -euo pipefail
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=versions.env
source "$HACK_DIR/versions.env"
CACHE_ROOT="${AMQ_KEEPER_CACHE:-$HOME/.cache/amq-keeper}"
mkdir -p "$CACHE_ROOT"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
