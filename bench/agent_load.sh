#!/usr/bin/env bash
# Agent load, end to end over loopback: builds convox-server, convox-worker
# and convox-agent-load if needed, starts the server (--dev --no-worker, ICE
# on 127.0.0.1) and a convox-worker of its own (pinned to the cores in
# CONVOX_AGENT_LOAD_WORKER_CPUS, default the last core, so "calls per core"
# means one core; the server and the tool get the others), creates the
# benchmark agent and runs the tool's ramp.
#
#   bench/agent_load.sh fake                 # convox-test providers: pipeline cost only
#   bench/agent_load.sh offline              # PocketSphinx + dialog engine + espeak-ng (the demo receptionist)
#   bench/agent_load.sh fake --callers 1,10,20,30,40 --turns 3
#
# Further arguments go to convox-agent-load (see --help). CONVOX_BUILD_DIR
# picks the build directory (default: build); the prompts are generated
# there (tests/media/make_media.sh).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CONVOX_BUILD_DIR:-$root/build}"
mode="${1:-fake}"
[ $# -gt 0 ] && shift

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVOX_WERROR=ON -DCONVOX_BUILD_BENCH=ON >/dev/null
fi
ninja -C "$build" -j2 convox-server convox-worker convox-agent-load convox_test_media >/dev/null

last=$(($(nproc) - 1))
worker_cpus="${CONVOX_AGENT_LOAD_WORKER_CPUS:-$last}"
other_cpus="0-$((last > 0 ? last - 1 : 0))"
work="$(mktemp -d)"
server=""
worker=""
cleanup() {
  for pid in "$worker" "$server"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=start_server.sh
source "$root/bench/start_server.sh"

start_convox_server agent_load taskset -c "$other_cpus" -- --dev --no-worker --data-dir "$work/data"

LIVEKIT_URL="ws://127.0.0.1:$port" LIVEKIT_API_KEY=devkey LIVEKIT_API_SECRET=secret \
  taskset -c "$worker_cpus" "$build/app/convox-worker" --ice-address 127.0.0.1 --max-jobs 1000 \
  --log-level "${CONVOX_LOG_LEVEL:-warn}" >"$work/worker.out" 2>&1 &
worker=$!
for _ in $(seq 100); do
  grep -q "registered as" "$work/worker.out" 2>/dev/null && break
  sleep 0.1
done

key="convox-dev-key"
http="http://127.0.0.1:$port"
case "$mode" in
  fake)
    agent=load-fake
    curl -sf -o /dev/null -X POST "$http/v1/agents" -H "authorization: Bearer $key" -H 'content-type: application/json' \
      -d '{"id":"load-fake","name":"Load (convox-test providers)","first_message":"Hello.",
           "stt":{"provider":"convox-test"},"llm":{"provider":"convox-test"},"tts":{"provider":"convox-test"}}'
    ;;
  offline) agent=demo-receptionist ;;
  *)
    echo "agent_load: the mode is fake or offline, not '$mode'" >&2
    exit 2
    ;;
esac

args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--callers 1,5,10,15,20,25,30,40,50 --turns 2)
echo "agent_load: $mode providers, worker on CPU(s) $worker_cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$build/bench/convox-agent-load" --url "$http" --api-key "$key" --agent "$agent" \
  --prompt "$build/tests/media/book_appointment.wav" --worker-pid "$worker" --label "$mode" "${args[@]}"
