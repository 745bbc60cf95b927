# Sourced by the bench scripts after they set $root, $build and $work.
bench_ice_address="${CONVOX_BENCH_ICE_ADDRESS:-127.0.0.1}"

# stop_bench_server stops the server started last, if it runs;
# cleanup_bench also removes $work (for "trap cleanup_bench EXIT").
stop_bench_server() {
  if [ -n "${server:-}" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  server=""
}
cleanup_bench() {
  stop_bench_server
  rm -rf "$work"
}

# start_convox_server NAME [PREFIX...] -- [ARGS...]
# starts "$build/app/convox-server" (run under PREFIX, e.g. taskset) with
# ICE on $bench_ice_address (127.0.0.1 unless CONVOX_BENCH_ICE_ADDRESS says)
# and ARGS, logs in $work, and sets $server (pid) and
# $port once it listens; exits with the server's log if it does not start.
start_convox_server() {
  local name="$1" prefix=()
  shift
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do prefix+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  printf 'rtc:\n  interfaces: [%s]\n' "$bench_ice_address" >"$work/convox.yaml"
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

# start_janus_server NAME: starts Janus (Debian's janus package) with only
# the VideoRoom plugin and the WebSocket transport, ICE on
# $bench_ice_address as convox-server's (Janus gathers no loopback
# candidates: run it in a namespace, see sfu_vs_janus.sh), with a configuration written into $work; sets $server
# and $port (its WebSocket API) once it listens. Rooms are made by the
# load tool through the API.
start_janus_server() {
  local name="$1" lib=/usr/lib/x86_64-linux-gnu/janus
  if ! command -v janus >/dev/null; then
    echo "$name: Janus is not installed (Debian: apt-get install janus)" >&2
    exit 1
  fi
  # A WebSocket port nothing answers on now (Janus takes its port from the file).
  port=""
  for _ in $(seq 50); do
    local candidate=$((41000 + RANDOM % 8000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
  done
  [ -n "$port" ] || { echo "$name: no free port for Janus" >&2; exit 1; }
  mkdir -p "$work/janus"
  local keep="libjanus_videoroom.so" others
  others="$(cd "$lib/plugins" && ls lib*.so | grep -vx "$keep" | paste -sd, -)"
  cat >"$work/janus/janus.jcfg" <<CFG
general: {
  plugins_folder = "$lib/plugins"
  transports_folder = "$lib/transports"
  events_folder = "$lib/events"
  loggers_folder = "$lib/loggers"
  debug_level = 3
  session_timeout = 60
}
media: {
  ipv6 = false
  rtp_port_range = "20000-40000"
}
nat: {
  ice_enforce_list = "$bench_ice_address"
  ignore_mdns = true
}
plugins: {
  disable = "$others"
}
transports: {
  disable = "$(cd "$lib/transports" && ls lib*.so | grep -vx libjanus_websockets.so | paste -sd, -)"
}
loggers: {
  disable = "libjanus_jsonlog.so"
}
events: {
  broadcast = false
}
CFG
  cat >"$work/janus/janus.transport.websockets.jcfg" <<CFG
general: {
  json = "compact"
  ws = true
  ws_port = $port
  ws_ip = "127.0.0.1"
  wss = false
}
admin: {
  admin_ws = false
  admin_wss = false
}
CFG
  printf 'general: {\n}\n' >"$work/janus/janus.plugin.videoroom.jcfg"
  janus -F "$work/janus" >"$work/server.out" 2>"$work/server.err" &
  server=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  echo "$name: Janus did not start:" >&2
  tail -20 "$work/server.out" "$work/server.err" >&2
  exit 1
}
