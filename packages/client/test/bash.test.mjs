// The client against the real daemon with a `bash` slot: auto-start, errors from the
// daemon and from the client, the terminal tools, and a daemon that dies mid-call.

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { DaemonUnavailableError, ErrorCode, MAX_MESSAGE_BYTES, MissionControl, MissionError } from '../dist/index.js';
import { alive, bashSlots, Daemon, makeHome, MISSIOND_BIN, stopPid, tempDir, waitFor } from './support.mjs';

const cleanups = [];
after(async () => {
  for (const clean of cleanups.reverse()) await clean();
});

/** A home with the bash slot and a working folder for it. */
function bashHome(name) {
  const root = tempDir(name);
  const cwd = join(root, 'work');
  mkdirSync(cwd);
  return makeHome(root, bashSlots(cwd));
}

/** Asserts `promise` rejects with a MissionError of `code`; returns the error. */
async function rejectsWith(promise, code) {
  const error = await promise.then(
    (value) => assert.fail(`expected error ${code}, got ${JSON.stringify(value)}`),
    (e) => e,
  );
  assert.ok(error instanceof MissionError, `expected a MissionError, got ${error}`);
  assert.equal(error.code, code, error.message);
  return error;
}

test('connect starts the daemon when none runs, and the next client finds it', { timeout: 60_000 }, async () => {
  const home = bashHome('autostart');
  const mission = new MissionControl({ home, daemonBin: MISSIOND_BIN });
  cleanups.push(() => mission.close());
  await mission.connect();
  const health = await mission.health();
  cleanups.push(() => stopPid(health.pid));
  assert.equal(health.home, home);
  assert.equal(health.endpoint.replace(/^unix:\/\//, ''), join(home, 'missiond.sock'));
  assert.ok(alive(health.pid), 'the started daemon runs');
  assert.notEqual(health.pid, process.pid);

  const slots = await mission.slots();
  assert.deepEqual(
    slots.map((s) => [s.id, s.command, s.role]),
    [['sh', 'bash', 'shell']],
  );
  const agents = await mission.agents();
  assert.deepEqual(
    agents.map((a) => [a.slotId, a.state]),
    [['sh', 'Stopped']],
  );

  // A second client connects to the same daemon instead of starting another.
  const second = new MissionControl({ home, daemonBin: '/nonexistent/missiond' });
  cleanups.push(() => second.close());
  assert.equal((await second.health()).pid, health.pid);
});

test('without autoStart, or with a missing binary, connect fails and says why', { timeout: 60_000 }, async () => {
  const home = bashHome('nodaemon');
  const off = new MissionControl({ home, autoStart: false });
  const unreachable = await off.connect().then(() => assert.fail('connected to nothing'), (e) => e);
  assert.ok(unreachable instanceof DaemonUnavailableError);
  assert.equal(unreachable.reason, 'unreachable');
  assert.match(unreachable.message, /no missiond daemon listens at .*missiond\.sock/);
  off.close();

  const missing = new MissionControl({ home, daemonBin: join(home, 'no-such-missiond') });
  const failed = await missing.health().then(() => assert.fail('started a missing binary'), (e) => e);
  assert.ok(failed instanceof DaemonUnavailableError);
  assert.equal(failed.reason, 'start_failed');
  assert.match(failed.message, /no-such-missiond/);
  missing.close();

  const closed = await missing.health().then(() => assert.fail('a closed client called'), (e) => e);
  assert.equal(closed.reason, 'closed');
});

test('errors from the daemon carry code, message and data; the connection carries on', { timeout: 60_000 }, async () => {
  const home = bashHome('errors');
  const daemon = await Daemon.start(home);
  cleanups.push(() => daemon.stop());
  const mission = new MissionControl({ home, autoStart: false });
  cleanups.push(() => mission.close());

  const unknown = await rejectsWith(mission.pty.spawn('nobody'), ErrorCode.UnknownSlot);
  assert.deepEqual(unknown.data, { slotId: 'nobody' });
  assert.match(unknown.message, /nobody/);
  assert.equal(unknown.method, 'mission_pty_spawn');

  await rejectsWith(mission.pty.get('sh').send('hi'), ErrorCode.SlotNotRunning);
  const missingField = await rejectsWith(mission.call('mission_pty_send', { slotId: 'sh' }), ErrorCode.InvalidParams);
  assert.equal(missingField.data.field, 'message');
  await rejectsWith(mission.call('mission_no_such_tool', {}), ErrorCode.MethodNotFound);
  await rejectsWith(mission.tasks.get('t-999999'), ErrorCode.InvalidParams);

  // Over the daemon's per-message limit: refused before sending, the connection stays.
  const huge = await rejectsWith(mission.pty.get('sh').send('x'.repeat(MAX_MESSAGE_BYTES)), ErrorCode.InvalidRequest);
  assert.equal(huge.data.maxBytes, MAX_MESSAGE_BYTES);
  assert.equal((await mission.health()).pid, daemon.pid);
});

test('a bash slot: spawn, type, read the screen, time out, kill', { timeout: 60_000 }, async () => {
  const home = bashHome('pty');
  const daemon = await Daemon.start(home);
  cleanups.push(() => daemon.stop());
  const mission = new MissionControl({ home, autoStart: false });
  cleanups.push(() => mission.close());

  const pty = await mission.pty.spawn('sh');
  assert.equal(pty.slotId, 'sh');
  assert.equal(pty.spawned.alreadyRunning, false);
  assert.ok(pty.spawned.pid > 0 && alive(pty.spawned.pid), 'bash runs');
  assert.equal((await mission.pty.spawn('sh')).spawned.alreadyRunning, true);

  // bash never ends a turn: send types the line, then times out with the slot and the wait.
  const timeout = await rejectsWith(pty.send('echo $((6 * 7))', { timeoutMs: 300 }), ErrorCode.Timeout);
  assert.equal(timeout.data.slotId, 'sh');
  assert.equal(timeout.data.timeoutMs, 300);
  const screen = await waitFor('bash to print 42', async () => {
    const s = await pty.screen();
    return s.screen.split('\n').some((line) => line.trim() === '42') && s;
  });
  assert.equal(screen.cols, 100);
  assert.equal(screen.rows, 30);
  assert.equal((await pty.screen({ lines: 2 })).screen.split('\n').length, 2);

  const status = await pty.status();
  assert.equal(status.slotId, 'sh');
  assert.equal(status.role, 'shell');
  assert.equal(status.pid, pty.spawned.pid);
  await rejectsWith(pty.confirm('yes'), ErrorCode.NoDialogOpen);
  assert.match((await pty.logs()).text, /42/);

  const killed = await pty.kill();
  assert.equal(killed.wasRunning, true);
  assert.equal((await pty.status()).state, 'Stopped');
  assert.equal((await pty.kill()).wasRunning, false);
});

test('a daemon that dies rejects the waiting call; the next call reconnects after a restart', { timeout: 60_000 }, async () => {
  const home = bashHome('death');
  let daemon = await Daemon.start(home);
  cleanups.push(() => daemon.stop());
  const mission = new MissionControl({ home, autoStart: false });
  cleanups.push(() => mission.close());
  const pty = await mission.pty.spawn('sh');
  const firstPid = (await mission.health()).pid;
  assert.equal(firstPid, daemon.pid);

  // The handler is attached at once: the rejection may come before kill9 resolves.
  const waiting = pty.send('sleep 600', { timeoutMs: 600_000 }).then(
    () => assert.fail('the send survived its daemon'),
    (e) => e,
  );
  // Requests on one connection are read in order: once this reply is back, the daemon has
  // the send too.
  await pty.status();
  await daemon.kill9();
  const lost = await waiting;
  assert.ok(lost instanceof DaemonUnavailableError, `got ${lost}`);
  assert.equal(lost.reason, 'disconnected');
  assert.match(lost.message, /closed the connection/);

  const down = await mission.health().then(() => assert.fail('a dead daemon answered'), (e) => e);
  assert.equal(down.reason, 'unreachable');

  daemon = await Daemon.start(home);
  const health = await mission.health();
  assert.equal(health.pid, daemon.pid);
  assert.notEqual(health.pid, firstPid);
  // The restarted daemon ended the orphaned bash.
  assert.equal((await pty.status()).state, 'Stopped');
});

test('with autoStart, the call after a crash starts a new daemon', { timeout: 60_000 }, async () => {
  const home = bashHome('restart');
  const mission = new MissionControl({ home, daemonBin: MISSIOND_BIN });
  cleanups.push(() => mission.close());
  const first = await mission.health();
  process.kill(first.pid, 'SIGKILL');
  await waitFor('the daemon to die', () => !alive(first.pid));
  const second = await mission.health();
  cleanups.push(() => stopPid(second.pid));
  assert.notEqual(second.pid, first.pid);
  assert.ok(alive(second.pid));
});
