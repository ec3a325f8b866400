// Shared by the tests: the real daemon binary started with a temporary MISSIOND_HOME,
// stopped with SIGTERM (or killed with SIGKILL, as a crash would).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

/** The workspace root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The daemon binary under test: `$MISSIOND_BIN`, else target/debug/missiond. */
export const MISSIOND_BIN = process.env.MISSIOND_BIN || join(ROOT, 'target/debug/missiond');

// Daemons started by these tests (directly or by the client's auto-start) inherit this:
// each takes a free web port, and nothing from the caller's environment redirects them.
process.env.MISSION_WS_PORT = '0';
process.env.MISSION_LOG_LEVEL = 'info';
for (const name of ['MISSION_IPC_ENDPOINT', 'MISSION_DB_PATH', 'MISSION_SLOTS_CONFIG', 'MISSION_PERMISSIONS_CONFIG', 'MISSIOND_HOME']) {
  delete process.env[name];
}

/** A fresh temporary folder. */
export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `missiond-client-${prefix}-`));
}

/** A home with `slots.yaml` written (when given). */
export function makeHome(root, slotsYaml) {
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  if (slotsYaml !== undefined) writeFileSync(join(home, 'slots.yaml'), slotsYaml);
  return home;
}

/** slots.yaml with one `bash` slot `sh` (bash has no turns: a send times out). */
export function bashSlots(cwd) {
  return `slots:
  - id: sh
    role: shell
    description: a plain shell
    cwd: ${JSON.stringify(cwd)}
    command: bash
    args: ["--norc", "--noprofile"]
    env:
      PS1: "sh$ "
    cols: 100
    rows: 30
`;
}

/** Resolves when something accepts connections on the socket, or throws after `ms`. */
export async function waitListening(socket, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await canConnect(socket)) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${socket} after ${ms} ms`);
}

/** Whether a Unix socket accepts a connection now. */
export function canConnect(socket) {
  return new Promise((done) => {
    const s = connect({ path: socket });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

/** A daemon this test started and owns. */
export class Daemon {
  static async start(home) {
    const stderr = join(home, `daemon-${Date.now()}-${process.pid}.stderr`);
    const child = spawn(MISSIOND_BIN, [], {
      env: { ...process.env, MISSIOND_HOME: home },
      stdio: ['ignore', 'ignore', openSync(stderr, 'w')],
    });
    const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    const daemon = new Daemon(home, child, exited, stderr);
    try {
      await Promise.race([
        waitListening(join(home, 'missiond.sock')),
        exited.then((how) => {
          throw new Error(`missiond exited at start (${JSON.stringify(how)})`);
        }),
      ]);
    } catch (error) {
      child.kill('SIGKILL');
      throw new Error(`${error.message}; stderr:\n${daemon.stderrText()}`);
    }
    return daemon;
  }

  constructor(home, child, exited, stderr) {
    this.home = home;
    this.child = child;
    this.exited = exited;
    this.stderr = stderr;
  }

  get pid() {
    return this.child.pid;
  }

  stderrText() {
    try {
      return readFileSync(this.stderr, 'utf8');
    } catch {
      return '';
    }
  }

  /** SIGTERM and wait (the daemon ends its slots). */
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  /** SIGKILL and wait, as a crash. */
  async kill9() {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}

/** Whether a process exists. */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM a daemon by pid (one the client auto-started) and wait until it is gone. */
export async function stopPid(pid, ms = 30_000) {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) {
    process.kill(pid, 'SIGKILL');
    throw new Error(`daemon ${pid} did not stop on SIGTERM`);
  }
}

/** Polls `probe` until it returns a truthy value, or throws with `what` after `ms`. */
export async function waitFor(what, probe, ms = 30_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The Claude Code binary, or null (after saying why) when the tests must skip. */
export function claudeForTest(test) {
  const explicit = process.env.MISSIOND_CLAUDE_BIN;
  const bin = explicit || join(ROOT, 'e2e/node_modules/.bin/claude');
  if (existsSync(bin)) return bin;
  const why = `Claude Code not found (set MISSIOND_CLAUDE_BIN or run \`npm ci\` in e2e/ to get e2e/node_modules/.bin/claude)`;
  if (process.env.MISSIOND_E2E_REQUIRED === '1') throw new Error(`${test}: ${why}, and MISSIOND_E2E_REQUIRED=1`);
  console.error(`skipped: ${test}: ${why}`);
  return null;
}

/**
 * The mock-anthropic binary: `$MOCK_ANTHROPIC_BIN`, else target/debug/mock-anthropic
 * (built with cargo when missing; like MISSIOND_BIN, build it first to test fresh code).
 */
export function mockAnthropicBin() {
  if (process.env.MOCK_ANTHROPIC_BIN) return process.env.MOCK_ANTHROPIC_BIN;
  const bin = join(ROOT, 'target/debug/mock-anthropic');
  if (existsSync(bin)) return bin;
  const built = spawnSync('cargo', ['build', '-q', '-p', 'mock-anthropic', '--bin', 'mock-anthropic'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (built.status !== 0) throw new Error('cargo build -p mock-anthropic failed');
  return bin;
}

/** Starts mock-anthropic with `scenario`; resolves with its base URL and a stop function. */
export async function startMockAnthropic(bin, scenario, dir) {
  const child = spawn(bin, ['--scenario', scenario], { stdio: ['ignore', 'pipe', openSync(join(dir, 'mock.log'), 'w')] });
  let out = '';
  const url = await new Promise((done, fail) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /^listening on (\S+)/m.exec(out);
      if (m) done(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`mock-anthropic exited (${code}): ${readFileSync(join(dir, 'mock.log'), 'utf8')}`)));
  });
  const exited = new Promise((done) => child.once('exit', done));
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** `mock-anthropic claude-env`: a throwaway Claude home trusting `trust`; returns the env object. */
export function claudeEnv(bin, claudeHome, url, trust) {
  const run = spawnSync(bin, ['claude-env', '--home', claudeHome, '--base-url', url, '--trust', trust], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`claude-env failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}
