#!/usr/bin/env bash
# Runs a command inside a private network namespace with a veth pair
# (v0 10.77.0.1 <-> v1 10.77.0.2). Chromium gathers ICE candidates only on
# non-loopback interfaces; this gives it one that leads nowhere outside.
# Needs root (CI runs as root). See ../../shared/TESTING.md.
set -euo pipefail
exec unshare -n bash -c '
  set -e
  ip link set lo up
  ip link add v0 type veth peer name v1
  ip addr add 10.77.0.1/24 dev v0
  ip addr add 10.77.0.2/24 dev v1
  ip link set v0 up
  ip link set v1 up
  ip route add default via 10.77.0.2 dev v0
  for i in all default lo v0 v1; do
    sysctl -qw net.ipv4.conf.$i.accept_local=1 net.ipv4.conf.$i.rp_filter=0
  done
  sysctl -qw net.ipv6.conf.all.disable_ipv6=1
  exec "$@"
' netns "$@"
