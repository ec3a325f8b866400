#!/usr/bin/env bash
# The offline demo: missiond drives a real Claude Code agent whose "model" is
# mock-anthropic playing crates/mock-anthropic/scenarios/demo.yaml. No API key, no network.
#
#   scripts/demo.sh            run it (builds first; installs the pinned Claude Code if needed)
#   KEEP=1 scripts/demo.sh     leave the daemon and model server running afterwards
#
# The binaries stay in target/debug: the demo runs them by that path (on PATH for its own
# shell) and ends by printing the exact lines to use them from yours.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ ! -x e2e/node_modules/.bin/claude ]; then
  say "installing the pinned Claude Code (npm ci in e2e/)"
  (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
fi
say "building missiond and mock-anthropic"
cargo build --quiet --bin missiond --bin mock-anthropic
bin=$root/target/debug
# The commands below read as a person types them; they are these binaries.
export PATH="$bin:$PATH"
echo "binaries: $bin/missiond, $bin/mock-anthropic (on PATH for this script only)"

work=$(mktemp -d -t missiond-demo.XXXXXX)
mkdir -p "$work/project" "$work/home"
pids=()
cleanup() {
  if [ -z "${KEEP:-}" ]; then
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
  else
    say "left running (pids ${pids[*]}); to use it from your shell:"
    echo "  export PATH=\"$bin:\$PATH\" MISSIOND_HOME=\"$work/home\""
    echo "  missiond status          # $bin/missiond status"
    echo "  missiond logs demo-1     # what the agent's terminal showed"
    echo "  missiond stop            # ends the daemon and its slot"
    echo "  kill ${pids[0]}          # ends the model server"
  fi
}
trap cleanup EXIT

say "starting the scripted model server"
"$bin/mock-anthropic" --scenario crates/mock-anthropic/scenarios/demo.yaml \
  >"$work/mock.out" 2>"$work/mock.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '^listening on ' "$work/mock.out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/mock.out")
[ -n "$url" ] || { echo "mock-anthropic did not start:"; cat "$work/mock.log"; exit 1; }
echo "model server: $url"

say "writing $work/home/slots.yaml (one slot running the real Claude Code)"
slot_env=$("$bin/mock-anthropic" claude-env --home "$work/claude-home" --base-url "$url" --trust "$work/project")
cat >"$work/home/slots.yaml" <<YAML
slots:
  - id: demo-1
    role: coder
    description: Demo agent on the scripted model
    cwd: $work/project
    command: $root/e2e/node_modules/.bin/claude
    permission_mode: manual
    trusted: true
    env: $slot_env
YAML
sed 's/"ANTHROPIC_API_KEY":"[^"]*"/"ANTHROPIC_API_KEY":"…"/' "$work/home/slots.yaml"

export MISSIOND_HOME=$work/home
say "starting the daemon (MISSIOND_HOME=$MISSIOND_HOME)"
"$bin/missiond" 2>"$work/missiond.log" &
pids+=($!)
for _ in $(seq 100); do "$bin/missiond" status >/dev/null 2>&1 && break; sleep 0.1; done

run() { printf '\n$ missiond %s\n' "$*"; missiond "$@"; }
run spawn demo-1
run send demo-1 "hello"
run send demo-1 "please write a file"
run confirm demo-1 yes
for _ in $(seq 100); do [ -s "$work/project/demo-output.txt" ] && break; sleep 0.1; done
printf '\n$ cat project/demo-output.txt\n'; cat "$work/project/demo-output.txt"
run status
run logs demo-1
say "done: the agent's PTY log replays with: $bin/missiond replay $work/home/logs/<file>.jsonl"
ls "$work/home/logs"
