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

# node --test summary in $logs/NAME.log: "# pass N" / "# fail N"
record_node_log() {
  local name="$1" p f
  p="$(grep -E '^# pass [0-9]+' "$logs/$name.log" | tail -1 | awk '{print $3}')"
  f="$(grep -E '^# fail [0-9]+' "$logs/$name.log" | tail -1 | awk '{print $3}')"
  if [ -z "$p" ]; then record "$name" 0 1; return; fi
  record "$name" "$p" "${f:-0}"
}

# Interop tests against the server binaries in BINDIR (output to $logs/NAME.log).
run_interop() {
  local name="$1" bindir="$2"
  # The sanitizer build has no bench/: the load tool's smoke test drives the
  # server under test with the release build's tool.
  (cd tests/interop && CONVOX_BIN_DIR="$bindir" CONVOX_SFU_LOAD_BIN="$root/build/bench/convox-sfu-load" node --test --test-concurrency=1 --test-reporter=tap ./*.test.mjs) \
    >"$logs/$name.log" 2>&1
}

# Browser and peer tests that need a network namespace (root, iproute2).
run_netns() {  # run_netns NAME BUILD-DIR
  local name="$1" dir="$2"
  (cd tests/interop && CONVOX_BIN_DIR="$dir/app" CONVOX_TEST_TOOLS_DIR="$dir/tests" lib/netns.sh node --test --test-concurrency=1 --test-reporter=tap rtc/*.netns.mjs sfu/*.netns.mjs agents/*.netns.mjs) \
    2>&1 | tee "$logs/$name.log"
  record_node_log "$name"
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
tests/media/make_media.sh "$CONVOX_TEST_MEDIA_DIR"

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

step "release build (gcc, -Werror)"
if build build-release build; then
  step "lint (clang-format, clang-tidy) beside the unit tests"
  scripts/lint.sh build >"$logs/lint.log" 2>&1 &
  lint_pid=$!
  run_ctest unit build
  if wait "$lint_pid"; then echo "lint: clean"; record lint 1 0; else tail -40 "$logs/lint.log"; record lint 0 1; fi
  step "browser and peer tests in a network namespace (release build)"
  run_netns rtc-peers "$root/build"
fi

step "sanitizer build (clang, ASan + UBSan, libFuzzer)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
# -O1 and line tables: what ASan reports need, at a fraction of -O2 -g's build time.
if CC=clang-14 CXX=clang++-14 build build-asan build-asan -DCONVOX_SANITIZE=ON -DCONVOX_FUZZ=ON -DCONVOX_BUILD_BENCH=OFF \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG"; then
  step "interop tests (sanitizer build) beside the unit tests under ASan + UBSan"
  # The interop tests mostly wait on sockets; the unit tests use the cores meanwhile.
  run_interop interop-asan "$root/build-asan/app" &
  interop_pid=$!
  run_ctest unit-asan build-asan
  wait "$interop_pid"
  cat "$logs/interop-asan.log"
  record_node_log interop-asan
  step "fuzzing (${fuzz_seconds} s per target, ${fuzz_jobs} at a time)"
  running=0
  declare -A fuzz_pids=()
  for target in build-asan/tests/fuzz_*; do
    fuzz_one "$target" &
    fuzz_pids[$!]="$(basename "$target")"
    running=$((running + 1))
    if [ "$running" -ge "$fuzz_jobs" ]; then
      wait -n -p done_pid
      status=$?
      if [ "$status" -eq 0 ]; then record "${fuzz_pids[$done_pid]}" 1 0; else record "${fuzz_pids[$done_pid]}" 0 1; fi
      unset "fuzz_pids[$done_pid]"
      running=$((running - 1))
    fi
  done
  for pid in "${!fuzz_pids[@]}"; do
    if wait "$pid"; then record "${fuzz_pids[$pid]}" 1 0; else record "${fuzz_pids[$pid]}" 0 1; fi
  done
  step "browser and peer tests in a network namespace (sanitizer build)"
  run_netns rtc-peers-asan "$root/build-asan"
fi

step "summary"
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "logs: $logs"
echo "total: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
