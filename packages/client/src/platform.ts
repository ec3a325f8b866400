/**
 * The daemon binaries that npm installs with this package: a per-platform package
 * (`@missiond/missiond-linux-x64-gnu`, ...) listed in `optionalDependencies`, whose `os`,
 * `cpu` and `libc` fields let npm install only the one for this machine, as esbuild and
 * napi-rs packages do. Its `bin/` folder holds `missiond`, `mission-mcp` beside it, and
 * `missiond-attach`.
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Whether this Linux runs on musl (Alpine) rather than glibc. */
function isMusl(): boolean {
  try {
    const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
    if (report?.header?.glibcVersionRuntime) return false;
  } catch {
    // No report: ask ldd below.
  }
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    return false;
  }
}

/** This machine in the platform packages' names: `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`, ... */
export function platformTriple(platform: NodeJS.Platform = process.platform, arch: string = process.arch): string {
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The name of the package holding this machine's binaries. */
export function platformPackage(): string {
  return `@missiond/missiond-${platformTriple()}`;
}

/** `missiond` from the platform package, when npm installed one for this machine. */
export function bundledDaemonBin(): string | null {
  let dir: string;
  try {
    dir = dirname(require.resolve(`${platformPackage()}/package.json`));
  } catch {
    return null;
  }
  const bin = join(dir, 'bin', process.platform === 'win32' ? 'missiond.exe' : 'missiond');
  return existsSync(bin) ? bin : null;
}
