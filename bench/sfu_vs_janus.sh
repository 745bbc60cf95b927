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
  node -e '
    const [line, kind, config, round] = process.argv.slice(1);
    const r = JSON.parse(line);
    console.log(`  ${config.padStart(8)} round ${round} ${kind.padStart(6)}: ${r.forwarded_pps.toFixed(0).padStart(8)} pkt/s forwarded, ` +
      `server ${r.server_cpu_us_per_packet.toFixed(2).padStart(6)} us/pkt, loss ${r.loss_percent.toFixed(3)} %, ` +
      `client ${r.client_cpu_percent.toFixed(0)} % of a core`);
  ' "$line" "$kind" "$config" "$round"
}

echo "sfu_vs_janus: $reps rounds of ${configs[*]}, ${seconds} s windows; Convox then Janus in each round"
for config in "${configs[@]}"; do
  for round in $(seq "$reps"); do
    run_one convox "$config" "$round"
    run_one janus "$config" "$round"
  done
done

node -e '
  const runs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  console.log("\nconfiguration   forwarded/s   Convox us/pkt (median)   Janus us/pkt (median)   Convox / Janus");
  for (const config of [...new Set(runs.map((r) => r.config))]) {
    const of = (kind) => runs.filter((r) => r.config === config && r.result.server === kind).map((r) => r.result);
    const convox = median(of("convox").map((x) => x.server_cpu_us_per_packet));
    const janus = median(of("janus").map((x) => x.server_cpu_us_per_packet));
    const pps = median(of("convox").map((x) => x.forwarded_pps));
    console.log(`${config.padStart(13)}   ${pps.toFixed(0).padStart(11)}   ${convox.toFixed(2).padStart(22)}   ${janus.toFixed(2).padStart(21)}   ${(convox / janus).toFixed(2).padStart(14)}`);
  }
' "$results"
