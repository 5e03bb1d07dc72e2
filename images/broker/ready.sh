#!/usr/bin/env bash
# Readiness of a broker node: ready when it serves clients (the master, which
# alone listens on its OpenWire port) or is a slave attached to the master (an
# established connection to another node's replication port). A slave waiting
# for a master is not ready, and is never killed for it: there is no liveness
# probe on this state. Reads the kernel's socket tables, so it needs no tool
# the image lacks and costs no JVM time.
set -euo pipefail
AMQ_CONFIG_DIR="${AMQ_CONFIG_DIR:-/etc/amq-keeper}"
i="${AMQ_NODE_INDEX:?AMQ_NODE_INDEX is not set}"

port_of() { # port_of <env file> <key>
  sed -n "s/^$2=[\"']\{0,1\}\([0-9]*\).*/\1/p" "$1" | head -n1
}

openwire="$(port_of "$AMQ_CONFIG_DIR/node-$i.env" AMQ_OPENWIRE_PORT)"
[ -n "$openwire" ] || { echo "no AMQ_OPENWIRE_PORT in node-$i.env"; exit 1; }
peers=()
for f in "$AMQ_CONFIG_DIR"/node-*.env; do
  [ "$f" = "$AMQ_CONFIG_DIR/node-$i.env" ] && continue
  p="$(port_of "$f" AMQ_REPLICATION_PORT)"
  [ -n "$p" ] && peers+=("$p")
done

# /proc/net/tcp{,6}: "sl local rem st ...", addresses as HEX_IP:HEX_PORT;
# st 0A = LISTEN, 01 = ESTABLISHED. Plain bash: the image has no awk.
has_socket() { # has_socket <local|remote> <port> <state>
  local want sl local rem st rest
  want="$(printf ':%04X' "$2")"
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    while read -r sl local rem st rest; do
      [ "$st" = "$3" ] || continue
      if [ "$1" = local ]; then [ "${local: -5}" = "$want" ] && return 0; else [ "${rem: -5}" = "$want" ] && return 0; fi
    done < <(tail -n +2 "$f")
  done
  return 1
}

if has_socket local "$openwire" 0A; then
  echo "master: serving OpenWire on $openwire"
  exit 0
fi
for p in "${peers[@]}"; do
  if has_socket remote "$p" 01; then
    echo "slave: attached to the master's replication port $p"
    exit 0
  fi
done
echo "neither serving OpenWire on $openwire nor attached to a master (replication ports ${peers[*]:-none})"
exit 1
