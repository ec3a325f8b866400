#!/usr/bin/env bash
# Packs every npm package of missiond into target/npm/, ready for `npm publish X.tgz`:
#   @missiond/core                              (packages/client)
#   @missiond/missiond-linux-x64-gnu            the binaries: missiond, mission-mcp, missiond-attach
#   @missiond/semantic-terminal                 (packages/semantic-terminal)
#   @missiond/semantic-terminal-linux-x64-gnu   its native addon
# Only this machine's platform is built, and only linux-x64-gnu has packages here (see
# packages/client/README.md for the others). Debug builds by default, as CI uses to test
# the packaging; `--release` for tarballs to publish.
#
# @missiond/core gets its optionalDependencies on the platform packages here, in the
# staged copy: they cannot be in packages/client/package.json before they are published,
# because `npm ci` would then find the lockfile out of date (and ask the registry for
# them).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
cargo_flags=()
build_flags=()
if [ "${1:-}" = --release ]; then
  profile=release
  cargo_flags=(--release)
  build_flags=(--release)
elif [ $# -gt 0 ]; then
  echo "usage: scripts/npm-pack.sh [--release]" >&2
  exit 2
fi

triple="$(node -p 'require("./packages/semantic-terminal/platform.js").platformTriple()')"
if [ "$triple" != linux-x64-gnu ]; then
  echo "npm-pack.sh builds the linux-x64-gnu packages only; this machine is $triple" >&2
  exit 1
fi

out=target/npm
stage="$out/stage"
rm -rf "$out"
mkdir -p "$stage"

echo "==> building the binaries and the addon ($profile)"
cargo build --locked "${cargo_flags[@]}" -p missiond-daemon -p missiond-mcp -p missiond-attach
(cd packages/semantic-terminal && node build.mjs "${build_flags[@]}")
(cd packages/client && npm run --silent build)

# Copies a package folder's published files (and the licence) into the stage.
stage_pkg() {
  local from="$1" name="$2"
  mkdir -p "$stage/$name"
  cp -r "$from"/. "$stage/$name/"
  rm -rf "$stage/$name/node_modules" "$stage/$name/test"
  cp LICENSE "$stage/$name/LICENSE"
}

stage_pkg "packages/missiond-$triple" "missiond-$triple"
mkdir -p "$stage/missiond-$triple/bin"
for bin in missiond mission-mcp missiond-attach; do
  cp "target/$profile/$bin" "$stage/missiond-$triple/bin/$bin"
  # Debug info is for developers; the symbol table stays for backtraces.
  if command -v strip >/dev/null 2>&1; then strip --strip-debug "$stage/missiond-$triple/bin/$bin"; fi
done

stage_pkg packages/semantic-terminal semantic-terminal
rm -rf "$stage/semantic-terminal/npm" "$stage/semantic-terminal"/*.node
stage_pkg "packages/semantic-terminal/npm/$triple" "semantic-terminal-$triple"

stage_pkg packages/client core
node -e '
  const fs = require("fs");
  const [file, triple] = process.argv.slice(1);
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  delete pkg.scripts.prepack; // dist/ is built already
  pkg.optionalDependencies = { [`@missiond/missiond-${triple}`]: pkg.version };
  fs.writeFileSync(file, JSON.stringify(pkg, null, 2) + "\n");
' "$stage/core/package.json" "$triple"

echo "==> packing into $out/"
for name in core "missiond-$triple" semantic-terminal "semantic-terminal-$triple"; do
  (cd "$stage/$name" && npm pack --silent --pack-destination "$OLDPWD/$out" >/dev/null)
done
rm -rf "$stage"
ls -l "$out"
