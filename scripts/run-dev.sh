#!/usr/bin/env bash
# Installs what Convox needs, builds it, and runs `convox-server --dev` on
# 127.0.0.1:7880 (API key devkey / secret secret) with its built-in
# convox-worker, the demo receptionist agent and the playground page at
# http://127.0.0.1:7880/. Extra arguments are passed
# to convox-server.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
scripts/install-deps.sh --runtime-only
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVOX_BUILD_TESTS=OFF -DCONVOX_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
ninja -C build convox-server convox-worker convox
echo "convox CLI: $root/build/app/convox"
exec "$root/build/app/convox-server" --dev "$@"
