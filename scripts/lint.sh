#!/usr/bin/env bash
# clang-format check and clang-tidy over our own C++ sources.
# Usage: scripts/lint.sh BUILD_DIR   (a configured build with compile_commands.json)
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build="${1:-build}"
mapfile -t sources < <(git ls-files '*.cpp' '*.hpp' | grep -E '^(common|sfu|rtc|client|dispatcher|agent-config|control-api|worker|app|tests|bench)/')

status=0
if ! clang-format --dry-run --Werror "${sources[@]}"; then
  echo "lint: clang-format differs (run: clang-format -i on the files above)"
  status=1
fi
mapfile -t units < <(printf '%s\n' "${sources[@]}" | grep -E '^(common|sfu|rtc|client|worker|app)/.*\.cpp$')
if ! printf '%s\n' "${units[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet 2>/dev/null; then
  echo "lint: clang-tidy found problems"
  status=1
fi
[ "$status" -eq 0 ] && echo "lint: clean"
exit "$status"
