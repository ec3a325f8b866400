#!/usr/bin/env bash
# Installs missiond's three binaries from this clone with `cargo install --locked`:
#   missiond (crate missiond-daemon), mission-mcp (missiond-mcp) and missiond-attach.
# They land in cargo's bin folder (~/.cargo/bin, usually on PATH). Arguments are passed
# to every `cargo install`: `--root DIR` installs into DIR/bin, `--debug` skips the
# release build (as CI does to check this script).
set -euo pipefail
cd "$(dirname "$0")/.."
for crate in missiond-daemon missiond-mcp missiond-attach; do
  cargo install --locked --path "crates/$crate" "$@"
done
