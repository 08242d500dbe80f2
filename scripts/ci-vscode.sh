#!/usr/bin/env bash
# The VS Code layer of CI (called by .ci/run after `npm ci` and `npm test`):
#   1. Debian packages: chromium (+ code-server's build deps, installed by step 2) - only when missing
#   2. code-server 4.100.3 from npm into .vscode-test/code-server (scripts/install-code-server.sh; skipped when present)
#   3. npm run package                      -> drainguard.vsix
#   4. extension-host suite, repo as the extension   (test/vscode/run-exthost-tests.js)
#   5. packaging check: contents, install into code-server, --list-extensions (test/vscode/check-vsix.js)
#   6. extension-host suite against the installed .vsix folder
#   7. GUI run in chromium with screenshots        (test/vscode/gui-e2e.js)
# Every suite prints its own `N passed, N failed` line. All suites run even when one fails; the
# script exits 1 if any failed. Needs root for apt-get when chromium or the build deps are missing.
# env: VSCODE_CI_SKIP_GUI=1 skips step 7, VSCODE_CI_SKIP_VSIX_SUITE=1 skips step 6.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$(date +%s)
step() { printf '\n=== %s (at %ss)\n' "$1" "$(( $(date +%s) - T0 ))"; }
FAILED=()

step "Debian packages"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "chromium is missing and this is not root: apt-get install chromium" >&2; exit 1; fi
  apt-get -o DPkg::Lock::Timeout=600 update -qq || exit 1
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium >/dev/null || exit 1
fi
chromium --version 2>/dev/null | head -1

if [ ! -d node_modules/@vscode/test-electron ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@vscode/vsce ]; then
  step "npm ci (devDependencies missing)"
  npm ci --no-audit --no-fund || exit 1
fi

step "code-server (scripts/install-code-server.sh)"
bash scripts/install-code-server.sh || { echo "code-server install failed"; echo "0 passed, 1 failed"; exit 1; }

step "npm run package"
rm -f drainguard.vsix
npm run --silent package || { echo "npm run package failed"; echo "0 passed, 1 failed"; exit 1; }

step "extension-host suite (repo as the extension)"
node test/vscode/run-exthost-tests.js || FAILED+=("extension-host suite")

step "packaging check (drainguard.vsix)"
node test/vscode/check-vsix.js drainguard.vsix || FAILED+=("packaging check")

INSTALLED=$ROOT/.vscode-test/runs/vsix-install/extensions/drainguard.drainguard-0.1.0
if [ -z "${VSCODE_CI_SKIP_VSIX_SUITE:-}" ]; then
  step "extension-host suite (installed .vsix)"
  if [ -d "$INSTALLED" ]; then
    node test/vscode/run-exthost-tests.js --extension "$INSTALLED" --label vsix || FAILED+=("extension-host suite on the .vsix")
  else
    echo "no installed extension at $INSTALLED"; echo "0 passed, 1 failed"; FAILED+=("extension-host suite on the .vsix")
  fi
fi

if [ -z "${VSCODE_CI_SKIP_GUI:-}" ]; then
  step "GUI run (code-server + chromium, screenshots)"
  node test/vscode/gui-e2e.js --vsix drainguard.vsix || FAILED+=("GUI run")
fi

step "done in $(( $(date +%s) - T0 ))s"
if [ ${#FAILED[@]} -gt 0 ]; then
  printf 'VS Code checks FAILED: %s\n' "${FAILED[*]}"
  exit 1
fi
echo "VS Code checks passed"
