#!/usr/bin/env bash
# Installs everything Convox needs to build, run and test on a bare Debian 12
# machine. Idempotent: safe to run again; it only adds what is missing.
# Usage (as root): scripts/install-deps.sh [--runtime-only]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runtime_only=0
[ "${1:-}" = "--runtime-only" ] && runtime_only=1

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

build_packages=(
  build-essential cmake ninja-build pkg-config git
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev zlib1g-dev libcurl4-openssl-dev protobuf-compiler libprotobuf-dev
  libspdlog-dev libfmt-dev libyaml-cpp-dev libcli11-dev prometheus-cpp-dev
  libnice-dev libsrtp2-dev libusrsctp-dev libopus-dev
  libpqxx-dev libhiredis-dev libsqlite3-dev
  libsoxr-dev libwebrtc-audio-processing-dev libespeak-ng-dev espeak-ng-data
  libpocketsphinx-dev pocketsphinx-en-us
)
test_packages=(
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-14 libclang-rt-14-dev
  postgresql redis-server espeak-ng sox ccache
  janus
  chromium iproute2 util-linux nftables
)

wanted=("${build_packages[@]}")
[ "$runtime_only" -eq 1 ] || wanted+=("${test_packages[@]}")

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js: the machine image may ship its own (newer) node and npm, which
# conflict with Debian's packages; install Debian's only when none is there.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci in DIR unless its node_modules already matches the committed lockfile.
npm_ci_in() {
  if [ ! -d "$1/node_modules" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
# The playground page's livekit-client.
npm_ci_in "$here/playground"
# JS peers for the interop tests.
[ "$runtime_only" -eq 1 ] || npm_ci_in "$here/tests/interop"
echo "install-deps: ok"
