#!/usr/bin/env bash
# Installs code-server from the npm registry, offline-safe (no GitHub downloads): recipe R1 of
# /work/shared/docs/harness.md. code-server 4.100.3 is VS Code 1.100.3, the last release that
# runs on Node 20.
#
# usage: scripts/install-code-server.sh [dir] [version]
#   dir      default .vscode-test/code-server (relative to the repo root; gitignored)
#   version  default 4.100.3
#   env NODE_DIR=<node prefix with bin/ and include/> builds with another Node (code-server 4.101+ needs 22/24)
#
# Idempotent: when <dir> already holds a complete install of <version> it only prints the version.
# Needs the Debian packages build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev
# libsecret-1-dev ripgrep; installs them with apt-get when missing and running as root.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${1:-$ROOT/.vscode-test/code-server}; VER=${2:-4.100.3}
case "$DIR" in /*) ;; *) DIR=$PWD/$DIR ;; esac
if [ -n "${NODE_DIR:-}" ]; then export PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR"; fi
MARKER="$DIR/.installed-version"
CS="$DIR/node_modules/.bin/code-server"

# `code-server --version` may print an info line first (it writes ~/.config/code-server/config.yaml once).
# XDG_CONFIG_HOME keeps that file out of $HOME.
version_of() { XDG_CONFIG_HOME="$DIR/.config" "$CS" --version 2>/dev/null | grep -E '^[0-9]+\.[0-9]+\.[0-9]+ ' | head -1; }
if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$VER" ] && [ -x "$CS" ]; then
  echo "code-server $VER already installed in $DIR: $(version_of)"
  exit 0
fi

t0=$(date +%s)
echo "installing code-server $VER into $DIR (node $(node --version))"
# Build deps for the native modules (kerberos needs the gssapi headers), and ripgrep to stand in
# for the @vscode/ripgrep binary that its postinstall would download from GitHub.
PKGS="build-essential pkg-config python3 libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev ripgrep"
# shellcheck disable=SC2086
if ! dpkg -s $PKGS >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then echo "missing Debian packages (run as root, or install them): $PKGS" >&2; exit 1; fi
  # wait for the dpkg lock instead of failing when another apt-get runs
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $PKGS >/dev/null
fi

# A partial or different version: start over (node_modules of another version would mix in),
# but only in a folder this script made (never wipe a folder given by mistake).
if [ -d "$DIR" ] && [ -n "$(ls -A "$DIR")" ] && ! grep -qsE '"name": ?"code-server-install"' "$DIR/package.json"; then
  echo "$DIR is not empty and was not made by this script: refusing to install there" >&2; exit 1
fi
rm -rf "$DIR/node_modules" "$DIR/package.json" "$DIR/package-lock.json" "$MARKER"
mkdir -p "$DIR" && cd "$DIR"
printf '{ "name": "code-server-install", "version": "0.0.0", "private": true }\n' > package.json
export npm_config_unsafe_perm=true npm_config_yes=true npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# 1. The package itself, without its postinstall (it refuses root and downloads ripgrep).
npm install --ignore-scripts --save-exact "code-server@$VER"
npm rebuild argon2                     # no prebuilt binary reachable: node-pre-gyp falls back to a source build
cd node_modules/code-server/lib/vscode
# 2. What code-server's postinstall.sh does, step by step.
npm install --omit=dev --ignore-scripts
mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
npm rebuild                            # kerberos, node-pty, spdlog, native-watchdog, ... via node-gyp
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev)
cd "$DIR"
got=$(version_of)
case "$got" in "$VER "*) ;; *) echo "unexpected code-server version: $got" >&2; exit 1 ;; esac
echo "$VER" > "$MARKER"
echo "installed: $got in $(( $(date +%s) - t0 ))s"
