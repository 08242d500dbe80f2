#!/usr/bin/env bash
# Real-client test: Neovim's built-in LSP client (headless, Debian neovim 0.7.2) against the
# bundled server, one Neovim process per scenario (test/nvim/*.scenario.lua).
# Builds nothing: run `npm run build` first. Installs neovim with apt when nvim is missing.
# usage: scripts/ci-nvim.sh [scenario-name...]     env: LSP_CMD, WAIT_MS (see lsp-test.lua)
# Prints `N passed, N failed`; exits non-zero when a scenario fails.
set -uo pipefail
cd "$(dirname "$0")/.."

if ! command -v nvim >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then echo "ci-nvim: nvim is missing and we are not root (apt-get install neovim)" >&2; exit 2; fi
  echo "ci-nvim: installing neovim with apt"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends neovim >/dev/null; } \
    || { echo "ci-nvim: apt-get install neovim failed" >&2; exit 2; }
fi
if [ ! -f dist/server.js ]; then echo "ci-nvim: dist/server.js is missing (run npm run build)" >&2; exit 2; fi
echo "ci-nvim: $(nvim --version | head -n 1), node $(node --version)"

if [ $# -gt 0 ]; then
  scenarios=(); for n in "$@"; do scenarios+=("test/nvim/$n.scenario.lua"); done
else
  scenarios=(test/nvim/*.scenario.lua)
fi

passed=0 failed=0 failures=()
start=$(date +%s%N)
for s in "${scenarios[@]}"; do
  name=$(basename "$s" .scenario.lua)
  t=$(date +%s%N)
  # timeout is a backstop only: the script bounds every wait itself. stdin from /dev/null so a
  # stray prompt cannot block.
  rc=0
  SCENARIO="$s" timeout 120 nvim --headless --clean -n -u test/nvim/lsp-test.lua </dev/null || rc=$?
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); verdict=ok
  else
    failed=$((failed + 1)); verdict="FAILED (exit $rc)"; failures+=("$name")
  fi
  echo "ci-nvim: $name $verdict in $(( ($(date +%s%N) - t) / 1000000 )) ms"
done
echo "ci-nvim: total $(( ($(date +%s%N) - start) / 1000000 )) ms"
[ ${#failures[@]} -gt 0 ] && echo "ci-nvim: failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
