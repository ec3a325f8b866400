#!/usr/bin/env bash
# Refreshes the browser files the daemon's board embeds (xterm.js and its fit addon) from
# the versions pinned in packages/board-vendor/package-lock.json: `npm ci` there, then a
# byte-for-byte copy into crates/missiond-daemon/src/daemon/web/vendor/, which is
# committed so that building and running the daemon needs neither npm nor a network.
# To move to a new xterm.js: change packages/board-vendor/package.json, `npm install`
# there, run this script, and commit the lockfile with the new copies.
# The test daemon_board_vendor checks the committed copies match the pinned package.
set -euo pipefail
cd "$(dirname "$0")/.."
(cd packages/board-vendor && npm ci --no-audit --no-fund --loglevel=error)
src=packages/board-vendor/node_modules/@xterm
dst=crates/missiond-daemon/src/daemon/web/vendor
mkdir -p "$dst"
# source -> vendored name (keep in step with VENDORED in tests/daemon_board_vendor.rs)
cp "$src/xterm/lib/xterm.js" "$dst/xterm.js"
cp "$src/xterm/css/xterm.css" "$dst/xterm.css"
cp "$src/xterm/LICENSE" "$dst/LICENSE.xterm"
cp "$src/addon-fit/lib/addon-fit.js" "$dst/addon-fit.js"
echo "vendored into $dst:"
ls -l "$dst"
