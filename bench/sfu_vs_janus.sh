#!/usr/bin/env bash
# Convox and Janus 1.1.2 (Debian's janus package) side by side: one
# generator, convox-sfu-load, drives both with the same media, RTCP and
# transport code (LiveKit signalling for Convox, the VideoRoom API for
# Janus), alternated run by run on this machine. Everything runs in a
# private network namespace (tests/interop/lib/netns.sh: servers' ICE on
# 10.77.0.1, clients on 10.77.0.2), as Janus gathers no loopback candidates.
# Prints, per configuration, each run's server CPU per forwarded packet and
# the medians' ratio Convox / Janus.
#
#   bench/sfu_vs_janus.sh                      # 10x2x4 (4k pkt/s) and 25x2x6 (15k), 3 rounds, 20 s windows
#   bench/sfu_vs_janus.sh --reps 5 --seconds 30 25x2x6 50x2x5
#
# A configuration RxPxS is R rooms of P publishers and S subscribers each
# (R*P*S*50 forwarded packets/s). Needs root (for the namespace) and janus.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${CONVOX_BUILD_DIR:-$root/build}"

reps=3
seconds=20
configs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) configs+=("$1"); shift ;;
  esac
done
[ ${#configs[@]} -eq 0 ] && configs=(10x2x4 25x2x6)

if [ -z "${CONVOX_BENCH_IN_NETNS:-}" ]; then
  if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVOX_WERROR=ON >/dev/null
  fi
  ninja -C "$build" -j2 convox-server convox-sfu-load >/dev/null
  command -v janus >/dev/null || { echo "sfu_vs_janus: janus is not installed (apt-get install janus)" >&2; exit 1; }
  export CONVOX_BENCH_IN_NETNS=1
  exec "$root/tests/interop/lib/netns.sh" "$0" --reps "$reps" --seconds "$seconds" "${configs[@]}"
fi

export CONVOX_BENCH_ICE_ADDRESS=10.77.0.1
work="$(mktemp -d)"
# shellcheck source=start_server.sh
source "$root/bench/start_server.sh"
trap cleanup_bench EXIT

results="$work/results.jsonl"
: >"$results"
run_one() {  # SERVER CONFIG ROUND
  local kind="$1" config="$2" round="$3" rooms publishers subscribers
  IFS=x read -r rooms publishers subscribers <<<"$config"
  if [ "$kind" = convox ]; then start_convox_server sfu_vs_janus -- --dev; else start_janus_server sfu_vs_janus; fi
  local line status=0
  line="$("$build/bench/convox-sfu-load" --server "$kind" --url "ws://127.0.0.1:$port" --key devkey --secret secret \
    --server-pid "$server" --ice-address 10.77.0.2 --rooms "$rooms" --publishers "$publishers" \
    --subscribers "$subscribers" --seconds "$seconds" --warmup 3 2>"$work/load.err" | tail -1)" || status=$?
  stop_bench_server
  if [ "$status" -ne 0 ] || [ "${line:0:1}" != "{" ]; then
    echo "sfu_vs_janus: $kind $config round $round failed:" >&2
    tail -5 "$work/load.err" >&2
    return 1
  fi
  printf '{"config":"%s","round":%s,"result":%s}\n' "$config" "$round" "$line" >>"$results"
  python3 - "$line" "$kind" "$config" "$round" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print(f"  {sys.argv[3]:>8} round {sys.argv[4]} {sys.argv[2]:>6}: {r['forwarded_pps']:8.0f} pkt/s forwarded, "
      f"server {r['server_cpu_us_per_packet']:6.2f} us/pkt, loss {r['loss_percent']:.3f} %, "
      f"client {r['client_cpu_percent']:.0f} % of a core")
PY
}

echo "sfu_vs_janus: $reps rounds of ${configs[*]}, ${seconds} s windows; Convox then Janus in each round"
for config in "${configs[@]}"; do
  for round in $(seq "$reps"); do
    run_one convox "$config" "$round"
    run_one janus "$config" "$round"
  done
done

python3 - "$results" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
print("\nconfiguration   forwarded/s   Convox us/pkt (median)   Janus us/pkt (median)   Convox / Janus")
for config in dict.fromkeys(r["config"] for r in runs):
    per = {k: [r["result"] for r in runs if r["config"] == config and r["result"]["server"] == k] for k in ("convox", "janus")}
    med = {k: statistics.median(x["server_cpu_us_per_packet"] for x in v) for k, v in per.items()}
    pps = statistics.median(x["forwarded_pps"] for x in per["convox"])
    print(f"{config:>13}   {pps:11.0f}   {med['convox']:22.2f}   {med['janus']:21.2f}   {med['convox'] / med['janus']:14.2f}")
PY
