'use strict';
// Loads the native addon: `$MISSIOND_SEMANTIC_TERMINAL_ADDON` when set, else a local
// build beside this file (`npm run build` in a clone), else the per-platform package
// npm installed with this one (`@missiond/semantic-terminal-<platform>`).

const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { platformTriple } = require('./platform.js');

function load() {
  const triple = platformTriple();
  const explicit = process.env.MISSIOND_SEMANTIC_TERMINAL_ADDON;
  if (explicit) return require(explicit);
  const local = join(__dirname, `semantic-terminal.${triple}.node`);
  if (existsSync(local)) return require(local);
  const pkg = `@missiond/semantic-terminal-${triple}`;
  try {
    return require(pkg);
  } catch (error) {
    if (error && error.code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(
      `@missiond/semantic-terminal has no native addon for ${triple}: ${pkg} is not installed ` +
        `(npm installs it with this package where one is published; was it installed with ` +
        `--no-optional or --omit=optional?). From a clone, \`npm run build\` in ` +
        `packages/semantic-terminal builds one.`,
      { cause: error },
    );
  }
}

const addon = load();

module.exports.SemanticTerminal = addon.SemanticTerminal;
module.exports.replay = addon.replay;
module.exports.terminalAt = addon.terminalAt;
