'use strict';
// The platform triple of this Node process in the names of the per-platform packages
// (`linux-x64-gnu`, `darwin-arm64`, ...), as napi-rs names them.

const { readFileSync } = require('node:fs');

/** Whether this Linux runs on musl (Alpine) rather than glibc. */
function isMusl() {
  try {
    const header = process.report.getReport().header;
    if (header.glibcVersionRuntime) return false;
    if (Array.isArray(header.sharedObjects) && header.sharedObjects.some((f) => f.includes('musl'))) return true;
  } catch {
    // No report: fall back to ldd below.
  }
  try {
    return readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    return false;
  }
}

/** `linux-x64-gnu`, `linux-arm64-musl`, `darwin-arm64`, `win32-x64-msvc`, ... */
function platformTriple(platform = process.platform, arch = process.arch) {
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

module.exports = { platformTriple };
