// Builds the native addon with cargo and puts it where index.js finds it: beside it
// (for tests and local use) and in npm/<platform>/ (the per-platform package).
//   node build.mjs            debug build (fast to build, fast enough for the tests)
//   node build.mjs --release  release build, for publishing
// Only the host's platform is built; see README.md for the others.

import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { platformTriple } = require('./platform.js');

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const release = process.argv.includes('--release');
const profile = release ? 'release' : 'debug';

execFileSync('cargo', ['build', '--locked', '-p', 'semantic-terminal-node', ...(release ? ['--release'] : [])], {
  cwd: root,
  stdio: 'inherit',
});

const targetDir = process.env.CARGO_TARGET_DIR ? resolve(root, process.env.CARGO_TARGET_DIR) : join(root, 'target');
const libName = { linux: 'libsemantic_terminal_node.so', darwin: 'libsemantic_terminal_node.dylib', win32: 'semantic_terminal_node.dll' }[process.platform];
if (!libName) throw new Error(`no native library name known for ${process.platform}`);
const built = join(targetDir, profile, libName);
if (!existsSync(built)) throw new Error(`cargo finished but ${built} is missing`);

const triple = platformTriple();
const file = `semantic-terminal.${triple}.node`;
copyFileSync(built, join(here, file));
const platformDir = join(here, 'npm', triple);
mkdirSync(platformDir, { recursive: true });
copyFileSync(built, join(platformDir, file));
if (!existsSync(join(platformDir, 'package.json'))) {
  console.warn(`warning: npm/${triple}/package.json is missing: only linux-x64-gnu has a package here (README.md says how to add one)`);
}
console.log(`built ${file} (${profile})`);
