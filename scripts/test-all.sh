#!/usr/bin/env bash
# The whole test suite, from a bare Debian 12 machine to a verdict:
#   1. install dependencies (apt + npm ci)         scripts/install-deps.sh
#   2. -Werror build (gcc), lint, unit tests (ctest) build/; a throwaway
#      PostgreSQL cluster (scripts/pg-test-cluster.sh) for the store tests
#   3. ASan+UBSan build (clang), unit tests again   build-asan/
#   4. bounded libFuzzer runs of every fuzz target  (CONVOX_FUZZ_SECONDS each, default 20,
#      CONVOX_FUZZ_JOBS at a time, default one per core)
#   5. interop tests (node --test, real npm peers)  against the sanitizer build
#      (the same tests on the release build would check nothing more); the
#      browser and peer tests with headless Chromium inside a private network
#      namespace against both builds (release: real-time behaviour at full
#      speed; sanitizer: memory and UB errors on the media path)
# Each step prints its wall time. ccache, when installed (install-deps does),
# keeps objects between runs in CONVOX_CCACHE_DIR (default /var/cache/convox/ccache).
# Prints one closing line "total: N passed, N failed" and exits non-zero on any failure.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
fuzz_seconds="${CONVOX_FUZZ_SECONDS:-20}"
jobs="$(nproc)"
fuzz_jobs="${CONVOX_FUZZ_JOBS:-$jobs}"
logs="$(mktemp -d -t convox-test-XXXXXX)"
passed=0
failed=0
failures=()
started=$SECONDS
last_step=$SECONDS

step() {
  printf '\n==== %s   [previous step %ds, %ds in all]\n' "$*" $((SECONDS - last_step)) $((SECONDS - started))
  last_step=$SECONDS
}
record() {  # record NAME PASSED FAILED
  passed=$((passed + $2))
  failed=$((failed + $3))
  [ "$3" -eq 0 ] || failures+=("$1 ($3 failed)")
}

# ctest summary: "100% tests passed, 0 tests failed out of 46"
run_ctest() {
  local name="$1" dir="$2"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" 2>&1 | tee "$logs/$name.log"
  local line total bad
  line="$(grep -E 'tests failed out of [0-9]+' "$logs/$name.log" | tail -1)"
  if [ -z "$line" ]; then record "$name" 0 1; return; fi
  bad="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")"
  total="$(sed -E 's/.* tests failed out of ([0-9]+).*/\1/' <<<"$line")"
  record "$name" $((total - bad)) "$bad"
}

# node --test summary in $logs/NAME.log ("# pass N", "# fail N", "# cancelled N")
# and node's exit status: a cancelled (timed-out) test is a failure, and so
# is a non-zero exit with nothing counted as failed.
record_node_log() {
  local name="$1" status="$2" p f c
  p="$(grep -E '^# pass [0-9]+' "$logs/$name.log" | tail -1 | awk '{print $3}')"
  f="$(grep -E '^# fail [0-9]+' "$logs/$name.log" | tail -1 | awk '{print $3}')"
  c="$(grep -E '^# cancelled [0-9]+' "$logs/$name.log" | tail -1 | awk '{print $3}')"
  f=$(( ${f:-0} + ${c:-0} ))
  if [ -z "$p" ] || { [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; }; then f=$((f + 1)); fi
  record "$name" "${p:-0}" "$f"
}

# Interop tests against the server binaries in BINDIR.
run_interop() {
  local name="$1" bindir="$2" status
  # The sanitizer build has no bench/: the load tool's smoke test drives the
  # server under test with the release build's tool.
  (cd tests/interop && CONVOX_BIN_DIR="$bindir" CONVOX_SFU_LOAD_BIN="$root/build/bench/convox-sfu-load" CONVOX_AGENT_LOAD_BIN="$root/build/bench/convox-agent-load" node --test --test-concurrency=1 --test-reporter=tap ./*.test.mjs) \
    2>&1 | tee "$logs/$name.log"
  status=${PIPESTATUS[0]}
  record_node_log "$name" "$status"
}

# Browser and peer tests that need a network namespace (root, iproute2).
run_netns() {  # run_netns NAME BUILD-DIR
  local name="$1" dir="$2" status
  (cd tests/interop && CONVOX_BIN_DIR="$dir/app" CONVOX_TEST_TOOLS_DIR="$dir/tests" lib/netns.sh node --test --test-concurrency=1 --test-reporter=tap rtc/*.netns.mjs sfu/*.netns.mjs agents/*.netns.mjs) \
    2>&1 | tee "$logs/$name.log"
  status=${PIPESTATUS[0]}
  record_node_log "$name" "$status"
}

launcher=()
use_ccache() {
  command -v ccache >/dev/null 2>&1 || return 0
  export CCACHE_DIR="${CONVOX_CCACHE_DIR:-/var/cache/convox/ccache}" CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
  mkdir -p "$CCACHE_DIR" && ccache -M 10G >/dev/null || return 0
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
}

# Fuzz one target for $fuzz_seconds; prints its verdict line, exit status = clean.
fuzz_one() {
  local target="$1" name seeds work
  name="$(basename "$target")"
  seeds=()
  [ -d "tests/fuzz/corpus/${name#fuzz_}" ] && seeds+=("tests/fuzz/corpus/${name#fuzz_}")
  [ "$name" = fuzz_sdp ] && seeds+=(tests/data/sdp)
  work="$(mktemp -d)"
  if "$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$work" "${seeds[@]}" >"$logs/$name.log" 2>&1; then
    echo "$name: clean ($(grep -E 'stat::number_of_executed_units' "$logs/$name.log" | awk '{print $2}') runs)"
    rm -rf "$work"
    return 0
  fi
  tail -40 "$logs/$name.log"
  return 1
}

build() {  # build NAME DIR CMAKE-ARGS...
  local name="$1" dir="$2"
  shift 2
  if cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVOX_WERROR=ON "${launcher[@]}" "$@" >"$logs/$name.log" 2>&1 &&
    ninja -C "$dir" -j "$jobs" >>"$logs/$name.log" 2>&1; then
    echo "$name: ok"
    record "$name" 1 0
    return 0
  fi
  tail -60 "$logs/$name.log"
  record "$name" 0 1
  return 1
}

step "dependencies"
if ! scripts/install-deps.sh; then
  echo "total: 0 passed, 1 failed"
  exit 1
fi
use_ccache
# Media the browser tests play, made once from text (tests/media/make_media.sh).
export CONVOX_TEST_MEDIA_DIR="$logs/media"
if tests/media/make_media.sh "$CONVOX_TEST_MEDIA_DIR"; then record media 1 0; else record media 0 1; fi

step "throwaway PostgreSQL cluster (control-api store tests)"
if pg_env="$(scripts/pg-test-cluster.sh start)"; then
  eval "$pg_env"
  trap 'scripts/pg-test-cluster.sh stop "$CONVOX_TEST_PG_DIR"' EXIT
  echo "postgres: $CONVOX_TEST_DATABASE_URL"
  record postgres 1 0
else
  # Unset URL: the PostgreSQL test cases then fail under CI rather than skip.
  record postgres 0 1
fi

# The network-namespace tests mostly wait on the browser and the network
# (about a third of one core): CPU-bound work runs beside them at nice 19, so
# it takes what they leave and does not disturb their timing.
background_results="$logs/background.results"
: >"$background_results"
later() {  # later NAME PASSED FAILED: a verdict from a background job
  echo "$1 $2 $3" >>"$background_results"
}
# Records the verdicts a background job left; EXPECTED names the ones it
# must have left (a job that died leaves some out: each missing one fails).
collect_background() {  # collect_background EXPECTED...
  local name p f
  while read -r name p f; do record "$name" "$p" "$f"; done <"$background_results"
  for name in "$@"; do
    grep -q "^$name " "$background_results" || record "$name (no verdict: its background job died)" 0 1
  done
  : >"$background_results"
}

lint_then_sanitizer_build() {
  if scripts/lint.sh build >"$logs/lint.log" 2>&1; then
    echo "lint: clean"
    record lint 1 0
  else
    tail -40 "$logs/lint.log"
    record lint 0 1
  fi
  # -O1 and line tables: what ASan reports need, at a fraction of -O2 -g's build time.
  if CC=clang-14 CXX=clang++-14 build build-asan build-asan -DCONVOX_SANITIZE=ON -DCONVOX_FUZZ=ON -DCONVOX_BUILD_BENCH=OFF \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG"; then
    touch "$logs/asan.built"
  fi
}

# Runs FUNCTION at nice 19 in the background, its verdicts kept for
# collect_background and its output in $logs/FUNCTION.out.
in_background() {
  nice -n 19 bash -c "$(declare -f later build fuzz_one fuzz_all lint_then_sanitizer_build)
    record() { later \"\$@\"; }
    $(declare -p logs jobs launcher fuzz_seconds fuzz_jobs background_results)
    $1" >"$logs/$1.out" 2>&1 &
}

fuzz_all() {  # every fuzz target, $fuzz_jobs at a time, verdicts via later()
  local running=0 target done_pid
  declare -A names=()
  for target in build-asan/tests/fuzz_*; do
    fuzz_one "$target" &
    names[$!]="$(basename "$target")"
    running=$((running + 1))
    if [ "$running" -ge "$fuzz_jobs" ]; then
      if wait -n -p done_pid; then later "${names[$done_pid]}" 1 0; else later "${names[$done_pid]}" 0 1; fi
      unset "names[$done_pid]"
      running=$((running - 1))
    fi
  done
  for done_pid in "${!names[@]}"; do
    if wait "$done_pid"; then later "${names[$done_pid]}" 1 0; else later "${names[$done_pid]}" 0 1; fi
  done
}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

step "release build (gcc, -Werror; line tables only, for build time)"
if build build-release build -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"; then
  step "unit tests"
  run_ctest unit build
  step "browser and peer tests in a network namespace (release build); lint, then the sanitizer build beside them"
  in_background lint_then_sanitizer_build
  background_pid=$!
  run_netns rtc-peers "$root/build"
  step "waiting for lint and the sanitizer build"
  wait "$background_pid"
  cat "$logs/lint_then_sanitizer_build.out"
  collect_background lint build-asan
else
  step "lint, sanitizer build (clang, ASan + UBSan, libFuzzer)"
  lint_then_sanitizer_build
fi

if [ -f "$logs/asan.built" ]; then
  # One after the other: both suites use the one PostgreSQL database.
  step "unit tests under ASan + UBSan"
  run_ctest unit-asan build-asan
  step "interop tests (sanitizer build)"
  run_interop interop-asan "$root/build-asan/app"
  step "browser and peer tests in a network namespace (sanitizer build); fuzzing beside them (${fuzz_seconds} s per target, ${fuzz_jobs} at a time)"
  in_background fuzz_all
  fuzz_pid=$!
  run_netns rtc-peers-asan "$root/build-asan"
  wait "$fuzz_pid"
  cat "$logs/fuzz_all.out"
  mapfile -t fuzz_targets < <(for t in build-asan/tests/fuzz_*; do basename "$t"; done)
  collect_background "${fuzz_targets[@]}"
fi

step "summary"
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "logs: $logs"
echo "total: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
