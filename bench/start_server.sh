# Sourced by the bench scripts: start_convox_server NAME [PREFIX...] -- [ARGS...]
# starts "$build/app/convox-server" (run under PREFIX, e.g. taskset) with
# ICE on 127.0.0.1 and ARGS, logs in $work, and sets $server (pid) and
# $port once it listens; exits with the server's log if it does not start.
start_convox_server() {
  local name="$1" prefix=()
  shift
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do prefix+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  printf 'rtc:\n  interfaces: [127.0.0.1]\n' >"$work/convox.yaml"
  "${prefix[@]}" "$build/app/convox-server" --port 0 --log-level "${CONVOX_LOG_LEVEL:-warn}" \
    --config "$work/convox.yaml" "$@" >"$work/server.out" 2>"$work/server.err" &
  server=$!
  port=""
  for _ in $(seq 100); do
    port="$(sed -nE 's/.*listening on [0-9.]+:([0-9]+).*/\1/p' "$work/server.out" | head -1)"
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$port" ]; then
    echo "$name: convox-server did not start:" >&2
    cat "$work/server.err" >&2
    exit 1
  fi
}
