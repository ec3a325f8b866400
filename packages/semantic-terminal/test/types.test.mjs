// index.d.ts is written by hand: every function and method it declares must exist at run
// time, and everything the addon exports must be declared, so the two cannot drift apart.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';

const require = createRequire(import.meta.url);
const binding = require('../index.js');
const dts = readFileSync(new URL('../index.d.ts', import.meta.url), 'utf8');

function declaredFunctions() {
  return [...dts.matchAll(/^export declare function (\w+)\(/gm)].map((m) => m[1]).sort();
}

function declaredMethods(className) {
  const start = dts.indexOf(`export declare class ${className} {`);
  assert.ok(start >= 0, `index.d.ts declares no class ${className}`);
  const body = dts.slice(start, dts.indexOf('\n}', start));
  return [...body.matchAll(/^ {2}(\w+)\(/gm)].map((m) => m[1]).filter((n) => n !== 'constructor').sort();
}

test('the declared functions and classes are what the package exports', () => {
  const classes = [...dts.matchAll(/^export declare class (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(Object.keys(binding).sort(), [...classes, ...declaredFunctions()].sort());
  for (const name of declaredFunctions()) assert.equal(typeof binding[name], 'function', name);
});

test('every SemanticTerminal method is declared, and every declared one exists', () => {
  const runtime = Object.getOwnPropertyNames(binding.SemanticTerminal.prototype)
    .filter((n) => n !== 'constructor')
    .sort();
  assert.deepEqual(declaredMethods('SemanticTerminal'), runtime);
});
