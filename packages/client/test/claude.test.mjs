// The client driving the REAL Claude Code through the daemon, against mock-anthropic
// playing test/fixtures/scenario.yaml: exact answers, state events, a Bash dialog that
// fires `confirm` and is answered yes, and the task queue. Skipped (with a line on
// stderr) when Claude Code is not installed, unless MISSIOND_E2E_REQUIRED=1.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { ErrorCode, MissionControl, MissionError } from '../dist/index.js';
import { claudeEnv, claudeForTest, Daemon, makeHome, mockAnthropicBin, startMockAnthropic, tempDir, waitFor } from './support.mjs';

const SCENARIO = join(dirname(fileURLToPath(import.meta.url)), 'fixtures/scenario.yaml');
// The scenario's answers, as the model sends them.
const EXACT = 'Line one, with `code`, **bold** and ünïcode ✓.\n\n- a list item\n- another: 42';
const QUEUED = 'The queue answers: seven.';
const TURN_MS = 60_000;

const claude = claudeForTest('claude.test.mjs');
let world = null;

before(async () => {
  if (!claude) return;
  const root = tempDir('claude');
  const proj = join(root, 'proj');
  mkdirSync(proj);
  const bin = mockAnthropicBin();
  const mock = await startMockAnthropic(bin, SCENARIO, root);
  const env = claudeEnv(bin, join(root, 'claude-home'), mock.url, proj);
  const home = makeHome(
    root,
    `slots:
  - id: c1
    role: coder
    cwd: ${JSON.stringify(proj)}
    command: ${JSON.stringify(claude)}
    permission_mode: manual
    trusted: true
    env: ${JSON.stringify(env)}
`,
  );
  const daemon = await Daemon.start(home);
  const mission = new MissionControl({ home, autoStart: false });
  world = { root, proj, mock, daemon, mission };
});

after(async () => {
  if (!world) return;
  world.mission.close();
  await world.daemon.stop();
  await world.mock.stop();
});

/** Collects a Pty's state events; `until` waits for one matching. */
function recordStates(pty) {
  const seen = [];
  const waiters = [];
  const listener = (state, previous) => {
    seen.push([previous, state]);
    for (const w of [...waiters]) if (w.match(state)) w.done();
  };
  pty.on('state', listener);
  return {
    seen,
    stop: () => pty.off('state', listener),
    until: (state) =>
      seen.some(([, s]) => s === state)
        ? Promise.resolve()
        : new Promise((done, fail) => {
            const timer = setTimeout(() => fail(new Error(`no ${state} state event; seen: ${JSON.stringify(seen)}`)), TURN_MS);
            waiters.push({ match: (s) => s === state, done: () => (clearTimeout(timer), done()) });
          }),
  };
}

test('spawn, an exact answer, state events, a Bash dialog confirmed by event', { skip: !claude && 'Claude Code not installed', timeout: 180_000 }, async () => {
  const { mission, proj } = world;
  const pty = await mission.pty.spawn('c1');
  assert.equal(pty.spawned.state, 'Idle', `spawn: ${JSON.stringify(pty.spawned)}`);
  assert.ok(pty.spawned.sessionId, 'a session id');

  const states = recordStates(pty);
  const reply = await pty.send('give the exact answer', { timeoutMs: TURN_MS });
  assert.equal(reply.answer, EXACT);
  assert.equal(reply.state, 'Idle');
  assert.equal(reply.dialog, null);
  assert.deepEqual(reply.toolsUsed, []);
  // The turn was seen working, then idle again.
  await states.until('Idle');
  assert.ok(
    states.seen.some(([, s]) => s === 'Thinking' || s === 'Responding'),
    `states seen: ${JSON.stringify(states.seen)}`,
  );

  const dialogSeen = new Promise((done) => pty.once('confirm', done));
  const stopped = await pty.send('please write the client file', { timeoutMs: TURN_MS });
  assert.equal(stopped.state, 'Confirming');
  assert.equal(stopped.dialog.kind, 'bash');
  const dialog = await dialogSeen;
  assert.equal(dialog.kind, 'bash');
  assert.equal(dialog.tool, 'Bash');
  assert.match(dialog.command, /echo client-content > client\.txt/);
  assert.ok(dialog.options.some((o) => o.meaning === 'yes'));

  const confirmed = await pty.confirm('yes');
  assert.equal(confirmed.chosen.meaning, 'yes');
  const file = join(proj, 'client.txt');
  await waitFor('client.txt', () => existsSync(file) && readFileSync(file, 'utf8') === 'client-content\n', TURN_MS);
  await waitFor('the turn to end', async () => (await pty.status()).state === 'Idle', TURN_MS);
  await assert.rejects(pty.confirm('yes'), (e) => e instanceof MissionError && e.code === ErrorCode.NoDialogOpen);
  states.stop();

  const history = await pty.history();
  assert.deepEqual(
    history.turns.map((t) => t.prompt),
    ['give the exact answer', 'please write the client file'],
  );
  assert.equal(history.turns[0].answer, EXACT);
});

test('tasks: ask, submit and get, cancel a finished task, the inbox', { skip: !claude && 'Claude Code not installed', timeout: 180_000 }, async () => {
  const { mission } = world;
  await mission.pty.spawn('c1');
  const asked = await mission.tasks.ask({ prompt: 'a queued question', slotId: 'c1', timeoutMs: TURN_MS });
  assert.equal(asked.answer, QUEUED);
  assert.equal(asked.slotId, 'c1');

  const submitted = await mission.tasks.submit({ prompt: 'another queued question', role: 'coder' });
  assert.match(submitted.taskId, /^t-\d+$/);
  const done = await waitFor(
    'the task to finish',
    async () => {
      const task = await mission.tasks.get(submitted.taskId);
      return task.status !== 'queued' && task.status !== 'running' && task;
    },
    TURN_MS,
  );
  assert.equal(done.status, 'done', done.error ?? '');
  assert.equal(done.result, QUEUED);
  assert.deepEqual(
    (await mission.tasks.getMany([asked.taskId, submitted.taskId])).map((t) => t.taskId),
    [asked.taskId, submitted.taskId],
  );
  await assert.rejects(mission.tasks.cancel(submitted.taskId), (e) => e instanceof MissionError && e.code === ErrorCode.InvalidChoice);

  const inbox = await mission.inbox({ limit: 500 });
  const finished = inbox.messages.filter((m) => m.kind === 'task_done').map((m) => [m.taskId, m.text]);
  assert.deepEqual(finished.find(([id]) => id === submitted.taskId), [submitted.taskId, QUEUED]);
  assert.equal((await mission.tasks.status()).counts.done >= 2, true);

  const killed = await mission.pty.get('c1').kill();
  assert.equal(killed.wasRunning, true);
});
