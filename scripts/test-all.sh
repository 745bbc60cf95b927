#!/usr/bin/env bash
# The whole test suite, from a bare Debian 12 machine to a verdict:
#   1. install dependencies (apt + npm ci)         scripts/install-deps.sh
#   2. -Werror build (gcc), lint, unit tests (ctest) build/; a throwaway
#      PostgreSQL cluster (scripts/pg-test-cluster.sh) for the store tests
#   3. ASan+UBSan build (clang), unit tests again   build-asan/
#   4. bounded libFuzzer runs of every fuzz target  (CONVOX_FUZZ_SECONDS each, default 60)
#   5. interop tests (node --test, real npm peers)  against the release build,
#      then again against the sanitizer build; rtc/ tests with headless
#      Chromium and other real peers inside a private network namespace
# Prints one closing line "total: N passed, N failed" and exits non-zero on any failure.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
fuzz_seconds="${CONVOX_FUZZ_SECONDS:-60}"
jobs="$(nproc)"
logs="$(mktemp -d -t convox-test-XXXXXX)"
passed=0
failed=0
failures=()

step() { printf '\n==== %s\n' "$*"; }
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

# node --test summary: "# pass N" / "# fail N"
run_interop() {
  local name="$1" bindir="$2"
  (cd tests/interop && CONVOX_BIN_DIR="$bindir" node --test --test-concurrency=1 --test-reporter=tap ./*.test.mjs) \
    2>&1 | tee "$logs/$name.log"
  local p f
  p="$(grep -E '^# pass [0-9]+' "$logs/$name.log" | tail -1 | awk '{print $3}')"
  f="$(grep -E '^# fail [0-9]+' "$logs/$name.log" | tail -1 | awk '{print $3}')"
  if [ -z "$p" ]; then record "$name" 0 1; return; fi
  record "$name" "$p" "${f:-0}"
}

# Browser and peer tests that need a network namespace (root, iproute2).
run_netns() {
  local name="$1" tools="$2"
  (cd tests/interop && CONVOX_TEST_TOOLS_DIR="$tools" lib/netns.sh node --test --test-concurrency=1 --test-reporter=tap rtc/*.netns.mjs sfu/*.netns.mjs agents/*.netns.mjs) \
    2>&1 | tee "$logs/$name.log"
  local p f
  p="$(grep -E '^# pass [0-9]+' "$logs/$name.log" | tail -1 | awk '{print $3}')"
  f="$(grep -E '^# fail [0-9]+' "$logs/$name.log" | tail -1 | awk '{print $3}')"
  if [ -z "$p" ]; then record "$name" 0 1; return; fi
  record "$name" "$p" "${f:-0}"
}

build() {  # build NAME DIR CMAKE-ARGS...
  local name="$1" dir="$2"
  shift 2
  if cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVOX_WERROR=ON "$@" >"$logs/$name.log" 2>&1 &&
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
  step "lint (clang-format, clang-tidy)"
  if scripts/lint.sh build >"$logs/lint.log" 2>&1; then echo "lint: clean"; record lint 1 0; else tail -40 "$logs/lint.log"; record lint 0 1; fi
  step "unit tests"
  run_ctest unit build
  step "interop tests (release build)"
  run_interop interop "$root/build/app"
  step "rtc tests with real peers in a network namespace (release build)"
  run_netns rtc-peers "$root/build/tests"
fi

step "sanitizer build (clang, ASan + UBSan, libFuzzer)"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
if CC=clang-14 CXX=clang++-14 build build-asan build-asan -DCONVOX_SANITIZE=ON -DCONVOX_FUZZ=ON -DCONVOX_BUILD_BENCH=OFF; then
  step "unit tests under ASan + UBSan"
  run_ctest unit-asan build-asan
  step "fuzzing (${fuzz_seconds} s per target)"
  for target in build-asan/tests/fuzz_*; do
    name="$(basename "$target")"
    seeds=()
    [ -d "tests/fuzz/corpus/${name#fuzz_}" ] && seeds+=("tests/fuzz/corpus/${name#fuzz_}")
    [ "$name" = fuzz_sdp ] && seeds+=(tests/data/sdp)
    work="$(mktemp -d)"
    if "$target" -max_total_time="$fuzz_seconds" -print_final_stats=1 "$work" "${seeds[@]}" >"$logs/$name.log" 2>&1; then
      echo "$name: clean ($(grep -E 'stat::number_of_executed_units' "$logs/$name.log" | awk '{print $2}') runs)"
      record "$name" 1 0
    else
      tail -40 "$logs/$name.log"
      record "$name" 0 1
    fi
  done
  step "interop tests (sanitizer build)"
  run_interop interop-asan "$root/build-asan/app"
  step "rtc tests with real peers (sanitizer build)"
  run_netns rtc-peers-asan "$root/build-asan/tests"
fi

step "summary"
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "logs: $logs"
echo "total: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
