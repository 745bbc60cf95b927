#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: initdb in a temp directory, a
# server listening only on a Unix socket in that directory (no TCP port to
# collide with, nothing reachable from outside), fsync off.
#   eval "$(scripts/pg-test-cluster.sh start)"   # exports CONVOX_TEST_DATABASE_URL and CONVOX_TEST_PG_DIR
#   scripts/pg-test-cluster.sh stop "$CONVOX_TEST_PG_DIR"
# initdb refuses to run as root, so as root the cluster runs as `postgres`.
set -euo pipefail

pgbin="${CONVOX_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
[ -x "$pgbin/initdb" ] || { echo "pg-test-cluster: no initdb under /usr/lib/postgresql (install postgresql)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    dir="$(mktemp -d -t convox-pg-XXXXXX)"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    as_owner "$pgbin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c max_connections=200" \
      start >/dev/null 2>&1 || { cat "$dir/server.log" >&2; exit 1; }
    echo "export CONVOX_TEST_PG_DIR='$dir'"
    echo "export CONVOX_TEST_DATABASE_URL='postgresql:///postgres?host=$dir&user=postgres'"
    ;;
  stop)
    dir="${2:?usage: pg-test-cluster.sh stop DIR}"
    as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
