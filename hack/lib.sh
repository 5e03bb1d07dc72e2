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

# started_for <pid> <state-dir>: whether the process is alive and was started
# for that state dir: its command line names a path inside it (pid files go
# stale and pids get reused). A component just started by `cmd &` may not have
# exec'd yet, when its command line is still the script's, which names the
# state dir itself; and while it execs, its command line reads empty. Both
# count as alive, or a check made in that instant would take it for dead.
started_for() {
  local stat args
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # Zombies (exited, not yet reaped) are gone.
  [ "$(cut -d' ' -f2 <<<"${stat##*)}")" != Z ] || return 1
  args="$(tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null)" || return 1
  # Empty: mid-exec, unless a kernel thread (no executable) took a stale pid.
  [ -n "$args" ] || { readlink "/proc/$1/exe" >/dev/null 2>&1; return; }
  grep -qF -- "$2/" <<<"$args" || grep -qxF -- "$2" <<<"$args"
}
