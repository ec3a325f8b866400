#!/usr/bin/env bash
# Regenerates docs/board.png, the README's picture of the board: runs the live board test
# (the real Claude Code on mock-anthropic, in headless chromium), which saves the page
# with a slot's permission dialog open, on its card and in its live terminal.
# Needs what that test needs: `npm ci` in e2e/ and Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$PWD/docs/board.png"
MISSIOND_E2E_REQUIRED=1 MISSIOND_BOARD_SCREENSHOT="$out" \
  cargo test -p missiond-daemon --test daemon_board_live -- --nocapture 2>&1 | grep -E "^screenshot:|test result" || true
test -s "$out" || { echo "no screenshot was written to $out" >&2; exit 1; }
ls -l "$out"
