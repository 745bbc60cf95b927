#!/usr/bin/env bash
# SFU audio forwarding load, end to end over loopback: builds convox-server
# and convox-sfu-load if needed, starts the server (--dev, ICE on 127.0.0.1),
# runs the load tool against it, prints its figures and stops the server.
#
#   bench/sfu_load.sh                          # 10 rooms x (2 publishers + 4 subscribers), 20 s
#   bench/sfu_load.sh -R 20 -P 2 -S 8 --seconds 30
#   CONVOX_SFU_LOAD_PERF=1 bench/sfu_load.sh   # also perf-record the server during the window
#                                              # (CONVOX_SFU_LOAD_PERF_DATA=file keeps perf.data)
#
# Arguments go to convox-sfu-load (see --help). CONVOX_BUILD_DIR picks the
# build directory (default: build).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CONVOX_BUILD_DIR:-$root/build}"

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVOX_WERROR=ON >/dev/null
fi
ninja -C "$build" -j2 convox-server convox-sfu-load >/dev/null

work="$(mktemp -d)"
# shellcheck source=start_server.sh
source "$root/bench/start_server.sh"
trap cleanup_bench EXIT

start_convox_server sfu_load -- --dev

args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--rooms 10 --publishers 2 --subscribers 4 --seconds 20)

profile="${CONVOX_SFU_LOAD_PERF:-0}"
if [ "$profile" = "1" ] && ! command -v perf >/dev/null; then
  echo "sfu_load: perf is not installed (Debian: linux-perf); running without a profile" >&2
  profile=0
fi
# The tool logs "measuring N s" when every stream flows: profile that window only.
watch_log() {
  while IFS= read -r line; do
    echo "$line" >&2
    if [ "$profile" = "1" ] && [[ "$line" =~ measuring\ ([0-9.]+)\ s ]]; then
      perf record -F 999 -g -p "$server" -o "$work/perf.data" -- sleep "${BASH_REMATCH[1]}" >/dev/null 2>&1 &
      echo $! >"$work/perf.pid"
    fi
  done
}

status=0
"$build/bench/convox-sfu-load" --url "ws://127.0.0.1:$port" --key devkey --secret secret --server-pid "$server" \
  "${args[@]}" 2> >(watch_log) || status=$?

if [ "$profile" = "1" ]; then
  for _ in $(seq 50); do [ -f "$work/perf.pid" ] && break; sleep 0.1; done
  if [ -f "$work/perf.pid" ]; then
    while kill -0 "$(cat "$work/perf.pid")" 2>/dev/null; do sleep 0.2; done
    echo "--- server profile: perf, self time by library and symbol, measurement window ---"
    perf report -i "$work/perf.data" --no-children --sort dso,symbol --percent-limit 1 --stdio -g none 2>/dev/null |
      grep -E '^ +[0-9.]+%' | cut -c1-140 | sed -E 's/ +$//' | head -40
    echo "--- by library ---"
    perf report -i "$work/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
      grep -E '^ +[0-9.]+%' | sed -E 's/ +$//' | head -15
    if [ -n "${CONVOX_SFU_LOAD_PERF_DATA:-}" ]; then cp "$work/perf.data" "$CONVOX_SFU_LOAD_PERF_DATA"; fi
  fi
fi
if [ "$status" -ne 0 ] && [ -s "$work/server.err" ]; then
  echo "sfu_load: the server's last log lines:" >&2
  tail -15 "$work/server.err" | cut -c1-300 >&2
fi
if ! kill -0 "$server" 2>/dev/null; then
  echo "sfu_load: convox-server exited during the run:" >&2
  tail -20 "$work/server.err" >&2
  status=1
fi
exit "$status"
