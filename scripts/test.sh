#!/usr/bin/env bash
# Sets up and runs missiond's whole test suite on a fresh machine:
#   1. installs the pinned third-party programs the end-to-end tests drive
#      (the real Claude Code and the MCP TypeScript SDK, from e2e/package-lock.json);
#   2. checks formatting and lints;
#   3. runs every test, with the real-Claude-Code tests required (not skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "installing pinned e2e packages (npm ci in e2e/)"
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
e2e/node_modules/.bin/claude --version

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
# Tests that drive the real Claude Code fail, rather than skip, when it is missing.
export MISSIOND_E2E_REQUIRED=1
cargo test --workspace --locked
