#!/usr/bin/env bash
# Readiness of a ZooKeeper server: ready when it serves in a quorum (srvr
# answers Mode leader, follower or standalone), not when its client port is
# open. A restarted server opens 2181 before it has rejoined the quorum, and a
# roll that went on then could take a second server out. Uses bash's
# /dev/tcp, so it needs no tool the image lacks; srvr is whitelisted in the
# zoo.cfg the operator renders.
set -euo pipefail
port="${1:-2181}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf srvr >&3
reply="$(timeout 3 cat <&3)"
exec 3<&-
if ! grep -Eq '^Mode: (leader|follower|standalone)$' <<<"$reply"; then
  echo "not serving in a quorum: ${reply:-no answer}"
  exit 1
fi
