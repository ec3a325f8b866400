#!/usr/bin/env bash
# Sets up and runs missiond's whole test suite on a fresh machine:
#   1. installs the pinned third-party programs the end-to-end tests drive
#      (the real Claude Code and the MCP TypeScript SDK, from e2e/package-lock.json;
#      Debian's chromium and DejaVu fonts, when they are missing);
#   2. checks formatting and lints;
#   3. runs every test, with the real-Claude-Code tests required (not skipped).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "installing pinned e2e packages (npm ci in e2e/)"
(cd e2e && npm ci --no-audit --no-fund --loglevel=error)
e2e/node_modules/.bin/claude --version

step "installing the board's pinned xterm.js (npm ci in packages/board-vendor)"
# The daemon embeds committed copies; the daemon_board_vendor test compares them with these.
(cd packages/board-vendor && npm ci --no-audit --no-fund --loglevel=error)

# Debian packages the tests drive: bubblewrap (slot sandboxes), chromium (the board in a
# real browser) and DejaVu Sans Mono (screenshots). Installed only when missing.
missing=()
# bubblewrap: slots run in its sandbox, and the containment tests require it.
command -v bwrap >/dev/null 2>&1 || [ -n "${MISSIOND_BWRAP:-}" ] || missing+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || [ -n "${MISSIOND_CHROMIUM:-}" ] || missing+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || [ -n "${MISSIOND_FONT:-}" ] || missing+=(fonts-dejavu-core)
# Remote slots (daemon_remote): hosts are network namespaces running sshd, reached with ssh.
[ -x /usr/sbin/sshd ] || missing+=(openssh-server)
command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v useradd >/dev/null 2>&1 || missing+=(passwd)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "missing ${missing[*]} and no root to install them: install them first" >&2
    exit 1
  fi
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
# Tests that drive the real Claude Code fail, rather than skip, when it is missing.
export MISSIOND_E2E_REQUIRED=1
cargo test --workspace --locked

step "scripts/demo.sh: the README's demo runs offline and says where its binaries are"
demo_out=$(scripts/demo.sh 2>&1) || { echo "$demo_out"; exit 1; }
echo "$demo_out" | tail -n 4
grep -q "^binaries: $PWD/target/debug/missiond" <<<"$demo_out" \
  || { echo "the demo did not print the full path of its binaries"; exit 1; }

step "cargo package: every crate packs for crates.io"
# --no-verify: the crates that depend on sibling crates cannot be built from the registry
# until those are published; packing still checks manifests, versions and file lists.
# --allow-dirty: a developer's uncommitted edits are packed too.
cargo package --workspace --locked --no-verify --allow-dirty --quiet

step "scripts/install.sh installs the three binaries (debug build, scratch root)"
install_root="$(mktemp -d)"
scripts/install.sh --debug --quiet --root "$install_root"
"$install_root/bin/missiond" --version
"$install_root/bin/missiond-attach" --version
test -x "$install_root/bin/mission-mcp"
rm -rf "$install_root"

step "Node bindings (packages/semantic-terminal): debug addon, tested on the recorded fixtures"
(cd packages/semantic-terminal && npm run --silent build && npm test)

step "Node client (packages/client) against the real daemon"
cargo build --locked -p missiond-daemon --bin missiond -p mock-anthropic --bin mock-anthropic
(cd packages/client && npm ci --no-audit --no-fund --loglevel=error && npm test)

step "npm packages: pack each, install the tarballs offline into a scratch project, use them"
# The bindings' hand-written types, with the client's TypeScript (installed just above).
(cd packages/semantic-terminal && npm run --silent typecheck)
scripts/npm-pack.sh
node --test packages/tests/
