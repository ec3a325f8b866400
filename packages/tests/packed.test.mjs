// The npm packages as a user gets them: the tarballs scripts/npm-pack.sh made (in
// target/npm/, or $MISSIOND_NPM_PACKED) installed offline into a scratch project, then
// used from there with nothing of the clone in reach: @missiond/core starts the real
// daemon from the platform package npm installed beside it, the daemon's commands are
// in node_modules/.bin, and @missiond/semantic-terminal loads its addon from its own
// platform package and reads a recorded fixture.
//
// Run: scripts/npm-pack.sh && node --test packages/tests/

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PACKED = process.env.MISSIOND_NPM_PACKED || join(ROOT, 'target/npm');
const PLATFORM = '@missiond/missiond-linux-x64-gnu';

let scratch;
let project;

/** An environment with no way to the clone's binaries: no MISSIOND_BIN, a bare PATH. */
function isolatedEnv(home) {
  const env = { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: scratch, MISSIOND_HOME: home, MISSION_WS_PORT: '0' };
  for (const dir of env.PATH.split(':')) {
    assert.ok(!existsSync(join(dir, 'missiond')), `${dir}/missiond would let the client find a daemon outside the package`);
  }
  return env;
}

before(() => {
  const tarballs = existsSync(PACKED) ? readdirSync(PACKED).filter((f) => f.endsWith('.tgz')) : [];
  for (const name of ['missiond-core-', 'missiond-missiond-linux-x64-gnu-', 'missiond-semantic-terminal-0', 'missiond-semantic-terminal-linux-x64-gnu-']) {
    assert.ok(tarballs.some((t) => t.startsWith(name)), `no ${name}*.tgz in ${PACKED}: run scripts/npm-pack.sh first`);
  }
  scratch = mkdtempSync(join(tmpdir(), 'missiond-packed-'));
  project = join(scratch, 'project');
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }));
  // Offline: everything comes from the tarballs, and `ws` (core's one dependency) from
  // the client's own install.
  const ws = join(ROOT, 'packages/client/node_modules/ws');
  assert.ok(existsSync(ws), `${ws} is missing: run npm ci in packages/client first`);
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.map((t) => join(PACKED, t)), ws], {
    cwd: project,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
});

after(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('the packed packages declare what npm needs to pick the platform package', () => {
  const core = JSON.parse(readFileSync(join(project, 'node_modules/@missiond/core/package.json'), 'utf8'));
  assert.equal(core.private, undefined);
  assert.equal(core.optionalDependencies?.[PLATFORM], core.version);
  assert.ok(existsSync(join(project, 'node_modules/@missiond/core', core.types)), 'types are shipped');
  assert.ok(existsSync(join(project, 'node_modules/@missiond/core/README.md')));
  const platform = JSON.parse(readFileSync(join(project, `node_modules/${PLATFORM}/package.json`), 'utf8'));
  assert.deepEqual([platform.os, platform.cpu, platform.libc], [['linux'], ['x64'], ['glibc']]);
  const st = JSON.parse(readFileSync(join(project, 'node_modules/@missiond/semantic-terminal/package.json'), 'utf8'));
  assert.ok(st.optionalDependencies['@missiond/semantic-terminal-linux-x64-gnu']);
  assert.ok(existsSync(join(project, 'node_modules/@missiond/semantic-terminal/index.d.ts')));
});

test("the daemon's commands are on node_modules/.bin", () => {
  for (const bin of ['missiond', 'mission-mcp', 'missiond-attach']) {
    const link = join(project, 'node_modules/.bin', bin);
    assert.equal(realpathSync(link), realpathSync(join(project, `node_modules/${PLATFORM}/bin/${bin}`)), readlinkSync(link));
  }
  const version = execFileSync(join(project, 'node_modules/.bin/missiond'), ['--version'], { encoding: 'utf8' });
  assert.match(version, /^missiond \d+\.\d+\.\d+/);
});

test('@missiond/core finds and starts the daemon from its platform package', async () => {
  const home = join(scratch, 'home');
  const script = `
    import { MissionControl } from '@missiond/core';
    const mission = new MissionControl({ startTimeoutMs: 60000 });
    await mission.connect();
    const health = await mission.health();
    console.log(JSON.stringify({ daemonBin: mission.daemonBin, pid: health.pid, home: health.home }));
    mission.close();
  `;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, env: isolatedEnv(home), encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `the client failed:\n${run.stderr}`);
  const { daemonBin, pid, home: daemonHome } = JSON.parse(run.stdout.trim().split('\n').at(-1));
  const expected = realpathSync(join(project, `node_modules/${PLATFORM}/bin/missiond`));
  try {
    assert.equal(realpathSync(daemonBin), expected);
    assert.equal(realpathSync(`/proc/${pid}/exe`), expected, 'the running daemon is the packaged binary');
    assert.equal(realpathSync(daemonHome), realpathSync(home));
  } finally {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) await sleep(50);
  }
  assert.ok(!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2] === 'Z', 'the daemon stopped on SIGTERM');
});

test('@missiond/semantic-terminal loads its addon from the platform package and reads a fixture', () => {
  const installed = join(project, 'node_modules/@missiond/semantic-terminal');
  assert.deepEqual(readdirSync(installed).filter((f) => f.endsWith('.node')), [], 'no addon inside the main package');
  const fixtures = join(ROOT, 'crates/semantic-terminal/tests/fixtures');
  const label = readFileSync(join(fixtures, 'dialogs_120x40.labels.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .find((l) => l.dialog);
  const script = `
    import { createRequire } from 'node:module';
    import { readFileSync } from 'node:fs';
    const require = createRequire(import.meta.url + '/');
    const { terminalAt } = require('@missiond/semantic-terminal');
    const term = terminalAt(readFileSync(process.argv[1], 'utf8'), Number(process.argv[2]));
    const addon = Object.keys(require.cache).find((f) => f.endsWith('.node'));
    console.log(JSON.stringify({ state: term.state(), kind: term.confirm()?.kind, addon }));
  `;
  const env = isolatedEnv(join(scratch, 'unused'));
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, join(fixtures, 'dialogs_120x40.jsonl'), String(label.t)], {
    cwd: project,
    env,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, run.stderr);
  const got = JSON.parse(run.stdout.trim());
  assert.equal(got.state, label.state);
  assert.equal(got.kind, label.dialog);
  assert.equal(realpathSync(got.addon), realpathSync(join(project, 'node_modules/@missiond/semantic-terminal-linux-x64-gnu/semantic-terminal.linux-x64-gnu.node')));
});
