#!/usr/bin/env bash
# Daemon memory with 0 and with N idle slots (bash stands in for Claude Code, as the
# figure is about the daemon's own cost per slot: PTY, reader thread, emulator, log).
#   scripts/bench-daemon-memory.sh [N]      (default N=20; release build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
cargo build --quiet --release --bin missiond
bin=$PWD/target/release/missiond
home=$(mktemp -d -t missiond-mem.XXXXXX)
export MISSIOND_HOME=$home
{
  echo "slots:"
  for i in $(seq 1 "$n"); do
    printf '  - {id: idle-%s, cwd: %s, command: bash, args: ["--norc", "--noprofile"]}\n' "$i" "$home"
  done
} >"$home/slots.yaml"
"$bin" 2>"$home/daemon.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do "$bin" status >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
threads() { awk '/^Threads/ {print $2}' "/proc/$pid/status"; }
sleep 1
echo "0 slots running: RSS $(rss) KiB, $(threads) threads"
for i in $(seq 1 "$n"); do "$bin" spawn "idle-$i" >/dev/null; done
sleep 3
echo "$n idle slots:   RSS $(rss) KiB, $(threads) threads"
cpu0=$(awk '{print $14+$15}' "/proc/$pid/stat"); sleep 10; cpu1=$(awk '{print $14+$15}' "/proc/$pid/stat")
echo "CPU used by the daemon over 10 s with $n idle slots: $((cpu1 - cpu0)) clock ticks ($(getconf CLK_TCK)/s)"
