// The client against the real daemon on a TCP endpoint (the default on Windows): it
// shows the daemon's token (MISSION_IPC_TOKEN, else <home>/ipc-token) before anything,
// auto-start still works, a wrong token is refused, and the web server's token is asked
// of the daemon (daemon.web_access), not read from a file.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { DaemonUnavailableError, ErrorCode, MissionControl, MissionError } from '../dist/index.js';
import { bashSlots, makeHome, MISSIOND_BIN, stopPid, tempDir } from './support.mjs';

const cleanups = [];
after(async () => {
  for (const clean of cleanups.reverse()) await clean();
});

/** A port nothing listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

test('over TCP the client shows the token, auto-starts, and is refused a wrong one', { timeout: 60_000 }, async () => {
  const root = tempDir('tcp');
  const cwd = join(root, 'work');
  mkdirSync(cwd);
  const home = makeHome(root, bashSlots(cwd));
  const endpoint = `tcp://127.0.0.1:${await freePort()}`;
  delete process.env.MISSION_IPC_TOKEN;

  const mission = new MissionControl({ home, endpoint, daemonBin: MISSIOND_BIN });
  cleanups.push(() => mission.close());
  const health = await mission.health();
  cleanups.push(() => stopPid(health.pid));
  assert.equal(health.endpoint, endpoint);
  const token = readFileSync(join(home, 'ipc-token'), 'utf8').trim();
  assert.ok(token.length >= 32);
  assert.deepEqual((await mission.slots()).map((s) => s.id), ['sh']);

  // The web server's token comes from the daemon; no file holds it.
  const access = await mission.webAccess();
  assert.match(access.webUrl ?? '', /^ws:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(access.token.length >= 32);
  assert.equal(existsSync(join(home, 'web-token')), false);

  // A wrong token in the environment: the daemon refuses it (not_allowed).
  process.env.MISSION_IPC_TOKEN = `${token}-wrong`;
  try {
    const intruder = new MissionControl({ home, endpoint, autoStart: false });
    cleanups.push(() => intruder.close());
    const error = await intruder.slots().then(
      () => assert.fail('a wrong token was accepted'),
      (e) => e,
    );
    assert.ok(error instanceof MissionError || error instanceof DaemonUnavailableError, String(error));
    const code = error instanceof MissionError ? error.code : error.cause?.code;
    assert.equal(code, ErrorCode.NotAllowed, error.message);
  } finally {
    delete process.env.MISSION_IPC_TOKEN;
  }

  // The right one in the environment works.
  process.env.MISSION_IPC_TOKEN = token;
  try {
    const other = new MissionControl({ home: join(root, 'elsewhere'), endpoint, autoStart: false });
    cleanups.push(() => other.close());
    assert.deepEqual((await other.slots()).map((s) => s.id), ['sh']);
  } finally {
    delete process.env.MISSION_IPC_TOKEN;
  }
});
